"""The `chipwatch` command as a user runs it: real processes, real files, one-line errors."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from dashboard.cli import build_parser
from dashboard.config import ROOT
from dashboard.store import Store


def run(*args: str, db=None, env=None, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "dashboard", *args] + (["--db", str(db)] if db else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_demo_out_then_ingest_twice_adds_nothing_the_second_time(tmp_path):
    db = tmp_path / "c.db"
    run("demo", "--headlines", "200", "--out", str(tmp_path / "feeds"))
    first = run("ingest", str(tmp_path / "feeds"), db=db)
    second = run("ingest", str(tmp_path / "feeds"), db=db)
    assert "headlines: 200 new" in first.stdout
    assert "headlines: 0 new, 200 duplicates skipped" in second.stdout
    with Store(db) as store:
        assert store.headline_count() == 200


def test_bad_sources_one_line_each_and_exit_status(tmp_path):
    db = tmp_path / "c.db"
    bad = run("ingest", str(tmp_path / "missing.xml"), "ftp://x.example/f", db=db, check=False)
    assert bad.returncode == 1
    assert re.search(r"failed .*missing\.xml: .*no such file", bad.stdout)
    assert "unsupported URL scheme (ftp:)" in bad.stdout
    run("demo", "--headlines", "20", "--out", str(tmp_path / "feeds"))
    mixed = run("ingest", str(tmp_path / "feeds"), str(tmp_path / "missing.xml"), db=db)
    assert mixed.returncode == 0 and "20 new" in mixed.stdout


def test_feeds_add_import_export_and_health_table(tmp_path):
    db = tmp_path / "c.db"
    run("feeds", "add", "https://semiwiki.com/feed/", db=db)
    run("feeds", "import", str(ROOT / "data" / "feeds.opml"), db=db)
    refused = run("feeds", "add", "file:///etc/passwd", db=db, check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "unsupported URL scheme" in refused.stderr
    out = tmp_path / "out.opml"
    run("feeds", "export", str(out), db=db)
    exported = out.read_text()
    assert "https://semiwiki.com/feed/" in exported and "file:" not in exported
    table = run("feeds", db=db).stdout
    assert "never fetched" in table and "SemiWiki" in table


def test_demo_load_purge_and_retag(tmp_path):
    db = tmp_path / "c.db"
    assert (
        "loaded 500 synthetic headlines"
        in run("demo", "--headlines", "500", "--load", db=db).stdout
    )
    assert "re-tagged 500 headlines" in run("retag", "--all", db=db).stdout
    assert "re-tagged 0 headlines" in run("retag", db=db).stdout
    assert "removed 500 demo headlines" in run("purge", "--demo", db=db).stdout
    with Store(db) as store:
        assert store.headline_count() == 0
        assert store.conn.execute("SELECT count(*) FROM rollup_daily").fetchone()[0] == 0


def test_bundled_demo_loads_only_into_an_empty_database(tmp_path):
    db = tmp_path / "c.db"
    first = run("demo", "--bundled", "--if-empty", db=db)
    assert "SYNTHETIC" in first.stdout
    with Store(db) as store:
        n = store.headline_count()
    assert n >= 600
    again = run("demo", "--bundled", "--if-empty", db=db)
    assert "already" in again.stdout


def test_db_from_environment(tmp_path):
    import os

    env = dict(os.environ, CHIPWATCH_DB=str(tmp_path / "env.db"))
    run("demo", "--headlines", "10", "--load", env=env)
    with Store(tmp_path / "env.db") as store:
        assert store.headline_count() == 10


def test_unwritable_output_is_one_clear_line(tmp_path):
    proc = run(
        "feeds",
        "export",
        str(tmp_path / "no" / "such" / "dir.opml"),
        db=tmp_path / "c.db",
        check=False,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("chipwatch: error:")


@pytest.mark.parametrize("command", sorted(build_parser()._subparsers._group_actions[0].choices))
def test_every_cli_command_is_documented_in_the_readme(command):
    readme = (ROOT / "README.md").read_text()
    assert f"`{command}" in readme and f"chipwatch {command}" in readme


def test_db_option_before_or_after_the_command(tmp_path):
    run("--db", str(tmp_path / "before.db"), "demo", "--headlines", "5", "--load")
    run("demo", "--headlines", "7", "--load", db=tmp_path / "after.db")
    with Store(tmp_path / "before.db") as a, Store(tmp_path / "after.db") as b:
        assert (a.headline_count(), b.headline_count()) == (5, 7)


def test_ingest_concurrency_caps_fetches_and_refuses_nonsense(tmp_path):
    from tests.httpserver import FeedServer, InFlight

    rss = (
        "<rss version='2.0'><channel><title>T</title><item><title>Item {i}</title>"
        "<link>https://example.com/{i}</link></item></channel></rss>"
    )
    shared = InFlight()
    servers = [FeedServer(f"127.0.0.{h}", shared=shared).start() for h in (1, 2)]
    try:
        urls = [
            s.route(f"/f{i}.xml", body=rss.format(i=f"{h}-{i}").encode(), delay=0.1)
            for h, s in enumerate(servers)
            for i in range(4)
        ]
        db = tmp_path / "c.db"
        done = run("ingest", "--concurrency", "1", "--allow-private", *urls, db=db)
    finally:
        for s in servers:
            s.stop()
    assert "feeds: 8 ok" in done.stdout and "headlines: 8 new" in done.stdout
    assert shared.peak == 1  # the default would have fetched 4 at once here
    bad = run("ingest", "--concurrency", "0", db=tmp_path / "c.db", check=False)
    assert bad.returncode == 2 and "must be 1 or more" in bad.stderr


# -- any database opened safely (issue 11 §3) -------------------------------------------------
def _commands(tmp_path):
    """Every command that opens the database, as a user would run it on a copy of theirs."""
    out = tmp_path / "out"
    return {
        "export": ["export", "--out", str(out.with_suffix(".csv"))],
        "feeds list": ["feeds"],
        "feeds export": ["feeds", "export", str(out.with_suffix(".opml"))],
        "feeds add": ["feeds", "add", "https://example.com/feed"],
        "feeds remove": ["feeds", "remove", "https://example.com/feed"],
        "feeds import": ["feeds", "import", str(ROOT / "data" / "feeds.opml")],
        "ingest": ["ingest", str(ROOT / "tests" / "data" / "feeds" / "atom10.xml")],
        "watch": ["watch", "--once", "--no-opml"],
        "demo load": ["demo", "--load", "--headlines", "5"],
        "demo bundled": ["demo", "--bundled", "--if-empty"],
        "purge": ["purge", "--demo"],
        "retag": ["retag"],
    }


@pytest.fixture(scope="module")
def old_files(seeded_db_template, tmp_path_factory):
    from dashboard.tagging.tagger import Tagger
    from dashboard.tagging.taxonomy import load_taxonomy
    from tests import oldschema

    base = tmp_path_factory.mktemp("old")
    tagger = Tagger(load_taxonomy())
    return {v: oldschema.build(seeded_db_template, base / f"v{v}.db", v, tagger) for v in (2, 3)}


@pytest.mark.parametrize("version", [2, 3])
def test_an_older_file_opens_cleanly_with_every_command(version, old_files, tmp_path):
    import shutil

    from dashboard.store import SCHEMA_VERSION

    for name, args in _commands(tmp_path).items():
        db = tmp_path / f"{name.replace(' ', '_')}.db"
        shutil.copy(old_files[version], db)
        proc = run(*args, db=db, check=False)
        assert proc.returncode == 0, (name, proc.stderr)
        with Store(db, readonly=True) as ro:
            assert ro.schema_version == SCHEMA_VERSION, name
            assert ro.integrity_ok(), name
    # export is a reader: its read-only open upgraded the file before reading every row.
    csv_rows = (tmp_path / "out.csv").read_bytes().count(b"\r\n") - 1
    with Store(tmp_path / "export.db", readonly=True) as ro:
        assert csv_rows == ro.headline_count() > 800


def test_a_newer_file_is_refused_by_every_command_with_one_line(tmp_path):
    db = tmp_path / "new.db"
    with Store(db) as store, store.transaction():
        store.conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    before = db.read_bytes()
    previous = tmp_path / "out.csv"
    previous.write_text("an earlier extract\n")
    commands = _commands(tmp_path) | {"serve": ["serve", "--port", "1"]}
    for name, args in commands.items():
        proc = run(*args, db=db, check=False)
        assert proc.returncode != 0, name
        assert proc.stdout == "", (name, proc.stdout)
        line = proc.stderr.strip()
        assert "\n" not in line and "schema version 99 is newer" in line, (name, proc.stderr)
    assert db.read_bytes() == before
    assert previous.read_text() == "an earlier extract\n"
    # Nothing written beside the database's own files (-wal, -shm, the watcher's lock).
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("new.db")] == ["out.csv"]


def test_a_failing_export_keeps_the_previous_file_and_leaves_no_partial_one(
    seeded_db, tmp_path, monkeypatch, capsys
):
    import sqlite3

    from dashboard import cli
    from dashboard.store import queries

    out = tmp_path / "extract.csv"
    out.write_text("yesterday's extract\n")
    real = queries.export_rows

    def dies_halfway(*args, **kwargs):
        for i, row in enumerate(real(*args, **kwargs)):
            if i == 300:
                raise sqlite3.OperationalError("disk I/O error")
            yield row

    monkeypatch.setattr(queries, "export_rows", dies_halfway)
    assert cli.main(["--db", str(seeded_db), "export", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"chipwatch: error: {seeded_db}: disk I/O error"
    assert out.read_text() == "yesterday's extract\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "extract" in p.name) == ["extract.csv"]
    monkeypatch.setattr(queries, "export_rows", real)
    assert cli.main(["--db", str(seeded_db), "export", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8-sig").startswith("published_at,")


def test_export_matches_names_and_themes_whatever_their_spelling(seeded_db, tmp_path):
    from dashboard.filters import Filters
    from dashboard.store import queries

    with Store(seeded_db, readonly=True) as ro:
        nvidia = queries.count(ro, Filters(companies=("Nvidia",)))
        geo = queries.count(ro, Filters(themes=("geopolitics",)))
        supply = queries.count(ro, Filters(themes=("supply_chain",)))
    assert min(nvidia, geo, supply) > 0
    for args, expected in [
        (["--company", "nvidia"], nvidia),
        (["--company", "NVIDIA"], nvidia),
        (["--theme", "Geopolitics"], geo),
        (["--theme", "supply chain"], supply),
        (["--theme", "Supply-Chain"], supply),
        (["--theme", "supply_chain"], supply),
    ]:
        out = tmp_path / "x.csv"
        proc = run("export", "--out", str(out), *args, db=seeded_db)
        assert f"wrote {expected} headlines" in proc.stdout, args
        assert out.read_bytes().count(b"\r\n") - 1 == expected
    for args, hint in [
        (["--company", "Nvidiaa"], "unknown company 'Nvidiaa'; did you mean Nvidia?"),
        (["--theme", "geopolitcs"], "unknown theme 'geopolitcs'; did you mean geopolitics?"),
        (["--company", "zzzz"], "unknown company 'zzzz'; known: "),
    ]:
        out = tmp_path / "typo.csv"
        proc = run("export", "--out", str(out), *args, db=seeded_db, check=False)
        assert proc.returncode == 2 and not out.exists(), args
        assert proc.stderr.startswith(f"chipwatch: error: {hint}"), proc.stderr
        assert proc.stderr.count("\n") == 1


def test_signals_text_json_and_a_bad_day(seeded_db, burst_day):
    import json

    day = burst_day.isoformat()
    text = run("signals", "--as-of", day, db=seeded_db).stdout
    listed = json.loads(run("signals", "--as-of", day, "--json", db=seeded_db).stdout)
    assert listed and all(s["as_of"] == day for s in listed)
    for s in listed:
        assert s["level"].upper() in text and (s["company"] or "") in text
        assert s["stories"] == len(s["story_ids"]) and s["outlets"] >= 3
    # A day with nothing rising says so; the default day is the latest headline's.
    from datetime import date, timedelta

    from dashboard.signals import latest

    with Store(seeded_db, readonly=True) as store:
        quiet = next(
            d
            for d in (date(2026, 11, 20) - timedelta(days=i) for i in range(1, 120))
            if not latest.current(store, d)[0]
        )
    text = run("signals", "--as-of", quiet.isoformat(), db=seeded_db).stdout
    assert "Nothing is rising" in text
    on_last = json.loads(run("signals", "--json", "--as-of", "2026-11-20", db=seeded_db).stdout)
    assert json.loads(run("signals", "--json", db=seeded_db).stdout) == on_last
    bad = run("signals", "--as-of", "yesterday-ish", db=seeded_db, check=False)
    assert bad.returncode == 2 and "--as-of" in bad.stderr and "Traceback" not in bad.stderr


def test_digest_in_markdown_and_email_safe_html(seeded_db, tmp_path):
    md = run("digest", "--since", "2026-11-13", db=seeded_db).stdout
    assert "## What's rising" in md and "Signals as of 2026-11-20" in md
    out = tmp_path / "digest.html"
    run("digest", "--since", "7d", "--format", "html", "--out", str(out), db=seeded_db)
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html.lower()
    assert "<style" not in html.lower() and 'style="' in html  # inline styles only
    bad = run("digest", "--since", "last tuesday", db=seeded_db, check=False)
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_export_stories_has_one_row_a_story_of_the_headline_extract(seeded_db, tmp_path):
    import csv

    heads_csv, stories_csv = tmp_path / "h.csv", tmp_path / "s.csv"
    run("export", "--out", str(heads_csv), "--theme", "geopolitics", db=seeded_db)
    out = run(
        "export", "--stories", "--out", str(stories_csv), "--theme", "geopolitics", db=seeded_db
    )
    heads = list(csv.DictReader(heads_csv.open(encoding="utf-8-sig")))
    stories = list(csv.DictReader(stories_csv.open(encoding="utf-8-sig")))
    assert f"wrote {len(stories)} stories" in out.stdout
    assert len({r["story_id"] for r in heads}) == len(stories) < len(heads)
    by_story: dict[str, list[dict]] = {}
    for r in heads:
        by_story.setdefault(r["story_id"], []).append(r)
    for s in stories:
        mine = by_story[s["story_id"]]
        assert int(s["matching"]) == len(mine) <= int(s["headlines"])
        assert int(s["outlets"]) == int(mine[0]["story_outlets"])
        best = max(float(r["geopolitics_score"]) for r in mine)
        assert abs(float(s["geopolitics_score"]) - best) < 1e-3
        assert s["first_seen"] <= min(r["published_at"] for r in mine)
