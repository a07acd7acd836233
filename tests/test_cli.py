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
