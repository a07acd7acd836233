"""Hostile feeds in one real ingest run: every feed gets a clear status, the good feeds are stored,
memory stays bounded, the run ends, and nothing from a local file reaches the store."""

from __future__ import annotations

import gzip
import json
import random
import sqlite3
import subprocess
import sys

import pytest

from dashboard.config import ROOT
from tests.httpserver import FeedServer, closed_port

MiB = 2**20
RUNNER = """
import json, resource, sys
from dashboard.ingest import ingest
from dashboard.store import Store
urls = json.loads(sys.argv[2])
with Store(sys.argv[1]) as store:
    report = ingest(store, urls, allow_private=True, settings=json.loads(sys.argv[3]))
print(json.dumps({
    "outcomes": {o.source: [o.status, o.new, o.reason, o.warning] for o in report.outcomes},
    "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def rss(items: str, title: str = "Feed", encoding: str = "utf-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://site.example/</link>{items}</channel></rss>"
    ).encode(encoding if encoding != "us-ascii" else "utf-8", "xmlcharrefreplace")


def item(
    title: str, link: str = "", guid: str = "", date: str = "Mon, 02 Nov 2026 10:00:00 GMT"
) -> str:
    return (
        f"<item><title>{title}</title>"
        + (f"<link>{link}</link>" if link else "")
        + (f"<guid>{guid}</guid>" if guid else "")
        + f"<pubDate>{date}</pubDate></item>"
    )


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>Laughs</title>
<item><title>&lol9;</title><link>https://laughs.example/1</link></item></channel></rss>"""


@pytest.fixture
def hostile(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN-4242")
    rng = random.Random(5)
    server = FeedServer().start()
    big_title = "Nvidia " + "x" * 100_000
    routes = {
        "good": dict(body=rss(item("TSMC expands CoWoS capacity", "https://n.example/good"))),
        "good2": dict(
            body=rss(
                item("Huawei Ascend shipments rise", "https://n.example/good2"), title="Second"
            )
        ),
        "laughs": dict(body=BILLION_LAUGHS),
        "xxe": dict(
            body=(
                f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
                '<rss version="2.0"><channel><title>XXE &xxe;</title><item><title>Leak &xxe; here</title>'
                "<link>https://x.example/1</link><description>&xxe;</description></item></channel></rss>"
            ).encode()
        ),
        "gzip-bomb": dict(
            body=gzip.compress(b"<rss>" + b" " * (200 * MiB), 9),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"},
        ),
        "big-announced": dict(body=b"<rss>" + b"a" * (3 * MiB)),
        "big-chunked": dict(body=lambda: (b"b" * 65536 for _ in range(64)), content_length=False),
        "trickle": dict(body=rss(item("slow")), trickle=1.0),
        "silent": dict(never_answer=True),
        "loop": dict(status=302, headers={"Location": "/loop"}),
        "reset": dict(body=rss(item("reset")), reset_after=20),
        "html": dict(
            body=b"<!doctype html><html><head><title>Home</title></head><body>Hi</body></html>",
            headers={"Content-Type": "text/html"},
        ),
        "empty": dict(body=b""),
        "garbage": dict(body=bytes(rng.randrange(256) for _ in range(4096))),
        "bad-utf8": dict(
            body=rss(item("Samsung HBM output", "https://n.example/u8")).replace(
                b"HBM output", b"HBM \xff\xfe output"
            )
        ),
        "wrong-encoding": dict(
            body=rss(
                item("Caf\u00e9 chips at SMIC", "https://n.example/enc"), encoding="iso-8859-1"
            ).replace(b"iso-8859-1", b"utf-8")
        ),
        "ten-thousand": dict(
            body=rss(
                "".join(item(f"Memory item {i}", f"https://n.example/m/{i}") for i in range(10_000))
            )
        ),
        "huge-titles": dict(body=rss(item(big_title, "https://n.example/big"))),
        "dates": dict(
            body=rss(
                item("Ancient", "https://n.example/d1", date="Mon, 01 Jan 0001 00:00:00 GMT")
                + item("Future", "https://n.example/d2", date="Fri, 01 Jan 9999 00:00:00 GMT")
                + item("Garbled", "https://n.example/d3", date="the day after tomorrow-ish")
            )
        ),
        "dup-guids": dict(
            body=rss(
                item("Dup one", guid="https://n.example/same")
                + item("Dup two", guid="https://n.example/same")
            )
        ),
        "dup-guids-2": dict(
            body=rss(item("Dup elsewhere", guid="https://n.example/same"), title="Other")
        ),
        "links": dict(
            body=rss(
                item("Relative", "/story/7")
                + item("Script", "javascript:alert(1)")
                + item("Data", "data:text/html,<script>alert(1)</script>")
            )
        ),
    }
    urls = {name: server.route(f"/{name}", **spec) for name, spec in routes.items()}
    urls["refused"] = f"http://127.0.0.1:{closed_port()}/feed"
    yield urls, secret
    server.stop()


def test_hostile_feeds_each_get_a_status_and_the_run_survives(hostile, tmp_path):
    urls, secret = hostile
    db = tmp_path / "hostile.db"
    settings = {"deadline": 4, "connect_timeout": 2, "max_bytes": 2 * MiB}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            RUNNER,
            str(db),
            json.dumps(list(urls.values())),
            json.dumps(settings),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,  # a hang guard, not a speed check
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    for url, outcome in result["outcomes"].items():  # shown with -s: the figures for the notes
        print(outcome[0], url.rsplit("/", 1)[-1], outcome[1], outcome[2] or outcome[3] or "")
    out = {name: result["outcomes"][url] for name, url in urls.items()}
    status = {name: o[0] for name, o in out.items()}
    reason = {name: (o[2] or "") for name, o in out.items()}

    # Every feed accounted for, each failure with a one-line reason.
    assert set(out) == set(urls)
    assert all(r and "\n" not in r for n, r in reason.items() if status[n] == "failed")
    for name in ("gzip-bomb", "big-announced", "big-chunked"):
        assert status[name] == "failed" and "cap" in reason[name], (name, reason[name])
    for name in ("trickle", "silent"):
        assert status[name] == "failed" and "timed out" in reason[name], (name, reason[name])
    assert status["loop"] == "failed" and "redirect" in reason["loop"]
    for name in ("refused", "reset", "html", "empty", "garbage"):
        assert status[name] == "failed", (name, out[name])
    assert status["laughs"] in ("failed", "ok") and result["maxrss_mb"] < 1024
    for name in (
        "good",
        "good2",
        "ten-thousand",
        "huge-titles",
        "dates",
        "links",
        "bad-utf8",
        "wrong-encoding",
        "dup-guids",
        "dup-guids-2",
        "xxe",
    ):
        assert status[name] == "ok", (name, out[name])
    assert out["ten-thousand"][1] == 10_000
    assert out["dup-guids"][1] == 1 and out["dup-guids-2"][1] == 0

    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT title, summary, url, source, published_at FROM headlines"
    ).fetchall()
    titles = {r[0] for r in rows}
    assert {"TSMC expands CoWoS capacity", "Huawei Ascend shipments rise"} <= titles
    # Nothing from the local file, anywhere in the database.
    assert "TOP-SECRET" not in json.dumps(rows)
    assert b"TOP-SECRET" not in db.read_bytes()
    # Links: only http(s); relative resolved against the feed.
    urls_stored = [r[2] for r in rows if r[2]]
    assert all(u.startswith(("http://", "https://")) for u in urls_stored)
    assert any(u.endswith("/story/7") for u in urls_stored)
    assert max(len(t) for t in titles) <= 600
    # Unparseable or absurd dates fall back to the fetch time, all in ISO UTC.
    assert all(
        len(r[4]) == 20
        and r[4].endswith("Z")
        and "0001" not in r[4][:4]
        and not r[4].startswith("9999")
        for r in rows
    )
    # Feed rows tell the user what happened.
    feeds = {
        u: (s, e) for u, s, e in conn.execute("SELECT url, last_status, last_error FROM feeds")
    }
    assert feeds[urls["silent"]][0] == "failed" and feeds[urls["silent"]][1]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
