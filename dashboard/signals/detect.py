"""What is rising now: escalating stories in the recent window against each series' own normal.

A series is one company x theme, one company (any theme) or one theme (any company). Each day
it counts the escalating stories first seen that day (a story, not its copies: one event
syndicated by twenty outlets is one story). The detector compares the last WINDOW days with
the BASELINE days before them:

    rate     = (stories in the baseline days + PRIOR_STORIES) / (covered baseline days + PRIOR_DAYS)
    expected = rate x WINDOW x (recent coverage)
    surprise = P(X >= observed | Poisson(expected))

and raises a signal when the window holds at least MIN_STORIES distinct stories from at least
MIN_OUTLETS distinct outlets, at least RATIO x expected, with a surprise below P_WATCH.

Why each guard:
- Coverage: a day when few of the usual feeds answered is not a quiet day. Baseline days
  below MIN_COVERAGE are left out of the rate, and the others count as `stories / coverage`,
  so an outage in the baseline cannot make today look high. The window's expectation is not
  lowered for its own outage (a blind day must not make two stories look like a burst); a
  signal over a low-coverage window says so (`low_coverage`).
- Too little history: a series needs MIN_HISTORY covered baseline days; the days before the
  store's first headline count as not covered (`blind_before`), so the first days of a new
  database do not signal on everything.
- Tiny or zero baselines: the prior (PRIOR_STORIES over PRIOR_DAYS, a story every ten days, worth a few days of data)
  keeps a series that was silent for four weeks from signalling on its first two stories.
- Floods: the stories told by the window's most prolific outlet alone are left out of the
  count, so one outlet posting twenty items adds nothing; one story syndicated twenty times
  is one story. Neither passes MIN_STORIES / MIN_OUTLETS.
- Repeats: a series that signals on consecutive days is one signal, with `since` the first
  day of the run; a parent series (a company, a theme) whose stories all sit in a signalling
  child series (that company x theme) is not listed again.

Pure: stories and coverage in, signals out. The store reads the inputs (store/queries.py).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

WINDOW = 3  # days in the recent window, as_of included
BASELINE = 28  # days before the window that make a series' normal
MIN_STORIES = 4
MIN_OUTLETS = 3
SOLO_CAP = 1
RATIO = 3.0
PRIOR_STORIES = 0.25
PRIOR_DAYS = 2.5
MIN_COVERAGE = 0.25
MIN_HISTORY = 7  # covered baseline days a series needs before it can signal
LOW_COVERAGE = 0.5
# Surprise (Poisson upper tail) at or below which a level is reached.
P_WATCH = 5e-4
P_ELEVATED = 1e-5
P_HIGH = 1e-8
LEVELS = ("watch", "elevated", "high")
ENDED_DAYS = 7  # a signal that ended within this many days is listed as ended


@dataclass(frozen=True, slots=True)
class StoryEvent:
    """One story as the detector sees it: first seen on `day`, told by `outlets`, about
    `companies`, escalating in `themes` (themes carried with an escalating direction)."""

    story_id: str
    day: date
    outlets: frozenset[str]
    companies: tuple[str, ...]
    themes: tuple[str, ...]


Series = tuple[str | None, str | None]  # (company or None, theme or None)


@dataclass(slots=True)
class Signal:
    company: str | None
    theme: str | None
    level: str
    stories: int  # escalating stories in the window
    counted: int  # of those, the ones the test counts (not one outlet's alone, see above)
    outlets: int  # distinct outlets behind them
    expected: float  # stories the series' own normal gives the window
    baseline: float  # stories a day in the baseline (coverage-adjusted)
    surprise: float  # P(X >= stories) under the normal
    since: date  # first day of this run of signalling days
    as_of: date
    coverage: float  # mean coverage of the window's days (1 = every usual feed answered)
    story_ids: list[str] = field(default_factory=list)
    series: list[int] = field(default_factory=list)  # stories a day, baseline + window
    ended: date | None = None  # last signalling day, for a signal that has ended

    @property
    def low_coverage(self) -> bool:
        return self.coverage < LOW_COVERAGE

    def name(self, labels: Mapping[str, str]) -> str:
        """The series as every reader shows it: 'Nvidia × Geopolitics', 'Nvidia',
        'Geopolitics' or 'All news' (theme ids shown by their labels)."""
        theme = labels.get(self.theme or "", self.theme or "")
        return " × ".join(x for x in (self.company, theme) if x) or "All news"

    def as_dict(self) -> dict:
        return {
            "company": self.company,
            "theme": self.theme,
            "level": self.level,
            "stories": self.stories,
            "counted": self.counted,
            "outlets": self.outlets,
            "expected": round(self.expected, 3),
            "baseline": round(self.baseline, 4),
            "surprise": self.surprise,
            "since": self.since.isoformat(),
            "as_of": self.as_of.isoformat(),
            "ended": self.ended.isoformat() if self.ended else None,
            "coverage": round(self.coverage, 3),
            "low_coverage": self.low_coverage,
            "story_ids": self.story_ids,
        }


def series_keys(story: StoryEvent) -> list[Series]:
    """The series one escalating story counts in."""
    if not story.themes:
        return []
    keys: list[Series] = [(None, t) for t in story.themes]
    for company in story.companies:
        keys.append((company, None))
        keys += [(company, t) for t in story.themes]
    return keys


def poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    term = math.exp(-mu)
    below = term
    for i in range(1, k):
        term *= mu / i
        below += term
    return max(0.0, 1.0 - below) if below < 0.999 else _upper_tail(k, mu)


def _upper_tail(k: int, mu: float) -> float:
    # Sum the tail directly where 1 - P(X < k) would lose every digit to cancellation.
    term = math.exp(k * math.log(mu) - mu - math.lgamma(k + 1))
    total, i = 0.0, k
    while term > total * 1e-17 and i < k + 10_000:
        total += term
        i += 1
        term *= mu / i
    return total


def level_for(surprise: float) -> str | None:
    if surprise <= P_HIGH:
        return "high"
    if surprise <= P_ELEVATED:
        return "elevated"
    if surprise <= P_WATCH:
        return "watch"
    return None


Days = Mapping[date, Mapping[str, frozenset[str]]]  # day -> {story id: its outlets}


def index_stories(stories: Iterable[StoryEvent]) -> dict[Series, dict[date, dict]]:
    """Each series' stories by day (one entry a story however many series it counts in).
    Build it once and pass it to `detect` for several days: a day's evaluation only reads
    days up to it, so later stories in the index change nothing."""
    index: dict[Series, dict[date, dict]] = defaultdict(lambda: defaultdict(dict))
    for story in stories:
        for key in series_keys(story):
            index[key][story.day][story.story_id] = story.outlets
    return index


def _evaluate(days: Days, as_of: date, coverage: Mapping[date, float]) -> tuple[str | None, dict]:
    """One series on one day: its level (or None) and the figures behind it."""
    window = [as_of - timedelta(days=i) for i in range(WINDOW)]
    recent = {sid: outlets for d in window for sid, outlets in days.get(d, {}).items()}
    ids = set(recent)
    outlets = set().union(*recent.values())
    covered = weighted = 0.0
    for i in range(WINDOW, WINDOW + BASELINE):
        day = as_of - timedelta(days=i)
        cov = coverage.get(day, 1.0)
        if cov < MIN_COVERAGE:
            continue
        covered += 1
        weighted += len(days.get(day, ())) / min(cov, 1.0)
    rate = (weighted + PRIOR_STORIES) / (covered + PRIOR_DAYS)
    window_cov = sum(min(coverage.get(d, 1.0), 1.0) for d in window) / WINDOW
    expected = rate * WINDOW
    # Stories told by one outlet alone count at most SOLO_CAP an outlet: twenty items from
    # one outlet are not twenty events.
    alone = Counter(next(iter(o)) for o in recent.values() if len(o) == 1)
    n = len(ids) - sum(max(k - SOLO_CAP, 0) for k in alone.values())
    surprise = poisson_sf(n, expected)
    figures = {
        "ids": ids,
        "n": n,
        "outlets": outlets,
        "expected": expected,
        "rate": rate,
        "surprise": surprise,
        "coverage": window_cov,
    }
    if covered < MIN_HISTORY:
        return None, figures
    if n < MIN_STORIES or len(outlets) < MIN_OUTLETS or n < RATIO * expected:
        return None, figures
    return level_for(surprise), figures


def detect(
    stories: Iterable[StoryEvent] | Mapping[Series, Days],
    as_of: date,
    coverage: Mapping[date, float] | None = None,
    *,
    lookback: int = ENDED_DAYS,
    blind_before: date | None = None,
) -> tuple[list[Signal], list[Signal]]:
    """Signals on `as_of` (strongest first) and those that ended in the `lookback` days
    before it. `coverage` maps a day to the share of the usual feeds that answered (missing
    days count as fully covered, days before `blind_before` as not covered). Stories after
    as_of are ignored. `stories` may be an index from `index_stories`."""
    coverage = dict(coverage or {})
    if blind_before is not None:
        first = as_of - timedelta(days=lookback + WINDOW + 2 * BASELINE)
        for i in range((blind_before - first).days):
            coverage[first + timedelta(days=i)] = 0.0
    index = stories if isinstance(stories, Mapping) else index_stories(stories)
    active: list[Signal] = []
    ended: list[Signal] = []
    for (company, theme), days in index.items():
        run = _last_run(days, as_of, coverage, lookback)
        if not run:
            continue
        last_day, last_level, figures = run[0]
        since = run[-1][0]
        top = max(LEVELS.index(level) for _d, level, _f in run)
        signal = Signal(
            company=company,
            theme=theme,
            level=last_level if last_day == as_of else LEVELS[top],
            stories=len(figures["ids"]),
            counted=figures["n"],
            outlets=len(figures["outlets"]),
            expected=figures["expected"],
            baseline=figures["rate"],
            surprise=figures["surprise"],
            since=since,
            as_of=as_of,
            coverage=figures["coverage"],
            story_ids=sorted(figures["ids"]),
            series=_daily(days, last_day),
        )
        if last_day == as_of:
            active.append(signal)
        else:
            signal.ended = last_day
            ended.append(signal)
    return _rank(_drop_parents(active)), _rank(_drop_parents(ended))


def _last_run(
    days: Mapping[date, list[StoryEvent]],
    as_of: date,
    coverage: Mapping[date, float],
    lookback: int,
) -> list[tuple[date, str, dict]]:
    """The latest run of consecutive signalling days ending within `lookback` days of as_of,
    newest first; empty when the series did not signal in that time."""
    run: list[tuple[date, str, dict]] = []
    for back in range(lookback + 1 + BASELINE):
        day = as_of - timedelta(days=back)
        level, figures = _evaluate(days, day, coverage)
        if level is not None:
            run.append((day, level, figures))
        elif run or back >= lookback:
            break
    return run


def _daily(days: Days, end: date) -> list[int]:
    start = end - timedelta(days=WINDOW + BASELINE - 1)
    return [len(days.get(start + timedelta(days=i), ())) for i in range(WINDOW + BASELINE)]


def _drop_parents(signals: Sequence[Signal]) -> list[Signal]:
    """A company or theme signal whose stories all belong to one of its signalling
    company x theme signals says nothing more: keep the specific one."""
    specific = [s for s in signals if s.company and s.theme]
    kept = []
    for s in signals:
        if s.company and s.theme:
            kept.append(s)
            continue
        children = [
            c
            for c in specific
            if (s.company is None or c.company == s.company)
            and (s.theme is None or c.theme == s.theme)
        ]
        covered = set().union(*(c.story_ids for c in children)) if children else set()
        if not set(s.story_ids) <= covered:
            kept.append(s)
    return kept


def _rank(signals: list[Signal]) -> list[Signal]:
    return sorted(
        signals,
        key=lambda s: (
            -LEVELS.index(s.level),
            s.surprise,
            -s.stories,
            s.company or "",
            s.theme or "",
        ),
    )
