"""The filters shared by every page, and their round trip through URL query parameters.

Query parameters, one name each, repeated for several values:
``window`` (7d, 30d, 90d, 1y: the last N days up to today, rolling forward) or
``from``, ``to`` (YYYY-MM-DD, fixed), ``company``, ``theme`` (theme ids), ``source``, ``q``, ``min_score``.
A bad value is dropped with a notice for the user, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

PRESETS = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}
QUERY_MAX = 200
PERIODS = ("day", "week", "month")


# -- periods: the one definition of a day, week (Monday to Sunday) and month -----------------
def period_bounds(period: object, kind: str) -> tuple[date, date]:
    """The first and last day of the period of kind day/week/month that starts on (or
    contains) ``period`` (a date or 'YYYY-MM-DD...' text)."""
    start = period if isinstance(period, date) else None
    if start is None:
        try:
            start = date.fromisoformat(str(period)[:10])
        except ValueError:
            raise ValueError(f"not a period: {period!r}") from None
    if kind == "week":
        start = start - timedelta(days=start.weekday())
        return start, start + timedelta(days=6)
    if kind == "month":
        start = start.replace(day=1)
        nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start, nxt - timedelta(days=1)
    return start, start


def period_starts(first: date, last: date, kind: str) -> list[date]:
    """Every period start from the period holding ``first`` to the one holding ``last``, so
    that a chart shows quiet periods (as zero) instead of skipping them."""
    out: list[date] = []
    start = period_bounds(first, kind)[0]
    while start <= last:
        out.append(start)
        start = period_bounds(start, kind)[1] + timedelta(days=1)
    return out


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None  # inclusive
    date_to: date | None = None  # inclusive
    companies: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    q: str = ""
    min_score: float | None = None
    # A preset ("90d") when the dates are the last N days up to the anchor (today): a link
    # then says window=90d and rolls forward, while from/to links stay fixed.
    window: str | None = None

    @property
    def days(self) -> int | None:
        if self.date_from and self.date_to:
            return (self.date_to - self.date_from).days + 1
        return None

    def previous_window(self) -> Filters | None:
        """The window of equal length just before this one (for 'change against')."""
        if not self.days:
            return None
        length = timedelta(days=self.days)
        return replace(
            self,
            date_from=self.date_from - length,
            date_to=self.date_to - length,
            window=None,
        )

    def with_preset(self, preset: str, today: date) -> Filters:
        """The last N days of the preset up to today (inclusive); 'all' drops the dates."""
        if preset == "all":
            return replace(self, date_from=None, date_to=None, window=None)
        return replace(
            self,
            date_from=today - timedelta(days=PRESETS[preset] - 1),
            date_to=today,
            window=preset,
        )

    def with_dates(self, date_from: date | None, date_to: date | None) -> Filters:
        """Fixed dates (no longer a rolling preset)."""
        return replace(self, date_from=date_from, date_to=date_to, window=None)

    @classmethod
    def from_params(
        cls,
        params: Mapping[str, object],
        *,
        companies: Iterable[str] | None = None,
        themes: Iterable[str] | None = None,
        sources: Iterable[str] | None = None,
        today: date | None = None,
    ) -> tuple[Filters, list[str]]:
        """Read filters from query parameters. Unknown values are dropped with a notice.

        companies/themes/sources, when given, are the known values; matching is
        case-insensitive and returns the canonical spelling. ``window`` (7d, 30d, 90d, 1y)
        is the last N days up to ``today`` and wins over from/to.
        """
        notices: list[str] = []

        def many(name: str) -> list[str]:
            value = params.get(name)
            if value is None:
                return []
            values = [value] if isinstance(value, str) else list(value)
            return [v.strip() for v in values if isinstance(v, str) and v.strip()]

        def one(name: str) -> str | None:
            values = many(name)
            return values[-1] if values else None

        def known(name: str, values: list[str], allowed: Iterable[str] | None) -> tuple[str, ...]:
            if allowed is None:
                return tuple(dict.fromkeys(values))
            lookup = {a.lower(): a for a in allowed}
            out = []
            for v in values:
                if v.lower() in lookup:
                    out.append(lookup[v.lower()])
                else:
                    notices.append(f"Unknown {name} '{v[:60]}' ignored.")
            return tuple(dict.fromkeys(out))

        def day(name: str) -> date | None:
            value = one(name)
            if value is None:
                return None
            try:
                return (
                    date.fromisoformat(value)
                    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
                    else _bad()
                )
            except ValueError:
                notices.append(f"Bad date '{value[:40]}' for '{name}' ignored (use YYYY-MM-DD).")
                return None

        date_from, date_to = day("from"), day("to")
        if date_from and date_to and date_from > date_to:
            notices.append("'from' is after 'to': the two dates were swapped.")
            date_from, date_to = date_to, date_from
        min_score = None
        raw = one("min_score")
        if raw is not None:
            try:
                min_score = float(raw)
                if not 0 <= min_score <= 1:
                    raise ValueError
            except ValueError:
                notices.append(f"Bad min_score '{raw[:20]}' ignored (a number from 0 to 1).")
                min_score = None
        q = (one("q") or "")[:QUERY_MAX]
        window = one("window")
        if window is not None and window.lower() not in PRESETS:
            notices.append(f"Unknown window '{window[:20]}' ignored (use {', '.join(PRESETS)}).")
            window = None
        elif window is not None:
            window = window.lower()
            if date_from or date_to:
                notices.append(f"window={window} was used; the link's from/to were ignored.")
        out = (
            cls(
                date_from=date_from,
                date_to=date_to,
                companies=known("company", many("company"), companies),
                themes=known("theme", many("theme"), themes),
                sources=known("source", many("source"), sources),
                q=q,
                min_score=min_score,
            ),
            notices,
        )
        if window is not None:
            return out[0].with_preset(window, today or datetime.now(UTC).date()), notices
        return out

    def to_params(self) -> dict[str, str | list[str]]:
        """Only what is set, so a link stays short; lists repeat the name."""
        out: dict[str, str | list[str]] = {}
        if self.window:
            out["window"] = self.window
        else:
            if self.date_from:
                out["from"] = self.date_from.isoformat()
            if self.date_to:
                out["to"] = self.date_to.isoformat()
        for name, values in (
            ("company", self.companies),
            ("theme", self.themes),
            ("source", self.sources),
        ):
            if values:
                out[name] = list(values)
        if self.q:
            out["q"] = self.q
        if self.min_score is not None:
            out["min_score"] = f"{self.min_score:g}"
        return out

    def slug(self, first: date | None = None, last: date | None = None) -> str:
        """A file-name-safe description of the filter, e.g. 'nvidia_geopolitics_2026-01-01_2026-03-31'.
        An open window is named by `first` (the data's first day) and `last` (today) when
        given, else 'start' and 'now'."""
        parts = [*self.companies, *self.themes, *self.sources]
        if self.q:
            parts.append("q-" + self.q)
        if self.min_score is not None:
            parts.append(f"min{self.min_score:g}")
        start = self.date_from or first
        end = self.date_to or last
        parts.append(start.isoformat() if start else "start")
        parts.append(end.isoformat() if end else "now")
        text = "_".join(parts).lower()
        return re.sub(r"[^a-z0-9._-]+", "-", text).strip("-")[:120] or "all"


def _bad():
    raise ValueError
