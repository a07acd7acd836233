"""Concurrent use: the dashboard's queries keep answering while an ingest writes, and two ingests
at once neither corrupt nor duplicate."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dashboard import demo
from dashboard.config import ROOT
from dashboard.filters import Filters
from dashboard.store import Store
from dashboard.store import queries as q
from tests.conftest import DEMO_END

pytestmark = pytest.mark.slow


def start_ingest(db, feeds) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dashboard", "ingest", str(feeds), "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_reads_keep_answering_while_an_ingest_writes(seeded_db, tmp_path):
    feeds = tmp_path / "feeds"
    demo.write_feeds(feeds, 12_000, feeds=24, seed=99, end=DEMO_END)
    writer = start_ingest(seeded_db, feeds)
    served, seen = 0, set()
    everything, nvidia = Filters(), Filters(companies=("Nvidia",), themes=("geopolitics",))
    with Store(seeded_db, readonly=True) as store:
        # Every call a page makes, over and over, for as long as the writer runs.
        while writer.poll() is None or served < 50:
            seen.add(q.count(store, everything))
            q.kpis(store, everything)
            q.risk_cells(store, everything)
            q.timeline(store, nvidia, by="theme", period="week")
            q.headlines(store, Filters(q="export controls"), limit=50)
            q.data_version(store)
            served += 1
    out, err = writer.communicate()
    assert writer.returncode == 0, err
    assert "12000 new" in out
    # The reads saw the database grow while it was being written, and never failed.
    assert len(seen) > 2 and max(seen) - min(seen) > 0
    print(f"\nconcurrency: {served} rounds of dashboard queries served during one ingest")


def test_two_ingests_at_once_neither_corrupt_nor_duplicate(tmp_path):
    feeds = tmp_path / "feeds"
    demo.write_feeds(feeds, 8_000, feeds=16, seed=3, end=DEMO_END)
    db = tmp_path / "twice.db"
    Store(db).close()
    first, second = start_ingest(db, feeds), start_ingest(db, feeds)
    results = [p.communicate() + (p.returncode,) for p in (first, second)]
    assert all(code == 0 for _, _, code in results), results
    assert all("database is locked" not in out + err for out, err, _ in results)
    with Store(db) as store:
        assert store.integrity_ok()
        assert store.conn.execute(
            "SELECT count(*), count(DISTINCT id) FROM headlines"
        ).fetchone() == (8_000, 8_000)
        rollups = "SELECT day, company, theme, n FROM rollup_daily ORDER BY 1, 2, 3"
        before = store.conn.execute(rollups).fetchall()
        store.rebuild_rollups()
        assert store.conn.execute(rollups).fetchall() == before
