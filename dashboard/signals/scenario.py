"""Scenarios with a known truth for the signal detector: background news with a weekly rhythm,
then injected bursts, single-outlet floods, syndicated single events and outages.

Used by the tests and by `bench/bench_signals.py`; `score` turns the detector's daily output
into the figures issue-style goals speak of (recall of bursts, days to signal, false signals
per 30 days).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from dashboard.signals.detect import StoryEvent, detect, index_stories

THEMES = ("hardware_autonomy", "geopolitics", "supply_chain")
OUTLETS = tuple(f"outlet-{i:02d}" for i in range(20))


@dataclass(slots=True)
class Injected:
    kind: str  # burst | flood | syndicated | outage
    company: str
    theme: str
    start: date
    days: int
    story_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Scenario:
    start: date
    days: int
    stories: list[StoryEvent]
    coverage: dict[date, float]
    injected: list[Injected]

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


def background(
    seed: int, *, days: int = 180, companies: int = 20, start: date = date(2026, 1, 5)
) -> Scenario:
    """Escalating stories at each company x theme's own rate (most series quiet, a few
    busy), fewer at weekends, each told by 1-4 outlets; neutral and easing stories are not
    generated: the detector never sees them."""
    rng = random.Random(seed)
    names = [f"Company{i:02d}" for i in range(companies)]
    rates = {(c, t): rng.lognormvariate(-2.6, 1.0) for c in names for t in THEMES}
    stories: list[StoryEvent] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        weekday_factor = 0.4 if day.weekday() >= 5 else 1.1
        for (company, theme), rate in rates.items():
            for _ in range(_poisson(rng, min(rate, 1.5) * weekday_factor)):
                stories.append(_story(rng, f"bg-{len(stories)}", day, company, theme))
    return Scenario(start, days, stories, {}, [])


def inject(scenario: Scenario, seed: int, *, bursts: int = 6, quiet: bool = False) -> Scenario:
    """Add bursts (4-7 escalating stories within 3 days from >= 3 outlets), and, unless
    quiet, one single-outlet flood, one syndicated event and one outage of 4 days."""
    rng = random.Random(seed)
    companies = sorted({c for s in scenario.stories for c in s.companies}) or ["Company00"]
    first = scenario.start + timedelta(days=45)
    span = scenario.days - 45 - 5
    used: set[tuple[str, str]] = set()

    def pick() -> tuple[str, str, date]:
        while True:
            company, theme = rng.choice(companies), rng.choice(THEMES)
            if (company, theme) not in used:
                used.add((company, theme))
                return company, theme, first + timedelta(days=rng.randrange(span))

    for b in range(bursts):
        company, theme, day = pick()
        n = rng.randint(4, 7)
        outlets = rng.sample(OUTLETS, rng.randint(3, 6))
        event = Injected("burst", company, theme, day, 3)
        for i in range(n):
            when = day + timedelta(days=min(i * 3 // n, 2))
            told = frozenset(rng.sample(outlets, rng.randint(1, 2)) + [outlets[i % len(outlets)]])
            story = StoryEvent(f"burst{b}-{i}", when, told, (company,), (theme,))
            scenario.stories.append(story)
            event.story_ids.append(story.story_id)
        scenario.injected.append(event)
    if quiet:
        return scenario
    company, theme, day = pick()
    flood = Injected("flood", company, theme, day, 2)
    for i in range(20):
        story = StoryEvent(
            f"flood-{i}",
            day + timedelta(days=i % 2),
            frozenset({"spam-outlet"}),
            (company,),
            (theme,),
        )
        scenario.stories.append(story)
        flood.story_ids.append(story.story_id)
    company, theme, day = pick()
    syndicated = Injected("syndicated", company, theme, day, 1)
    scenario.stories.append(StoryEvent("synd-0", day, frozenset(OUTLETS), (company,), (theme,)))
    syndicated.story_ids.append("synd-0")
    _company, _theme, day = pick()
    outage = Injected("outage", "", "", day, 4)
    dark = {day + timedelta(days=i) for i in range(4)}
    for d in dark:
        scenario.coverage[d] = 0.2
    # The stories of dark days mostly go unseen: keep a fifth of them.
    scenario.stories = [s for s in scenario.stories if s.day not in dark or rng.random() < 0.2]
    scenario.injected += [flood, syndicated, outage]
    return scenario


@dataclass(slots=True)
class Score:
    bursts: int
    caught: int  # bursts signalled within a day of their last story
    delays: list[int]  # days from a burst's start to its first signal
    false_signals: int  # new signals not explained by an injected burst
    flood_or_outage_signals: int
    days_scored: int

    @property
    def recall(self) -> float:
        return self.caught / self.bursts if self.bursts else 1.0

    @property
    def false_per_30_days(self) -> float:
        return 30 * self.false_signals / self.days_scored if self.days_scored else 0.0


def score(scenario: Scenario, *, warmup: int = 40) -> Score:
    """Run the detector for every day after the warm-up, as a daily watcher would, and match
    new signals to the injected events."""
    bursts = [e for e in scenario.injected if e.kind == "burst"]
    bad = [e for e in scenario.injected if e.kind in ("flood", "syndicated", "outage")]
    first_signal: dict[int, date] = {}
    seen: set[tuple] = set()
    false = bad_hits = 0
    days = 0
    index = index_stories(scenario.stories)
    for offset in range(warmup, scenario.days):
        day = scenario.start + timedelta(days=offset)
        days += 1
        active, _ended = detect(index, day, scenario.coverage, lookback=0)
        for signal in active:
            key = (signal.company, signal.theme, signal.since)
            if key in seen:
                continue
            seen.add(key)
            hit = [
                i
                for i, b in enumerate(bursts)
                if set(b.story_ids) & set(signal.story_ids)
                and signal.company in (None, b.company)
                and signal.theme in (None, b.theme)
            ]
            for i in hit:
                first_signal.setdefault(i, day)
            if hit:
                continue
            false += 1
            if any(set(e.story_ids) & set(signal.story_ids) for e in bad) or any(
                e.kind == "outage" and e.start <= day < e.start + timedelta(days=e.days + 3)
                for e in bad
            ):
                bad_hits += 1
    caught = 0
    delays = []
    for i, burst in enumerate(bursts):
        if i not in first_signal:
            continue
        delays.append((first_signal[i] - burst.start).days)
        if first_signal[i] <= burst.start + timedelta(days=burst.days):
            caught += 1
    return Score(len(bursts), caught, delays, false, bad_hits, days)


def _story(rng: random.Random, sid: str, day: date, company: str, theme: str) -> StoryEvent:
    outlets = frozenset(rng.sample(OUTLETS, rng.choice((1, 1, 1, 2, 2, 3, 4))))
    return StoryEvent(sid, day, outlets, (company,), (theme,))


def _poisson(rng: random.Random, mu: float) -> int:
    # Knuth's method: small means only, which is all the background needs.
    limit, k, p = pow(2.718281828459045, -mu), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
