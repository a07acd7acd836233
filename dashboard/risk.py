"""The risk score: one number from 0 to 100 for a company and a theme.

In plain words
    Every headline that names a company and carries a theme adds its theme score (0 to 1)
    to that company-theme pair, discounted by its age: a headline loses half of its weight
    every 30 days (the half-life H), measured from the end of the date window shown, or from
    today when the window is open. The discounted sum R is turned into a score from 0 to 100:

        R    = sum over the headlines of  score x 0.5 ^ (age in days / 30)
        risk = 100 x (1 - e^(-R / 10))

    So no headlines give 0; more headlines, more recent headlines and higher-scoring headlines
    all raise the risk; and it approaches but never passes 100. The constant K = 10 sets the
    scale: ten fresh headlines at full score (R = 10) give a risk of 63, twenty give 86.
    Headlines dated after the window's end count as fresh (age 0).

    A company's overall risk uses the same formula over all its themed headlines: R is the
    sum of R over its themes, so a headline carrying two themes adds both of its scores.

The formula works from daily sums (the sum of scores of one day's headlines), which is what
the store's daily rollups hold, so the dashboard never needs the individual rows for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

HALF_LIFE_DAYS = 30.0
K = 10.0
_LN2 = math.log(2)


def decay(age_days: float, half_life: float = HALF_LIFE_DAYS) -> float:
    """Weight of a headline that is age_days old: 1 when fresh, 1/2 after one half-life."""
    return 0.5 ** (max(age_days, 0.0) / half_life)


def pressure(
    daily: Iterable[tuple[date, float]], end: date, half_life: float = HALF_LIFE_DAYS
) -> float:
    """R: the age-discounted sum of (day, score_sum) pairs as seen from `end`."""
    return sum(s * decay((end - d).days, half_life) for d, s in daily)


def risk_from_pressure(r: float, k: float = K) -> float:
    """Map R >= 0 onto 0..100; saturating, monotone, 0 for R = 0."""
    if r <= 0:
        return 0.0
    return 100.0 * (1.0 - math.exp(-r / k))


def risk(daily: Iterable[tuple[date, float]], end: date) -> float:
    """The risk (0..100) of one company-theme cell from its daily score sums."""
    return risk_from_pressure(pressure(daily, end))


def headline_risk(scores: Iterable[float]) -> float:
    """One headline's own weight in the CSV extract: its highest theme score x 100."""
    return 100.0 * max(scores, default=0.0)


# The same decay written for SQLite, so aggregates can be discounted where the rows are.
# :end is the reference day; `day` is the rollup's 'YYYY-MM-DD' column.
SQL_DECAY = f"exp(-{_LN2!r} * max(julianday(:end) - julianday({{day}}), 0) / {HALF_LIFE_DAYS!r})"
