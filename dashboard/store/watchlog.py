"""The watcher's tables: each feed's schedule, the fetch log, per-day coverage, the heartbeat.

Functions over a writes.Store (whose SQL this package owns). Every fetch outcome goes to
``fetch_log`` (bounded: LOG_DAYS of age and LOG_ROWS rows at most) and to ``feed_days``, one
row a feed a day, which is what coverage and the 30-day health read; it is kept DAYS_KEPT.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from dashboard.store.schema import iso

LOG_DAYS = 7
LOG_ROWS = 100_000
DAYS_KEPT = 400
HEARTBEAT_KEY = "watch_heartbeat"
REACHED = ("ok", "not_modified")  # outcomes where the feed answered


def record_fetch(
    store,
    feed_id: int,
    at: datetime,
    outcome: str,
    *,
    http_status: int | None = None,
    new: int = 0,
    error: str | None = None,
) -> None:
    """One fetch's outcome: ok | not_modified | failed | refused."""
    stamp = iso(at)
    reached = int(outcome in REACHED)
    with store.transaction():
        store.conn.execute(
            "INSERT INTO fetch_log (feed_id, at, outcome, http_status, new, error)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (feed_id, stamp, outcome, http_status, new, error),
        )
        # A refusal is our policy, not the feed's silence: it does not count as an attempt.
        if outcome != "refused":
            store.conn.execute(
                """INSERT INTO feed_days (day, feed_id, attempts, ok, new) VALUES (?, ?, 1, ?, ?)
                   ON CONFLICT (day, feed_id) DO UPDATE SET attempts = attempts + 1,
                     ok = ok + excluded.ok, new = new + excluded.new""",
                (stamp[:10], feed_id, reached, new),
            )


def record_refusal(store, feed_id: int, error: str, at: datetime) -> None:
    """A fetch our own policy refused (private address): shown on the feed row, but no
    failure counted and no backoff, so allowing it later fetches it at once."""
    with store.transaction():
        store.conn.execute(
            """UPDATE feeds SET last_attempt_at = ?, last_status = 'refused', last_error = ?,
                 next_attempt_at = NULL WHERE id = ?""",
            (iso(at), error, feed_id),
        )


def prune(store, now: datetime) -> int:
    """Drop log rows older than LOG_DAYS or beyond the newest LOG_ROWS, and day rows older
    than DAYS_KEPT; returns the log rows removed."""
    with store.transaction():
        removed = store.conn.execute(
            "DELETE FROM fetch_log WHERE at < ? OR id <= (SELECT max(id) FROM fetch_log) - ?",
            (iso(now - timedelta(days=LOG_DAYS)), LOG_ROWS),
        ).rowcount
        store.conn.execute(
            "DELETE FROM feed_days WHERE day < ?",
            (iso(now - timedelta(days=DAYS_KEPT))[:10],),
        )
    return removed


def set_schedule(store, feed_id: int, next_due: datetime | None, interval: float | None) -> None:
    with store.transaction():
        store.conn.execute(
            "UPDATE feeds SET next_due_at = ?, poll_interval = ? WHERE id = ?",
            (iso(next_due) if next_due else None, interval, feed_id),
        )


def watched_feeds(store) -> list[dict]:
    """Web feeds the watcher keeps fresh: id, url, next_due_at, next_attempt_at, last_status."""
    cur = store.conn.execute(
        "SELECT id, url, next_due_at, next_attempt_at, last_status FROM feeds"
        " WHERE is_demo = 0 AND (url LIKE 'http://%' OR url LIKE 'https://%')"
    )
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def clear_refused(store) -> int:
    """Make refused feeds due now: the settings they were refused under may have changed."""
    with store.transaction():
        return store.conn.execute(
            "UPDATE feeds SET next_due_at = NULL WHERE last_status = 'refused'"
        ).rowcount


def recent_rate(store, feed_id: int, now: datetime) -> tuple[int, str | None]:
    """(entries published in the week before now, the oldest one's date) for one feed.
    Estimated dates (entries that carried none) say when we fetched, not when it published."""
    row = store.conn.execute(
        "SELECT count(*), min(published_at) FROM headlines WHERE feed_id = ?"
        " AND published_estimated = 0 AND published_at >= ? AND published_at <= ?",
        (feed_id, iso(now - timedelta(days=7)), iso(now)),
    ).fetchone()
    return row[0], row[1]


def set_heartbeat(store, beat: dict) -> None:
    with store.transaction():
        store.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (HEARTBEAT_KEY, json.dumps(beat, sort_keys=True)),
        )


def heartbeat(store) -> dict | None:
    """The watcher's last cycle: at, cycle, feeds_ok, feeds_failing, next_due, pid."""
    text = store.get_meta(HEARTBEAT_KEY)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def feed_days(store, start: str, end: str) -> list[tuple]:
    """(day, feed_id, attempts, ok, new) for days start..end (YYYY-MM-DD, inclusive)."""
    if not store.db["feed_days"].exists():
        return []
    return store.conn.execute(
        "SELECT day, feed_id, attempts, ok, new FROM feed_days WHERE day >= ? AND day <= ?"
        " ORDER BY day, feed_id",
        (start, end),
    ).fetchall()


def fetch_log(store, feed_id: int | None = None) -> list[dict]:
    sql = "SELECT feed_id, at, outcome, http_status, new, error FROM fetch_log"
    params: tuple = ()
    if feed_id is not None:
        sql += " WHERE feed_id = ?"
        params = (feed_id,)
    cur = store.conn.execute(sql + " ORDER BY id", params)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
