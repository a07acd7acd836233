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


def current(store, as_of: date | None = None) -> tuple[list[detect.Signal], list[detect.Signal]]:
    """(signals on as_of strongest first, signals that ended in the week before)."""
    as_of = as_of or datetime.now(UTC).date()
    start = as_of - timedelta(days=HISTORY_DAYS)
    events = [detect.StoryEvent(*row) for row in stored.story_events(store, start, as_of)]
    return detect.detect(events, as_of, coverage_shares(store, start, as_of))


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
