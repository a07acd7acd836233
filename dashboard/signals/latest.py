"""The signals as of a day, read from the store, and the notifications they are owed.

Shared by `chipwatch signals`, `chipwatch digest`, the Signals page and the watcher, so all
of them show the same list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dashboard.signals import detect
from dashboard.signals.notify import (
    Destination,
    LedgerRow,
    due,
    message,
    retry_at,
    send,
    signal_key,
)
from dashboard.store import signals as stored
from dashboard.store.schema import iso

# Days the detector reads before as_of: the window and baseline of the oldest day it
# evaluates (an ended signal up to ENDED_DAYS back, whose run may reach a baseline further).
HISTORY_DAYS = detect.WINDOW + 2 * detect.BASELINE + detect.ENDED_DAYS


def coverage_shares(store, start: date, end: date) -> dict[date, float]:
    """Share of the usual feeds that answered, for days the fetch log knows; other days
    are absent (read as covered): entries carry their own dates, so a day without a fetch
    of its own is still seen by the next fetch."""
    try:
        from dashboard.store.queries import coverage
    except ImportError:  # a store without the fetch log
        return {}
    shares = {}
    for day in coverage(store, start, end):
        if day.feeds_tried and day.usual:
            shares[date.fromisoformat(day.day)] = min(day.feeds_reachable / day.usual, 1.0)
    return shares


def default_as_of(latest_day: date | None, today: date | None = None) -> date:
    """The day signals are read for when none is named: today, or the day of the latest
    headline when nothing came in since (a store nobody fed for a week shows the signals it
    last had, dated, rather than an empty list that reads as calm)."""
    today = today or datetime.now(UTC).date()
    return min(latest_day, today) if latest_day else today


def latest_day(store) -> date | None:
    latest = stored.latest_headline(store)
    return date.fromisoformat(latest[:10]) if latest else None


def first_day(store) -> date | None:
    first = stored.first_headline(store)
    return date.fromisoformat(first[:10]) if first else None


def current(store, as_of: date | None = None) -> tuple[list[detect.Signal], list[detect.Signal]]:
    """(signals on as_of strongest first, signals that ended in the week before)."""
    as_of = as_of or datetime.now(UTC).date()
    start = as_of - timedelta(days=HISTORY_DAYS)
    events = [detect.StoryEvent(*row) for row in stored.story_events(store, start, as_of)]
    return detect.detect(
        events, as_of, coverage_shares(store, start, as_of), blind_before=first_day(store)
    )


def notify(
    store, destinations: list[Destination], now: datetime | None = None, theme_labels=None
) -> tuple[int, int]:
    """Send what is due; (sent, failed). A failing destination is recorded with its next
    try and the others go on."""
    if not destinations:
        return 0, 0
    now = now or datetime.now(UTC)
    active, _ended = current(store, now.date())
    book = {
        (sig, dest): LedgerRow(level, attempts, datetime.fromisoformat(nt) if nt else None)
        for sig, dest, level, attempts, nt in stored.ledger(store)
    }
    sent = failed = 0
    for signal, dest in due(active, destinations, book, now):
        key = signal_key(signal)
        reason = send(dest, *message(signal, theme_labels))
        if reason is None:
            stored.record_sent(store, key, dest.key, signal.level, iso(now))
            sent += 1
        else:
            row = book.get((key, dest.key))
            attempts = (row.attempts if row else 0) + 1
            stored.record_failed(store, key, dest.key, reason, iso(retry_at(attempts, now)))
            failed += 1
    return sent, failed


class Notifier:
    """Sends what is due after each watcher cycle, in a thread of its own with its own
    connection, so a slow or failing destination never holds up the next fetch. A cycle that
    ends while the previous send is still running skips its turn (the ledger keeps what is
    still owed for the next one)."""

    def __init__(self, db_path, destinations: list[Destination], theme_labels=None) -> None:
        self.db_path = db_path
        self.destinations = destinations
        self.theme_labels = theme_labels
        self._thread = None
        self.last: tuple[int, int] | None = None  # (sent, failed) of the last finished run

    def __call__(self, now: datetime | None = None) -> bool:
        """Start a send in the background; False when the previous one is still running or
        there is nowhere to send."""
        import threading

        if not self.destinations or (self._thread and self._thread.is_alive()):
            return False
        self._thread = threading.Thread(target=self._run, args=(now,), daemon=True)
        self._thread.start()
        return True

    def join(self, timeout: float | None = None) -> None:
        if self._thread:
            self._thread.join(timeout)

    def _run(self, now: datetime | None) -> None:
        import logging

        from dashboard.store import Store

        log = logging.getLogger("chipwatch.notify")
        try:
            with Store(self.db_path) as store:
                self.last = notify(store, self.destinations, now, self.theme_labels)
        except Exception as exc:  # a notification must never take the watcher down
            log.warning("notifications not sent: %s", type(exc).__name__)
            return
        sent, failed = self.last
        if sent or failed:
            # Destinations are named by count only: a URL can hold a token.
            log.info("notifications: %d sent, %d failed (retried with backoff)", sent, failed)
