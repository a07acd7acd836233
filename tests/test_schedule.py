"""The scheduling rules, as pure functions: intervals, publisher hints, backoff, jitter."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from dashboard import coverage
from dashboard.errors import ChipwatchError
from dashboard.ingest import schedule as s

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"), [("900", 900), ("15m", 900), ("24h", 86400), ("1d", 86400), ("2.5h", 9000)]
)
def test_durations_read_as_seconds(text, seconds):
    assert s.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "fast", "-5", "5 weeks", "0"])
def test_bad_durations_are_refused_with_a_clear_error(text):
    with pytest.raises(ChipwatchError, match="duration"):
        s.parse_duration(text)


def test_interval_is_a_week_over_the_entries_a_week_clamped():
    assert s.adaptive_interval(7, 300, 86400) == 86400  # daily feed: 24 h
    assert s.adaptive_interval(168, 300, 86400) == 3600  # hourly feed: 1 h
    assert s.adaptive_interval(10_000, 300, 86400) == 300  # busier than the floor
    assert s.adaptive_interval(0, 300, 86400) == 86400  # silent: the longest wait
    assert s.adaptive_interval(1, 300, 86400) == 86400  # a week apart, clamped


def test_rate_is_measured_over_the_span_the_entries_cover():
    # 20 entries in the last 20 minutes is a busy stream, not "20 a week".
    busy = s.entries_per_week(20, NOW - timedelta(minutes=20), NOW)
    assert s.adaptive_interval(busy, 300, 86400) == 300
    # A single fresh entry counts over at least an hour.
    assert s.entries_per_week(1, NOW - timedelta(seconds=5), NOW) == s.WEEK / 3600
    assert s.entries_per_week(14, NOW - timedelta(days=30), NOW) == 14
    assert s.entries_per_week(0, None, NOW) == 0


def test_retry_after_in_seconds_or_as_an_http_date():
    assert s.retry_after("120", NOW) == 120
    assert s.retry_after("Mon, 01 Jun 2026 12:10:00 GMT", NOW) == 600
    assert s.retry_after("Mon, 01 Jun 2026 11:00:00 GMT", NOW) == 0  # already past
    assert s.retry_after("soon", NOW) is None and s.retry_after(None, NOW) is None


def test_cache_lifetime_max_age_wins_over_expires():
    expires = "Mon, 01 Jun 2026 13:00:00 GMT"
    assert s.cache_lifetime({"cache-control": "public, max-age=600"}, NOW) == 600
    assert s.cache_lifetime({"cache-control": "max-age=600", "expires": expires}, NOW) == 600
    assert s.cache_lifetime({"expires": expires}, NOW) == 3600
    assert s.cache_lifetime({"expires": "0"}, NOW) is None
    assert s.cache_lifetime({"cache-control": "no-cache"}, NOW) is None


def test_the_larger_hint_wins_and_retry_after_counts_only_on_429_and_503():
    headers = {"cache-control": "max-age=600", "retry-after": "1200"}
    assert s.hinted(headers, 200, None, NOW) == 600
    assert s.hinted(headers, 200, 30, NOW) == 1800  # <ttl> is in minutes
    assert s.hinted(headers, 429, None, NOW) == 1200
    assert s.hinted(headers, 503, None, NOW) == 1200
    assert s.hinted({"retry-after": "99999999"}, 429, None, NOW) == s.HINT_CAP
    assert s.hinted(None, None, None, NOW) == 0


def test_success_takes_the_larger_of_rate_and_hint_and_jitter_only_adds():
    rng = random.Random(3)
    for _ in range(200):
        due, interval = s.next_success(
            NOW, per_week=10_000, hint=600, min_interval=300, max_interval=86400, rng=rng
        )
        assert interval == 600
        assert 600 <= (due - NOW).total_seconds() <= 600 * (1 + s.JITTER)


def test_failure_waits_for_the_backoff_or_retry_after_whichever_is_later():
    rng = random.Random(5)
    due, interval = s.next_failure(
        NOW, backoff_until=NOW + timedelta(seconds=60), hint=120, rng=rng
    )
    assert interval == 120 and due >= NOW + timedelta(seconds=120)
    due, interval = s.next_failure(
        NOW, backoff_until=NOW + timedelta(seconds=900), hint=120, rng=rng
    )
    assert interval == 900 and due >= NOW + timedelta(seconds=900)


def test_coverage_marks_days_when_fewer_than_half_the_usual_feeds_answered():
    rows = []
    start = NOW.date()
    for offset in range(10):
        day = (start + timedelta(days=offset)).isoformat()
        answered = 2 if offset == 8 else 10  # day 8: most feeds were silent
        rows += [(day, feed, 3, 3 if feed < answered else 0, 1) for feed in range(10)]
    days = coverage.daily(rows, start, start + timedelta(days=10))
    assert [d.day for d in days if d.low] == [
        (start + timedelta(days=8)).isoformat(),
        (start + timedelta(days=10)).isoformat(),  # no fetch at all that day
    ]
    assert days[8].feeds_tried == 10 and days[8].feeds_reachable == 2 and days[8].usual == 10
    assert days[0].usual is None and not days[0].low  # no history yet: no judgement


def test_feed_health_counts_fetches_and_days():
    rows = [("2026-06-01", 1, 4, 4, 2), ("2026-06-02", 1, 4, 0, 0), ("2026-06-02", 2, 1, 1, 0)]
    health = coverage.health(rows)
    assert health[1] == coverage.Health(attempts=8, ok=4, days=2, days_ok=1)
    assert health[1].text() == "1/2 days, 50 % of fetches"
    assert health[2].text() == "1/1 days, 100 % of fetches"
