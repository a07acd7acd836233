"""The synthetic demo generator: events told by several outlets in different words, the
scenarios the signals need, and the bundled files it wrote."""

from __future__ import annotations

import collections
import filecmp
from datetime import UTC, datetime, timedelta

import pytest

from dashboard import demo
from dashboard.config import DEMO_DIR
from dashboard.tagging.tagger import Tagger
from dashboard.tagging.taxonomy import load_taxonomy

END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def items():
    return list(demo.events(800, end=END, days=120))


def by_event(items):
    out = collections.defaultdict(list)
    for it in items:
        out[it.event].append(it)
    return out


def test_deterministic_for_a_seed():
    a = list(demo.events(500, seed=3, end=END))
    assert a == list(demo.events(500, seed=3, end=END))
    assert a != list(demo.events(500, seed=4, end=END))


def test_exactly_n_oldest_first_inside_the_window(items):
    assert len(items) == 800
    assert [i.published for i in items] == sorted(i.published for i in items)
    assert all(END - timedelta(days=120) <= i.published <= END for i in items)


def test_an_event_is_distinct_outlets_distinct_titles_within_36_hours(items):
    for event, told in by_event(items).items():
        assert len({t.outlet for t in told}) == len(told), event
        assert len({t.title for t in told}) == len(told), event
        times = [t.published for t in told]
        assert max(times) - min(times) <= demo.SPREAD, event
        assert len({(t.kind, t.theme, t.direction) for t in told}) == 1


def test_titles_rarely_repeat_and_a_third_of_events_have_one_outlet(items):
    assert len({i.title for i in items}) >= 0.97 * len(items)
    sizes = collections.Counter(len(t) for t in by_event(items).values())
    events = sum(sizes.values())
    assert 0.25 <= sizes[1] / events <= 0.45
    assert sum(v for k, v in sizes.items() if k >= 3) >= 0.2 * events


def test_escalating_easing_and_neutral_news_and_follow_ups(items):
    directions = collections.Counter(i.direction for i in items)
    assert directions["escalating"] and directions["easing"] and directions["neutral"]
    kinds = {i.kind for i in items}
    follow_ups = {f for k in demo.KINDS.values() if k.id in kinds for f in k.follow} & kinds
    assert follow_ups


def _scenario(kind):
    return next(s for s in demo.scenarios(end=END, days=120) if s.kind == kind)


def test_burst_rises_over_four_days_from_three_outlets(items):
    burst = _scenario("burst")
    tagger = Tagger(load_taxonomy())
    hits = collections.defaultdict(set)
    for it in items:
        if burst.start <= it.published <= burst.end and it.direction == "escalating":
            tags = tagger.tag(it.title, it.summary)
            if "Huawei" in {c.name for c in tags.companies} and "geopolitics" in tags.themes:
                hits[it.event].add(it.outlet)
    assert len(hits) >= 5
    assert len(set().union(*hits.values())) >= 3
    firsts = sorted(min(i.published for i in items if i.event == e).date() for e in hits)
    per_day = collections.Counter(firsts)
    days = sorted(per_day)
    assert len(days) >= 3 and per_day[days[-1]] >= per_day[days[0]]


def test_single_outlet_flood(items):
    flood = _scenario("flood")
    told = [
        i
        for i in items
        if flood.start <= i.published <= flood.end
        and i.outlet == demo.FLOOD_OUTLET
        and "Samsung" in i.title
    ]
    assert len(told) >= 18
    assert len({i.event for i in told}) == len(told)


def test_syndicated_event_in_all_six_outlets(items):
    told = [t for t in by_event(items).values() if len(t) == len(demo.OUTLETS)]
    assert len(told) == 1
    assert all("Nvidia" in t.title for t in told[0])


def test_coverage_gap_most_outlets_silent(items):
    gap = _scenario("gap")
    inside = collections.Counter(i.outlet for i in items if gap.start <= i.published < gap.end)
    assert set(inside) <= {demo.GAP_OUTLET}
    before = collections.Counter(
        i.outlet for i in items if gap.start - timedelta(days=8) <= i.published < gap.start
    )
    assert len(before) == len(demo.OUTLETS)


def test_different_events_close_in_time_are_worded_differently(items):
    words = [(i, set(i.title.lower().split())) for i in items]
    close = 0
    for k, (a, wa) in enumerate(words):
        for b, wb in words[k + 1 :]:
            if b.published - a.published > timedelta(hours=48):
                break
            if a.event != b.event and len(wa & wb) / len(wa | wb) >= 0.7:
                close += 1
    assert close <= 5


def test_bundled_files_are_what_the_generator_writes(tmp_path):
    end = demo.bundled_end(DEMO_DIR)
    demo.write_feeds(
        tmp_path,
        demo.BUNDLED_HEADLINES,
        seed=demo.BUNDLED_SEED,
        end=end,
        days=demo.BUNDLED_DAYS,
    )
    names = sorted(p.name for p in DEMO_DIR.glob("*.xml"))
    assert names == sorted(f"{slug}.xml" for slug in demo.SLUGS)
    match, mismatch, errors = filecmp.cmpfiles(DEMO_DIR, tmp_path, names, shallow=False)
    assert not mismatch and not errors


def test_headlines_for_the_store_keep_the_headline_model():
    hs = list(demo.headlines(300, end=END))
    assert len(hs) == 300 and len({h.id for h in hs}) == 300
    assert all(h.source.endswith("(synthetic)") for h in hs)
