"""When to fetch a feed next: pure functions of what the feed said and what it published.

The rules follow the feed readers that learned them the hard way (Miniflux, FreshRSS):
- the base interval comes from the feed's own rate, one week ÷ entries per week, clamped
  between the watcher's --min-interval and --max-interval;
- the publisher's hints (RSS ``<ttl>``, ``Cache-Control: max-age``, ``Expires``, and on 429 or
  503 ``Retry-After``) are honoured by taking the larger interval, up to HINT_CAP so that one
  odd header cannot silence a feed for good;
- a failure waits for the store's exponential backoff, or for Retry-After when longer;
- jitter is only ever added, never taken away, so a hint is never undercut, and feeds that
  were added together drift apart instead of hitting their hosts in step.
Nothing here reads a clock: "now" is always an argument.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from dashboard.errors import ChipwatchError

WEEK = 7 * 24 * 3600.0
DEFAULT_MIN = 5 * 60.0
DEFAULT_MAX = 24 * 3600.0
HINT_CAP = 7 * 24 * 3600.0
# The shortest span a rate is measured over: one fresh entry alone does not make a feed busy.
MIN_SPAN = 3600.0
JITTER = 0.1  # up to 10 % of the interval is added at random
RETRY_STATUSES = frozenset({429, 503})

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.I)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds from "900", "15m", "24h", "1d"; raises ChipwatchError on anything else."""
    match = _DURATION.match(str(text))
    if not match:
        raise ChipwatchError(f"{text!r}: not a duration (seconds, or a number with s, m, h or d)")
    seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds < 1:
        raise ChipwatchError(f"{text!r}: a duration must be at least one second")
    return seconds


def entries_per_week(count: int, oldest: datetime | None, now: datetime) -> float:
    """The feed's rate from its entries published in the last week (count of them, and the
    oldest one's date). Measured over the span they cover, at least MIN_SPAN: a feed that
    shows its last 20 minutes of a busy stream is busy, not "20 a week"."""
    if count <= 0 or oldest is None:
        return 0.0
    span = min(WEEK, max(MIN_SPAN, (now - oldest).total_seconds()))
    return count * WEEK / span


def adaptive_interval(per_week: float, min_interval: float, max_interval: float) -> float:
    """One week ÷ entries per week, clamped; a feed with nothing this week waits the most."""
    if per_week <= 0:
        return max_interval
    return min(max_interval, max(min_interval, WEEK / per_week))


def _http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds asked for by a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    moment = _http_date(value)
    return max(0.0, (moment - now).total_seconds()) if moment else None


def cache_lifetime(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds the response says it stays fresh: Cache-Control max-age wins over Expires
    (RFC 9111 §5.3), as a cache would read them."""
    control = headers.get("cache-control") or ""
    match = re.search(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", control, re.I)
    if match:
        return float(match.group(1))
    expires = headers.get("expires")
    if expires:
        moment = _http_date(expires)
        # An unreadable Expires means "already expired" (RFC 9111 §5.3): no hint, then.
        if moment is not None:
            return max(0.0, (moment - now).total_seconds())
    return None


def hinted(
    headers: Mapping[str, str] | None, status: int | None, ttl_minutes: int | None, now: datetime
) -> float:
    """The longest wait the publisher asked for (0 when it asked for none), capped."""
    headers = headers or {}
    hints = [cache_lifetime(headers, now)]
    if ttl_minutes and ttl_minutes > 0:
        hints.append(ttl_minutes * 60.0)
    if status in RETRY_STATUSES:
        hints.append(retry_after(headers.get("retry-after"), now))
    return min(HINT_CAP, max([h for h in hints if h is not None] or [0.0]))


def jitter(interval: float, rng: random.Random) -> float:
    return interval * JITTER * rng.random()


def next_success(
    now: datetime,
    *,
    per_week: float,
    hint: float,
    min_interval: float,
    max_interval: float,
    rng: random.Random,
) -> tuple[datetime, float]:
    """(next due, interval in seconds) after a fetch that worked (new entries or 304)."""
    interval = max(adaptive_interval(per_week, min_interval, max_interval), hint)
    return now + timedelta(seconds=interval + jitter(interval, rng)), interval


def next_failure(
    now: datetime, *, backoff_until: datetime | None, hint: float, rng: random.Random
) -> tuple[datetime, float]:
    """(next due, interval) after a failure: the store's backoff or the hint, the later."""
    backoff = (backoff_until - now).total_seconds() if backoff_until else 0.0
    interval = max(backoff, hint, 1.0)
    return now + timedelta(seconds=interval + jitter(interval, rng)), interval


def humanize(seconds: float | None) -> str:
    """ "5 min", "2.5 h", "1 d": intervals as an analyst reads them."""
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    return f"{seconds / 86400:.1f} d".replace(".0 d", " d")
