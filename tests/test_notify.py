"""Notifications: what is due, backoff, the destinations file, delivery to a real loopback
webhook through Apprise, and secrets kept out of every message."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dashboard.signals import notify as N
from dashboard.signals.detect import Signal

NOW = datetime(2026, 6, 30, 8, 0, tzinfo=UTC)


def sig(level="watch", company="Nvidia", theme="geopolitics", since=date(2026, 6, 29)):
    return Signal(
        company, theme, level, 5, 4, 4, 0.6, 0.2, 1e-4, since, date(2026, 6, 30), 1.0, ["a"]
    )


class Hook:
    """A JSON webhook on 127.0.0.1 that records what it receives (or answers 500)."""

    def __init__(self, status=200):
        self.received: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                owner.received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.close()


def test_new_signal_is_due_once_and_again_only_when_its_level_rises():
    dest = N.Destination("json://127.0.0.1:9/x")
    s = sig()
    assert N.due([s], [dest], {}, NOW) == [(s, dest)]
    sent = {(N.signal_key(s), dest.key): N.LedgerRow("watch", 0, None)}
    assert N.due([s], [dest], sent, NOW) == []
    higher = sig(level="elevated")
    assert N.due([higher], [dest], sent, NOW) == [(higher, dest)]
    # A new run of the same series (another `since`) is a new signal.
    again = sig(since=date(2026, 6, 20))
    assert N.due([again], [dest], sent, NOW) == [(again, dest)]


def test_failing_destination_waits_out_its_backoff():
    dest = N.Destination("json://127.0.0.1:9/x")
    s = sig()
    key = (N.signal_key(s), dest.key)
    waiting = {key: N.LedgerRow(None, 2, N.retry_at(2, NOW))}
    assert N.due([s], [dest], waiting, NOW) == []
    assert N.due([s], [dest], waiting, NOW + timedelta(minutes=11)) == [(s, dest)]
    assert N.retry_at(1, NOW) - NOW == N.RETRY_BASE
    assert N.retry_at(3, NOW) - NOW == 4 * N.RETRY_BASE
    assert N.retry_at(30, NOW) - NOW == N.RETRY_CAP


def test_destinations_file(tmp_path):
    assert N.load_destinations(tmp_path / "missing.toml") == []
    good = tmp_path / "notify.toml"
    good.write_text('destinations = ["json://127.0.0.1:8080/hook", "ntfy://topic"]\n')
    assert [d.url for d in N.load_destinations(good)] == [
        "json://127.0.0.1:8080/hook",
        "ntfy://topic",
    ]
    bad = tmp_path / "bad.toml"
    bad.write_text("destinations = [")
    with pytest.raises(N.NotifyError, match="not a readable TOML"):
        N.load_destinations(bad)
    bad.write_text('destinations = "json://x"')
    with pytest.raises(N.NotifyError, match="must be a list"):
        N.load_destinations(bad)
    bad.write_text('destinations = ["nonsense://user:hunter2@host/x"]')
    with pytest.raises(N.NotifyError) as err:
        N.load_destinations(bad)
    assert "hunter2" not in str(err.value) and "destination 1" in str(err.value)


def test_label_and_key_never_show_the_secret():
    dest = N.Destination("json://user:hunter2@127.0.0.1:8080/hook")
    assert "hunter2" not in dest.label and "127.0.0.1" in dest.label
    assert "hunter2" not in dest.key and len(dest.key) == 16
    slack = N.Destination("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#chan")
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in slack.label


def test_send_delivers_to_a_real_webhook(hook):
    dest = N.Destination(f"json://127.0.0.1:{hook.port}/hook")
    title, body = N.message(sig(), {"geopolitics": "Geopolitics"})
    assert N.send(dest, title, body) is None
    assert len(hook.received) == 1
    got = hook.received[0]
    assert got["title"] == "Chipwatch: Nvidia × Geopolitics rising (watch)"
    assert "5 escalating stories from 4 outlets" in got["message"]


def test_send_reports_a_refusal_and_an_unreachable_host_without_the_url(caplog):
    caplog.set_level("DEBUG")
    refusing = Hook(status=500)
    try:
        dest = N.Destination(f"json://user:hunter2@127.0.0.1:{refusing.port}/hook")
        reason = N.send(dest, "t", "b")
        assert reason and "hunter2" not in reason
    finally:
        refusing.close()
    closed = N.Destination("json://user:hunter2@127.0.0.1:9/hook")
    reason = N.send(closed, "t", "b")
    assert reason and "hunter2" not in reason
    assert caplog.records, "Apprise logged nothing: the check below would prove nothing"
    assert "hunter2" not in caplog.text


def test_watcher_notifier_sends_each_signal_once_and_backs_off_a_failing_one(
    seeded_db, hook, caplog, burst_day
):
    """The seeded store signals on its burst day: the notifier (what the watcher calls after a
    cycle) delivers each signal once to a real webhook, not again on the next cycle, and a
    refusing destination is recorded with its backoff, its secret never in the log."""
    from dashboard.signals import latest
    from dashboard.store import Store

    caplog.set_level("INFO")
    now = datetime.combine(burst_day, datetime.min.time(), UTC) + timedelta(hours=18)
    with Store(seeded_db, readonly=True) as store:
        active, _ = latest.current(store, now.date())
    assert active, "the seeded burst must signal, or this test proves nothing"
    refusing = Hook(status=500)
    try:
        good = N.Destination(f"json://127.0.0.1:{hook.port}/hook")
        bad = N.Destination(f"json://user:hunter2@127.0.0.1:{refusing.port}/hook")
        notifier = latest.Notifier(seeded_db, [good, bad])
        assert notifier(now)
        notifier.join(60)
        assert notifier.last == (len(active), len(active))
        assert len(hook.received) == len(active)
        assert notifier(now + timedelta(minutes=1))
        notifier.join(60)
        # Sent ones are not sent again; the failing one waits out its backoff.
        assert notifier.last == (0, 0) and len(hook.received) == len(active)
        assert len(refusing.received) == len(active)
        notifier(now + N.RETRY_BASE + timedelta(minutes=2))
        notifier.join(60)
        assert notifier.last == (0, len(active)) and len(refusing.received) == 2 * len(active)
    finally:
        refusing.close()
    with Store(seeded_db, readonly=True) as store:
        rows = store.conn.execute(
            "SELECT destination, level, attempts FROM notifications ORDER BY attempts"
        ).fetchall()
    assert [r[2] for r in rows] == [0] * len(active) + [2] * len(active)
    assert all(r[1] for r in rows[: len(active)]) and not any(r[1] for r in rows[len(active) :])
    assert "hunter2" not in caplog.text and "hunter2" not in str(rows)
