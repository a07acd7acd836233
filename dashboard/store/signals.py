"""The signal detector's inputs and the notification ledger.

`story_events` reads the stories first seen in a date range, each with its outlets, its
companies and the themes it escalates; the detector (dashboard/signals/detect.py) does the
rest in Python. A story escalates a theme when more of its headlines carrying that theme
escalate than ease: one outlet's softer wording does not cancel an event.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

_EVENTS_SQL = """
SELECT s.id, substr(s.first_seen, 1, 10), h.source, h.companies, ht.theme, ht.direction
FROM stories s
JOIN headlines h ON h.story_id = s.id
LEFT JOIN headline_themes ht ON ht.headline_id = h.id AND ht.carried = 1
WHERE s.first_seen >= :start AND s.first_seen < :end
"""


def story_events(store, start: date, end: date) -> list[tuple]:
    """Stories first seen from start to end (inclusive) that escalate at least one theme, as
    (story id, first day, outlets, companies, escalated themes)."""
    outlets: dict[str, set[str]] = defaultdict(set)
    companies: dict[str, set[str]] = defaultdict(set)
    votes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    days: dict[str, str] = {}
    rows = store.conn.execute(
        _EVENTS_SQL,
        {"start": start.isoformat(), "end": (end + timedelta(days=1)).isoformat()},
    )
    for sid, day, source, names, theme, direction in rows:
        days[sid] = day
        outlets[sid].add(source)
        if names:
            companies[sid].update(names.split(";"))
        if theme is not None and direction:
            votes[sid][theme] += direction
    events = []
    for sid, by_theme in votes.items():
        escalating = tuple(sorted(t for t, v in by_theme.items() if v > 0))
        if escalating:
            events.append(
                (
                    sid,
                    date.fromisoformat(days[sid]),
                    frozenset(outlets[sid]),
                    tuple(sorted(companies[sid])),
                    escalating,
                )
            )
    return events


def ledger(store) -> list[tuple]:
    """(signal, destination, level sent, failed attempts, next try) of every ledger row."""
    return store.conn.execute(
        "SELECT signal, destination, level, attempts, next_try FROM notifications"
    ).fetchall()


def record_sent(store, signal: str, destination: str, level: str, now: str) -> None:
    with store.transaction():
        store.conn.execute(
            "INSERT INTO notifications (signal, destination, level, attempts, next_try, sent_at,"
            " last_error) VALUES (?, ?, ?, 0, NULL, ?, NULL) ON CONFLICT (signal, destination)"
            " DO UPDATE SET level = excluded.level, attempts = 0, next_try = NULL,"
            " sent_at = excluded.sent_at, last_error = NULL",
            (signal, destination, level, now),
        )


def record_failed(store, signal: str, destination: str, reason: str, next_try: str) -> None:
    with store.transaction():
        store.conn.execute(
            "INSERT INTO notifications (signal, destination, level, attempts, next_try,"
            " sent_at, last_error) VALUES (?, ?, NULL, 1, ?, NULL, ?)"
            " ON CONFLICT (signal, destination) DO UPDATE SET attempts = attempts + 1,"
            " next_try = excluded.next_try, last_error = excluded.last_error",
            (signal, destination, next_try, reason),
        )


def stories_by_id(store, ids: list[str]) -> list[tuple]:
    """(id, lead title, lead url, first seen, outlets) of the given stories, newest first."""
    if not ids:
        return []
    return store.conn.execute(
        "SELECT s.id, s.title, h.url, s.first_seen, s.outlets FROM json_each(?) j"
        " JOIN stories s ON s.id = j.value LEFT JOIN headlines h ON h.id = s.lead_id"
        " ORDER BY s.first_seen DESC",
        (json.dumps(ids),),
    ).fetchall()


_TOP_SQL = """
SELECT s.id, s.title, lead.url, s.first_seen, s.outlets, sum(ht.direction),
       group_concat(DISTINCT nullif(h.companies, ''))
FROM headline_themes ht
JOIN headlines h ON h.id = ht.headline_id
JOIN stories s ON s.id = h.story_id
LEFT JOIN headlines lead ON lead.id = s.lead_id
WHERE ht.theme = :theme AND ht.carried = 1
  AND ht.published_at >= :start AND ht.published_at < :end AND s.first_seen >= :start
GROUP BY s.id
ORDER BY s.outlets DESC, max(ht.score) DESC, s.first_seen DESC
LIMIT :limit
"""


def top_stories(store, theme: str, start: str, end: str, limit: int = 5) -> list[tuple]:
    """A theme's stories first seen from start (ISO time) to end, most outlets first:
    (id, title, url, first seen, outlets, direction sum, 'A;B,C' companies)."""
    return store.conn.execute(
        _TOP_SQL, {"theme": theme, "start": start, "end": end, "limit": limit}
    ).fetchall()


def newcomers(store, start: str, end: str, before: str) -> list[tuple]:
    """Companies in the news from start to end that were not from `before` to start:
    (company, stories), most stories first."""
    return store.conn.execute(
        """SELECT hc.company, count(DISTINCT coalesce(h.story_id, h.id))
           FROM headline_companies hc JOIN headlines h ON h.id = hc.headline_id
           WHERE hc.published_at >= :start AND hc.published_at < :end
             AND NOT EXISTS (SELECT 1 FROM headline_companies old
                             WHERE old.company = hc.company
                               AND old.published_at >= :before AND old.published_at < :start)
           GROUP BY hc.company ORDER BY 2 DESC, 1""",
        {"start": start, "end": end, "before": before},
    ).fetchall()


def first_headline(store) -> str | None:
    return store.conn.execute("SELECT min(published_at) FROM headlines").fetchone()[0]


def latest_headline(store) -> str | None:
    return store.conn.execute("SELECT max(published_at) FROM headlines").fetchone()[0]
