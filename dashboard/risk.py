"""The risk score: one number from 0 to 100 for a company and a theme.

In plain words
    Every headline that names a company and carries a theme adds its theme score (0 to 1)
    to that company-theme pair, signed by the headline's direction for the theme and
    discounted by its age: escalating news counts in full (w = 1), news about the theme
    without a direction at half (w = 0.5), and easing news takes pressure away (w = -1):
    "US lifts licence requirement" lowers geopolitics risk where "US adds 140 firms to the
    entity list" raises it. A headline loses half of its weight every 30 days (the
    half-life H), measured from the end of the date window shown, or from today when the
    window is open. The discounted sum R is turned into a score from 0 to 100:

        R    = sum over the headlines of  w(direction) x score x share x 0.5 ^ (age in days / 30)
        risk = 100 x (1 - e^(-max(R, 0) / 10))

    One event carried by several outlets is one story, and counts once, weighted by the
    square root of its outlets: five outlets weigh 2.2, not 5. Its headlines share that
    weight (`share`), in the order the outlets were seen: the first headline from the
    k-th outlet of the story adds sqrt(k) - sqrt(k - 1) (1, then 0.41, 0.32, ...), a
    second copy from an outlet already counted adds nothing. A headline not yet given a
    story has share 1.

    So no headlines give 0; more stories, more outlets, more recent and higher-scoring
    escalating headlines all raise the risk; and it approaches but never passes 100. The constant K = 10 sets the
    scale: ten fresh headlines at full score (R = 10) give a risk of 63, twenty give 86.
    Headlines dated after the window's end count as fresh (age 0). Easing news can bring a
    pair's R down to 0 (no risk), never below: relief in one pair is not credit for another.

    A company's overall risk uses the same formula over all its themed headlines: R is the
    sum over its themes of max(R, 0), so a headline carrying two themes adds both of its
    scores, and easing supply news does not cancel escalating geopolitics.

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


# w(direction): escalating +1, neutral (about the theme, no direction) +0.5, easing -1.
DIRECTION_WEIGHTS = {1: 1.0, 0: 0.5, -1: -1.0}


def direction_weight(direction: int | None) -> float:
    return DIRECTION_WEIGHTS.get(direction or 0, DIRECTION_WEIGHTS[0])


def sql_direction_weight(column: str) -> str:
    """direction_weight() written for SQLite over an integer column (NULL is neutral); the
    store's rollups weigh theme scores with it; tests/test_risk.py holds the two equal."""
    w = DIRECTION_WEIGHTS
    return f"(CASE {column} WHEN 1 THEN {w[1]!r} WHEN -1 THEN {w[-1]!r} ELSE {w[0]!r} END)"


def decay(age_days: float, half_life: float = HALF_LIFE_DAYS) -> float:
    """Weight of a headline that is age_days old: 1 when fresh, 1/2 after one half-life.
    A negative age (dated after the reference day) counts as fresh, never as more."""
    return 0.5 ** (max(age_days, 0.0) / half_life)


def sql_decay(day: str, end: str = ":end") -> str:
    """decay() written for SQLite: the weight of rows dated `day` seen from `end`, both SQL
    expressions of 'YYYY-MM-DD' text. The store discounts its daily rollups with it, where the
    rows are; tests/test_risk.py holds it to decay() on random rows."""
    return f"exp(-{_LN2!r} * max(julianday({end}) - julianday({day}), 0) / {HALF_LIFE_DAYS!r})"


def pressure(daily: Iterable[tuple[date, float]], end: date) -> float:
    """R: the age-discounted sum of (day, score_sum) pairs as seen from `end` (the Python twin
    of summing score_sum x sql_decay in SQL)."""
    return sum(s * decay((end - d).days) for d, s in daily)


def rebase(r_at_end: float, end: date, ref: date) -> float:
    """R seen from an earlier day `ref`, given R seen from `end`, for rows all dated on or
    before `ref`: each weight grows by 1 / decay(end - ref). The store sums a heatmap's
    periods as seen from the window's end in SQL and moves each period ending before it to
    its own end here, so SQL needs no date arithmetic per period."""
    return r_at_end / decay((end - ref).days)


def risk_from_pressure(r: float, k: float = K) -> float:
    """Map R onto 0..100; saturating, monotone, 0 for R <= 0 (easing outweighs)."""
    if r <= 0:
        return 0.0
    return 100.0 * (1.0 - math.exp(-r / k))


def headline_risk(scores: Iterable[float]) -> float:
    """One headline's own weight in the CSV extract: its highest theme score x 100."""
    return 100.0 * max(scores, default=0.0)
