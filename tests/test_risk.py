"""The risk formula: pinned behaviour (the pages quote dashboard.risk's docstring)."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from dashboard import risk

END = date(2026, 6, 30)


def days_ago(n: int) -> date:
    return END - timedelta(days=n)


def test_no_headlines_give_zero():
    assert risk.risk([], END) == 0.0
    assert risk.risk_from_pressure(0.0) == 0.0


def test_one_fresh_headline_at_full_score_matches_the_documented_formula():
    expected = 100 * (1 - math.exp(-1 / risk.K))
    assert math.isclose(risk.risk([(END, 1.0)], END), expected)


def test_half_life_halves_the_weight():
    assert math.isclose(risk.decay(risk.HALF_LIFE_DAYS), 0.5)
    assert math.isclose(risk.decay(2 * risk.HALF_LIFE_DAYS), 0.25)
    assert risk.decay(0) == 1.0
    # Headlines dated after the window's end count as fresh, never as more than fresh.
    assert risk.decay(-5) == 1.0


def test_more_recent_headlines_raise_risk():
    old = risk.risk([(days_ago(60), 0.8)], END)
    recent = risk.risk([(days_ago(2), 0.8)], END)
    assert 0 < old < recent


def test_higher_scores_raise_risk():
    low = risk.risk([(days_ago(3), 0.4)], END)
    high = risk.risk([(days_ago(3), 0.9)], END)
    assert 0 < low < high


def test_more_headlines_raise_risk():
    one = risk.risk([(days_ago(3), 0.7)], END)
    two = risk.risk([(days_ago(3), 0.7), (days_ago(4), 0.7)], END)
    assert one < two


def test_bounded_and_saturating():
    huge = risk.risk([(END, 1.0)] * 10_000, END)
    assert 99.9 < huge <= 100.0


def test_monotone_and_bounded_over_random_inputs():
    rng = random.Random(11)
    for _ in range(300):
        daily = [
            (days_ago(rng.randint(0, 400)), rng.random() * 5) for _ in range(rng.randint(0, 30))
        ]
        r = risk.risk(daily, END)
        assert 0.0 <= r <= 100.0
        # Adding any headline never lowers the risk.
        extra = (days_ago(rng.randint(0, 400)), rng.random())
        assert risk.risk([*daily, extra], END) >= r
        # Moving the reference day later (everything older) never raises it.
        assert risk.risk(daily, END + timedelta(days=rng.randint(1, 90))) <= r + 1e-9


def test_daily_sums_equal_per_headline_sums():
    # Working from daily score sums is exact: the pages use the rollups, not the rows.
    rows = [(days_ago(5), 0.6), (days_ago(5), 0.3), (days_ago(9), 0.9)]
    daily = [(days_ago(5), 0.9), (days_ago(9), 0.9)]
    assert math.isclose(risk.risk(rows, END), risk.risk(daily, END))


def test_headline_risk_is_its_best_theme_score():
    assert risk.headline_risk([0.2, 0.85, 0.5]) == 85.0
    assert risk.headline_risk([]) == 0.0
