"""The watcher on a loopback server of scripted feeds, with a clock the test drives: a
simulated day and a half runs in seconds. Then the real thing, as a process."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from dashboard import coverage
from dashboard.ingest import ingest
from dashboard.ingest.watch import DrivenClock, Watcher
from dashboard.store import Store, queries, watchlog
from tests.conftest import ROOT
from tests.httpserver import FeedServer

START = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
DARK_FROM = START + timedelta(hours=12)  # the dark feed stops answering at noon on day 1
END = START + timedelta(hours=36)  # ... and is still dark at noon on day 2
MIN, MAX = 600.0, 86400.0


def rss(name: str, items: list[tuple[int, datetime]], ttl: int | None = None) -> bytes:
    entries = "".join(
        f"<item><title>{name} report {n}: TSMC packaging capacity update</title>"
        f"<guid isPermaLink='false'>{name}-{n}</guid>"
        f"<link>https://example.com/{name}/{n}</link>"
        f"<pubDate>{format_datetime(at, usegmt=True)}</pubDate></item>"
        for n, at in items
    )
    extra = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>{name}</title>"
        f"<link>https://example.com/{name}</link>{extra}{entries}</channel></rss>"
    ).encode()


def every(step: timedelta, now: datetime, keep: int) -> list[tuple[int, datetime]]:
    """The last `keep` entries of a feed publishing one every `step` since the epoch."""
    latest = int((now - datetime(2026, 1, 1, tzinfo=UTC)) / step)
    return [
        (n, datetime(2026, 1, 1, tzinfo=UTC) + n * step) for n in range(latest, latest - keep, -1)
    ]


class Scripted:
    """Scripted feeds whose answers follow the driven clock; records when each was asked."""

    def __init__(self, clock: DrivenClock) -> None:
        self.clock = clock
        self.asked: dict[str, list[datetime]] = {}

    def route(self, server: FeedServer, name: str, answer) -> str:
        def script():
            now = self.clock.now()
            self.asked.setdefault(name, []).append(now)
            return answer(now)

        return server.route(f"/{name}.xml", script=script)


XML = {"Content-Type": "application/rss+xml"}


def feeds(server: FeedServer, script: Scripted) -> dict[str, str]:
    minute, hour, day = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

    def slow(now):
        time.sleep(0.2)  # real seconds: the others must not wait for it
        return 200, XML, rss("slow", every(hour, now, 20))

    def dark(now):
        if now >= DARK_FROM:
            return 503, {"Content-Type": "text/plain"}, b"gone dark"
        return 200, XML, rss("dark", every(hour, now, 20))

    return {
        "minute": script.route(
            server, "minute", lambda now: (200, XML, rss("minute", every(minute, now, 15)))
        ),
        "daily": script.route(
            server, "daily", lambda now: (200, XML, rss("daily", every(day, now, 5)))
        ),
        "limited": script.route(
            server, "limited", lambda now: (429, {"Retry-After": "120"}, b"slow down")
        ),
        "maxage": script.route(
            server,
            "maxage",
            lambda now: (
                200,
                {**XML, "Cache-Control": "max-age=900"},
                rss("maxage", every(minute, now, 8)),
            ),
        ),
        "ttl": script.route(
            server, "ttl", lambda now: (200, XML, rss("ttl", every(minute, now, 8), ttl=30))
        ),
        "dark": script.route(server, "dark", dark),
        "slow": script.route(server, "slow", slow),
    }


def gaps(times: list[datetime]) -> list[float]:
    return [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """A day and a half of watching seven scripted feeds (run once for the tests below)."""
    path = tmp_path_factory.mktemp("watch") / "watch.db"
    clock = DrivenClock(START)
    script = Scripted(clock)
    with FeedServer() as server, Store(path) as store:
        urls = feeds(server, script)
        for url in urls.values():
            store.ensure_feed(url)
        watcher = Watcher(
            store,
            clock=clock,
            min_interval=MIN,
            max_interval=MAX,
            allow_private=True,
            settings={"backoff_base": 60},  # shorter than Retry-After: the header must win
            rng=random.Random(11),
        )
        cycles = watcher.run(until=END)
        ids = {name: store.feed(url)["id"] for name, url in urls.items()}
        yield store, script.asked, ids, cycles


def test_a_busy_feed_is_fetched_at_the_floor_and_never_faster(simulated):
    _store, asked, _ids, _cycles = simulated
    times = asked["minute"]
    assert all(MIN <= g <= MIN * 1.1 for g in gaps(times)), gaps(times)
    span = (END - START).total_seconds()
    assert span / (MIN * 1.1) <= len(times) <= span / MIN + 1


def test_a_daily_feed_is_fetched_about_daily(simulated):
    _store, asked, _ids, _cycles = simulated
    assert 2 <= len(asked["daily"]) <= 3  # a day and a half: at start, then about a day later
    assert all(g >= 20 * 3600 for g in gaps(asked["daily"]))


def test_no_fetch_comes_before_retry_after(simulated):
    _store, asked, _ids, _cycles = simulated
    times = asked["limited"]
    assert len(times) >= 5
    assert all(g >= 120 for g in gaps(times)), gaps(times)
    # The backoff still grows: the later waits are far longer than Retry-After.
    assert gaps(times)[-1] >= 3600


def test_cache_control_max_age_and_ttl_are_honoured(simulated):
    _store, asked, _ids, _cycles = simulated
    assert all(900 <= g <= 990 for g in gaps(asked["maxage"])), gaps(asked["maxage"])
    assert all(1800 <= g <= 1980 for g in gaps(asked["ttl"])), gaps(asked["ttl"])


def test_new_entries_reach_the_store_within_one_interval(simulated):
    store, _asked, ids, _cycles = simulated
    rows = store.conn.execute(
        "SELECT published_at, fetched_at FROM headlines WHERE feed_id = ? AND published_at >= ?",
        (ids["minute"], "2026-06-01T00:00:00Z"),
    ).fetchall()
    # Every minute's entry: the feed shows its last 15, fetched at most 11 minutes apart.
    assert len(rows) >= 36 * 60 - 12
    delays = [
        (datetime.fromisoformat(f) - datetime.fromisoformat(p)).total_seconds() for p, f in rows
    ]
    assert max(delays) <= MIN * 1.1 and min(delays) >= 0


def test_coverage_records_the_dark_period(simulated):
    store, asked, ids, _cycles = simulated
    log = watchlog.fetch_log(store, ids["dark"])
    dark_iso = DARK_FROM.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {r["outcome"] for r in log if r["at"] < dark_iso} == {"ok"}
    assert {r["outcome"] for r in log if r["at"] >= dark_iso} == {"failed"}
    days = {d.day: d for d in queries.coverage(store, START.date(), END.date())}
    first, second = days["2026-06-01"], days["2026-06-02"]
    # Day 1: every feed but the rate-limited one answered; day 2: the dark one did not.
    assert first.feeds_tried == 7 and first.feeds_reachable == 6
    by_feed = {
        (d, f): (tried, ok)
        for d, f, tried, ok, _ in watchlog.feed_days(store, "2026-06-01", "2026-06-02")
    }
    assert by_feed[("2026-06-01", ids["dark"])][1] > 0
    assert (
        by_feed[("2026-06-02", ids["dark"])][0] > 0 and by_feed[("2026-06-02", ids["dark"])][1] == 0
    )
    reached = {f for (d, f), (_t, ok) in by_feed.items() if d == "2026-06-02" and ok}
    assert second.feeds_reachable == len(reached) and ids["dark"] not in reached
    health = coverage.health(watchlog.feed_days(store, "2026-05-01", "2026-06-30"))
    assert health[ids["dark"]].days_ok == 1 and health[ids["dark"]].days == 2
    assert health[ids["limited"]].ok == 0


def test_heartbeat_and_schedule_are_stored(simulated):
    store, _asked, ids, cycles = simulated
    beat = watchlog.heartbeat(store)
    assert beat["cycle"] == cycles and beat["feeds"] == 7
    assert beat["feeds_failing"] == 2 and beat["feeds_ok"] == 5
    row = store.feed(
        store.conn.execute("SELECT url FROM feeds WHERE id = ?", (ids["minute"],)).fetchone()[0]
    )
    assert row["poll_interval"] == MIN and row["next_due_at"] >= beat["at"]


def test_fetch_log_is_pruned_to_its_bounds(tmp_path, monkeypatch):
    with Store(tmp_path / "p.db") as store:
        feed = store.ensure_feed("https://example.com/feed")
        for minutes in range(0, 20 * 24 * 60, 60):  # 20 days, hourly
            watchlog.record_fetch(store, feed, START + timedelta(minutes=minutes), "ok")
        monkeypatch.setattr(watchlog, "LOG_ROWS", 100)
        watchlog.prune(store, START + timedelta(days=20))
        log = watchlog.fetch_log(store)
        assert len(log) == 100  # the row cap bites before the age limit here
        assert log[-1]["at"] == "2026-06-20T23:00:00Z"
        assert len(watchlog.feed_days(store, "2026-01-01", "2026-12-31")) == 20  # kept longer


def test_a_policy_refusal_starts_no_backoff(tmp_path):
    with FeedServer() as server, Store(tmp_path / "r.db") as store:
        url = server.route(
            "/feed.xml", body=rss("local", every(timedelta(hours=1), START, 3)), headers=XML
        )
        refused = ingest(store, [url])
        assert refused.outcomes[0].status == "refused" and "allow-private" in refused.summary()
        row = store.feed(url)
        assert row["consecutive_failures"] == 0 and row["next_attempt_at"] is None
        # The same URL with the setting changed is fetched at once, not "waiting (backoff)".
        allowed = ingest(store, [url], allow_private=True)
        assert allowed.outcomes[0].status == "ok" and allowed.new == 3
        assert [r["outcome"] for r in watchlog.fetch_log(store)] == ["refused", "ok"]


def test_a_url_named_on_the_command_line_is_fetched_despite_its_backoff(tmp_path):
    db = tmp_path / "n.db"
    with FeedServer() as server:
        url = server.route("/feed.xml", status=500, body=b"broken")
        env = dict(os.environ, CHIPWATCH_ALLOW_PRIVATE="1")

        def run(*args):
            return subprocess.run(
                [sys.executable, "-m", "dashboard", "--db", str(db), *args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )

        assert run("ingest", url).returncode == 1
        server.route(
            "/feed.xml", body=rss("back", every(timedelta(hours=1), START, 2)), headers=XML
        )
        second = run("ingest", url)  # inside the backoff window, but named: fetched now
        assert second.returncode == 0 and "2 new" in second.stdout, second.stdout
        assert len(server.requests_to("/feed.xml")) == 2


def _wait_for(check, what: str, proc=None, limit: float = 60.0):
    deadline = time.monotonic() + limit  # a deadline to fail on, not a timing assertion
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"watcher exited early ({proc.returncode}): {proc.stderr.read()}")
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}")


@contextmanager
def _process(cmd: list[str], **kwargs):
    """A child process that is killed if the test leaves it running."""
    proc = subprocess.Popen(cmd, cwd=ROOT, text=True, **kwargs)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _count(db) -> int:
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute("SELECT count(*) FROM headlines").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


@pytest.mark.slow
def test_watch_as_a_process_stores_new_entries_and_stops_cleanly_on_sigterm(tmp_path):
    db = tmp_path / "live.db"
    published = [2]
    with FeedServer() as server:
        url = server.route(
            "/live.xml",
            script=lambda: (
                200,
                XML,
                rss("live", [(n, START + timedelta(minutes=n)) for n in range(published[0])]),
            ),
        )
        cmd = [sys.executable, "-m", "dashboard", "--db", str(db)]
        subprocess.run([*cmd, "feeds", "add", url], cwd=ROOT, check=True, capture_output=True)
        watch = [
            *cmd,
            "watch",
            "--no-opml",
            "--allow-private",
            "--min-interval",
            "1",
            "--max-interval",
            "2",
        ]
        log = tmp_path / "watch.log"
        with _process([*watch, "--log-file", str(log)], stderr=subprocess.PIPE) as proc:
            _wait_for(lambda: _count(db) == 2, "the first two entries", proc)
            second = subprocess.run(watch, cwd=ROOT, capture_output=True, text=True)
            assert second.returncode == 3 and "another watcher" in second.stderr
            published[0] = 5
            _wait_for(lambda: _count(db) == 5, "three new entries", proc)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Store(db) as store:
        beat = watchlog.heartbeat(store)
        assert beat["state"] == "stopped" and beat["feeds_ok"] == 1
    assert "cycle" in log.read_text()


@pytest.mark.slow
def test_serve_watch_runs_the_dashboard_and_the_watcher_and_sigterm_stops_both(tmp_path):
    from tests.browser import free_port

    db, port = tmp_path / "serve.db", free_port()
    env = dict(os.environ, CHIPWATCH_ALLOW_PRIVATE="1", CHIPWATCH_OPML="")
    with FeedServer() as server:
        url = server.route(
            "/s.xml", body=rss("served", every(timedelta(hours=1), START, 3)), headers=XML
        )
        cmd = [sys.executable, "-m", "dashboard", "--db", str(db)]
        subprocess.run([*cmd, "feeds", "add", url], cwd=ROOT, check=True, capture_output=True)
        serve = [*cmd, "serve", "--watch", "--port", str(port)]
        with _process(serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
            _wait_for(lambda: _count(db) == 3, "the watcher's first cycle", proc, limit=120)

            def healthy() -> bool:
                import urllib.request

                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/_stcore/health", timeout=1
                    ) as r:
                        return r.status == 200
                except OSError:
                    return False

            _wait_for(healthy, "the dashboard", proc, limit=120)
            with Store(db) as store:
                watcher_pid = watchlog.heartbeat(store)["pid"]
            assert watcher_pid != proc.pid
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(watcher_pid, 0)
    assert not healthy()
    with Store(db) as store:
        assert watchlog.heartbeat(store)["state"] == "stopped" and store.integrity_ok()


@pytest.mark.slow
def test_a_sigkilled_watcher_loses_at_most_a_feed_and_its_lock_dies_with_it(tmp_path):
    db = tmp_path / "kill.db"
    with FeedServer() as server:
        urls = [
            server.route(
                f"/k{i}.xml",
                body=rss(f"k{i}", every(timedelta(hours=1), START, 40)),
                headers=XML,
                delay=0.05 * i,  # answers spread out, so the kill lands between feeds
            )
            for i in range(30)
        ]
        cmd = [sys.executable, "-m", "dashboard", "--db", str(db)]
        subprocess.run([*cmd, "feeds", "add", *urls], cwd=ROOT, check=True, capture_output=True)
        watch = [*cmd, "watch", "--no-opml", "--allow-private"]
        with _process(watch, stderr=subprocess.PIPE) as proc:
            _wait_for(lambda: _count(db) > 0, "the first feed", proc)
            proc.kill()
            proc.wait()
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            per_feed = [
                r[0] for r in conn.execute("SELECT count(*) FROM headlines GROUP BY feed_id")
            ]
        assert per_feed and set(per_feed) == {40}  # whole feeds only
        again = subprocess.run([*watch, "--once"], cwd=ROOT, capture_output=True, text=True)
        assert again.returncode == 0, again.stderr  # the lock went with the killed process
    assert _count(db) == 30 * 40
