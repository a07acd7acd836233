"""Coverage: how much of the news we could see, day by day. A silent feed is not calm news.

Pure functions of the per-feed, per-day fetch counts (store/watchlog ``feed_days`` rows:
day, feed_id, attempts, ok, new). One rule for "low coverage": fewer than half of the feeds
that usually answer (the median over the USUAL_DAYS days before) answered that day.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

USUAL_DAYS = 14
LOW_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Day:
    day: str
    feeds_tried: int
    feeds_reachable: int
    headlines: int
    usual: float | None  # median feeds reachable over the days before (None: no history)
    low: bool


@dataclass(frozen=True, slots=True)
class Health:
    attempts: int
    ok: int
    days: int  # days the feed was tried
    days_ok: int  # days it answered at least once

    def text(self) -> str:
        if not self.attempts:
            return "no fetches"
        return f"{self.days_ok}/{self.days} days, {100 * self.ok / self.attempts:.0f} % of fetches"


def daily(rows: Iterable[tuple], start: date, end: date) -> list[Day]:
    """One Day for every date from start to end (inclusive), empty days included: a day no
    fetch was made is the blindest of all."""
    tried: dict[str, int] = defaultdict(int)
    reached: dict[str, int] = defaultdict(int)
    heads: dict[str, int] = defaultdict(int)
    for day, _feed, attempts, ok, new in rows:
        tried[day] += attempts > 0
        reached[day] += ok > 0
        heads[day] += new
    out: list[Day] = []
    history: list[int] = []
    current = start
    while current <= end:
        key = current.isoformat()
        usual = statistics.median(history[-USUAL_DAYS:]) if history else None
        n = reached.get(key, 0)
        out.append(
            Day(
                key,
                tried.get(key, 0),
                n,
                heads.get(key, 0),
                usual,
                bool(usual) and n < LOW_SHARE * usual,
            )
        )
        if tried.get(key):
            history.append(n)
        current += timedelta(days=1)
    return out


def low_days(days: Iterable[Day]) -> list[str]:
    return [d.day for d in days if d.low]


def health(rows: Iterable[tuple]) -> dict[int, Health]:
    """Each feed's record over the rows given (the last 30 days on the Feeds page)."""
    acc: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for _day, feed, attempts, ok, _new in rows:
        cell = acc[feed]
        cell[0] += attempts
        cell[1] += ok
        cell[2] += attempts > 0
        cell[3] += ok > 0
    return {feed: Health(*cell) for feed, cell in acc.items()}
