"""Shared fixtures. The seeded database is built by running the real pipeline
(demo generator -> feed files -> ingest: parse, tag, store) once per test session."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
# The corpus of real-world feed files sits beside the repo (../shared) in sessions and in CI.
CORPUS = Path(os.environ.get("CHIPWATCH_CORPUS", ROOT.parent / "shared" / "corpus" / "feeds"))
DEMO_END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # fixed, so seeded data never drifts
SEED_HEADLINES = 900


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    # Tests never touch the user's database or inherit their settings.
    monkeypatch.delenv("CHIPWATCH_DB", raising=False)
    monkeypatch.delenv("CHIPWATCH_TAXONOMY", raising=False)
    monkeypatch.delenv("CHIPWATCH_ALLOW_PRIVATE", raising=False)
    monkeypatch.delenv("CHIPWATCH_OPML", raising=False)


@pytest.fixture(scope="session")
def seeded_db_template(tmp_path_factory) -> Path:
    from dashboard import demo
    from dashboard.ingest import ingest
    from dashboard.store import Store

    base = tmp_path_factory.mktemp("seed")
    feeds = base / "feeds"
    demo.write_feeds(feeds, SEED_HEADLINES, end=DEMO_END, days=240)
    path = base / "seed.db"
    with Store(path) as store:
        report = ingest(store, [str(feeds)])
        assert report.new > 0 and not report.failures, report.summary()
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def seeded_db(seeded_db_template, tmp_path) -> Path:
    """A private copy of the seeded database (synthetic demo corpus, tagged)."""
    path = tmp_path / "chipwatch.db"
    shutil.copy(seeded_db_template, path)
    return path


@pytest.fixture
def empty_db(tmp_path) -> Path:
    from dashboard.store import Store

    path = tmp_path / "empty.db"
    Store(path).close()
    return path


@pytest.fixture(scope="session")
def burst_day(seeded_db_template):
    """The newest day of the seeded corpus' last week on which something signals: the demo's
    burst (Huawei x geopolitics, rising over its last days) must make one."""
    from datetime import date, timedelta

    from dashboard.signals import latest
    from dashboard.store import Store

    with Store(seeded_db_template, readonly=True) as store:
        for back in range(7):
            day = date(2026, 11, 20) - timedelta(days=back)
            if latest.current(store, day)[0]:
                return day
    raise AssertionError("the seeded demo burst signals on none of its last seven days")
