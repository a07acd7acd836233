"""The watcher on the Feeds page and in `chipwatch feeds`: heartbeat, schedule, 30-day health."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from dashboard import cli
from dashboard.coverage import Health
from dashboard.ingest.schedule import humanize
from dashboard.ingest.watch import DrivenClock, Watcher
from dashboard.store import Store, watchlog
from dashboard.ui import charts, watching
from tests.httpserver import FeedServer
from tests.test_app import open_app, texts
from tests.test_watch import XML, every, rss

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_heartbeat_text_says_when_and_how_the_watcher_did():
    beat = {
        "at": "2026-06-01T11:55:00Z",
        "feeds_ok": 4,
        "feeds_failing": 1,
        "next_due": "2026-06-01T12:05:00Z",
        "state": "running",
    }
    assert watching.heartbeat_text(beat, NOW) == (
        "Watcher last cycle 5 min ago: 4 feeds ok, 1 failing; next feed due 2026-06-01 12:05 UTC."
    )
    stopped = watching.heartbeat_text({**beat, "state": "stopped"}, NOW)
    assert stopped.startswith("Watcher stopped 5 min ago") and "next feed due" not in stopped
    assert "No watcher has run" in watching.heartbeat_text(None, NOW)


def test_freshness_text_for_every_page():
    beat = {"at": "2026-06-01T11:58:00Z", "state": "running"}
    assert watching.freshness_text(beat, NOW) == "Last fetch 2 min ago"
    assert watching.freshness_text({**beat, "state": "stopped"}, NOW).endswith("(watcher stopped)")
    assert watching.freshness_text({"at": "2026-06-01T11:59:30Z"}, NOW) == "Last fetch just now"
    assert watching.freshness_text(None, NOW) is None


def test_schedule_table_lists_web_feeds_with_interval_and_health():
    rows = [
        {
            "id": 1,
            "url": "https://a.example/feed",
            "title": "A",
            "next_due_at": "2026-06-01T13:00:00Z",
            "poll_interval": 3600.0,
            "is_demo": 0,
        },
        {
            "id": 2,
            "url": "/tmp/demo.xml",
            "title": "file",
            "next_due_at": None,
            "poll_interval": None,
            "is_demo": 1,
        },
        {
            "id": 3,
            "url": "https://b.example/feed",
            "title": None,
            "next_due_at": None,
            "poll_interval": None,
            "is_demo": 0,
        },
    ]
    table = watching.schedule_table(rows, {1: Health(10, 9, 30, 29)})
    assert list(table["Feed"]) == ["A", "https://b.example/feed"]
    assert list(table["Interval"]) == ["1 h", "-"]
    assert list(table["30-day health"]) == ["29/30 days, 90 % of fetches", "no fetches"]
    assert str(table["Next due"][0]) == "2026-06-01 13:00:00"


def _watched_db(tmp_path):
    path = tmp_path / "w.db"
    now = datetime.now(UTC).replace(microsecond=0)
    with FeedServer() as server, Store(path) as store:
        url = server.route(
            "/f.xml", body=rss("feedA", every(timedelta(hours=1), now, 5)), headers=XML
        )
        store.ensure_feed(url)
        Watcher(store, clock=DrivenClock(now), allow_private=True, rng=random.Random(1)).run(
            once=True
        )
    return path, url


def test_feeds_command_shows_next_due_interval_and_health(tmp_path, capsys):
    path, url = _watched_db(tmp_path)
    assert cli.main(["--db", str(path), "feeds"]) == 0
    out = capsys.readouterr().out
    assert "next due" in out and "30-day health" in out
    line = next(line for line in out.splitlines() if "feedA" in line)
    with Store(path) as store:
        interval = store.feed(url)["poll_interval"]
    # Five hourly entries over the last four to five hours: a bit under an hour apart.
    assert 40 * 60 < interval < 3600
    assert "1/1 days, 100 % of fetches" in line and f" {humanize(interval)} " in line


def test_feeds_page_shows_the_watcher_section(tmp_path, monkeypatch):
    path, _url = _watched_db(tmp_path)
    with Store(path) as store:
        assert watchlog.heartbeat(store)["feeds_ok"] == 1
    at = open_app(path, monkeypatch, "feeds")
    assert "Watcher last cycle" in texts(at) and "1 feeds ok" in texts(at)
    assert "Last fetch " in texts(at)  # the sidebar line every page shows
    schedule = next(d.value for d in at.dataframe if "30-day health" in d.value.columns)
    assert list(schedule["30-day health"]) == ["1/1 days, 100 % of fetches"]
    assert list(schedule["Interval"])[0].endswith(" min")


def test_low_coverage_periods_hold_a_low_day():
    periods = ["2026-06-01", "2026-06-08", "2026-06-15"]  # weeks
    assert charts.low_coverage_periods(periods, ["2026-06-10"], "week") == ["2026-06-08"]
    assert charts.low_coverage_periods(periods, ["2026-06-10"], "day") == []
    assert charts.low_coverage_periods(["2026-06-01"], ["2026-06-30"], "month") == ["2026-06-01"]


def test_low_coverage_is_shaded_on_the_chart():
    import pandas as pd

    df = pd.DataFrame(
        {
            "period": ["2026-06-02", "2026-06-01", "2026-06-03"],
            "key": "x",
            "n": 1,
            "total": 1,
            "share": 1.0,
        }
    )
    fig = charts.mark_low_coverage(charts.timeline(df), ["2026-06-02"], "day")
    bands = [b for b in fig.layout.shapes if b.fillcolor == charts.LOW_COVERAGE_FILL]
    assert [(b.x0, b.x1) for b in bands] == [("2026-06-02", "2026-06-03")]  # the middle day
    assert fig.layout.xaxis.type == "date"
    both = charts.mark_low_coverage(charts.timeline(df), ["2026-06-02", "2026-06-03"], "day")
    bands = [b for b in both.layout.shapes if b.fillcolor == charts.LOW_COVERAGE_FILL]
    assert [(b.x0, b.x1) for b in bands] == [("2026-06-02", "2026-06-04")]  # one band, one label


def test_timeline_page_shades_a_day_most_feeds_missed(seeded_db, monkeypatch):
    from tests.conftest import DEMO_END

    with Store(seeded_db) as store:
        feeds = [r["id"] for r in store.feeds()][:6]
        for offset in range(20, 0, -1):  # three weeks of six feeds answering, then one day blind
            day = DEMO_END - timedelta(days=offset)
            for feed in feeds:
                ok = "failed" if offset == 5 and feed != feeds[0] else "ok"
                watchlog.record_fetch(store, feed, day, ok)
    # Up to the last fetch: the days after it (none fetched) are low coverage too.
    at = open_app(
        seeded_db, monkeypatch, "timeline", to=(DEMO_END - timedelta(days=1)).date().isoformat()
    )
    at.segmented_control(key="period").set_value("day").run()
    assert not at.exception
    blind = (DEMO_END - timedelta(days=5)).date().isoformat()
    # Expected from the database: the low-coverage days of the window the page draws (every
    # day from the first headline to the window's end, quiet days included).
    from dashboard.coverage import low_days
    from dashboard.store import queries

    end = (DEMO_END - timedelta(days=1)).date()
    with Store(seeded_db) as store:
        first = store.conn.execute("SELECT min(published_at) FROM headlines").fetchone()[0]
        low = set(low_days(queries.coverage(store, date.fromisoformat(first[:10]), end)))
    assert blind in low
    expected = len(low)
    assert f"Shaded: {expected} day(s) when fewer than half of the usual feeds answered" in texts(
        at
    )
    # The window ends with the last fetch: every day after it no feed was read at all.
    window = {
        "from": (DEMO_END - timedelta(days=20)).date().isoformat(),
        "to": (DEMO_END - timedelta(days=1)).date().isoformat(),
    }
    overview = open_app(seeded_db, monkeypatch, "overview", **window)
    assert f"Low coverage on 1 day(s) of this window ({blind})" in texts(overview)


def test_coverage_text_names_the_first_days():
    assert watching.coverage_text([]) is None
    text = watching.coverage_text(["2026-06-01", "2026-06-02", "2026-06-05", "2026-06-09"])
    assert text.startswith("Low coverage on 4 day(s) of this window (2026-06-01, 2026-06-02,")
    assert "2026-06-05 and 1 more)" in text
