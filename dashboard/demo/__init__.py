"""The synthetic demo corpus: deterministic, clearly labelled, written by Chipwatch.

Every headline here is invented; none of it is real news. The corpus is made of **events**
(dashboard/demo/catalog.py lists the kinds: export rules, licences granted, capacity
expansions, fab fires, in-house chips, earnings, off-topic news): each event is told by one to
five of the six demo outlets, each outlet in its own words (its own paraphrase template, its own
way of writing numbers: "$5.5 billion", "5.5bn dollars"), within 36 hours of the first report.
About a third of events have one outlet only. Some events have a follow-up days later (a plant
fire, then memory prices jump; a state seizure of a chipmaker, then a shortage at carmakers).
A kind is not reused within four days while the corpus is small, so different events share few
words beyond company names; at benchmark scale kinds repeat, as the same machinery is reused.

Corpora of at least 400 headlines over at least 60 days also carry four synthetic scenarios,
placed relative to the corpus' end, for the story and signal work (`scenarios()` describes them):

- **burst**: Huawei x geopolitics, escalating: six distinct events from at least three outlets
  over the last four days, rising day by day (what a signal should flag);
- **flood**: Demo Asia Tech Desk posts 20 live updates on a Samsung strike (supply chain) in two
  days, 50 days before the end (one outlet's volume, not a rise across outlets);
- **syndicated**: one event (US export curbs on Nvidia's H20) carried by all six outlets, 20 days
  before the end (one story, however many copies);
- **gap**: four days, 33 to 29 days before the end, when only Demo Wire publishes (a silent feed
  is not calm news).

The same generator writes the small corpus bundled in data/demo/ (RSS files) and the large
corpora used by the benchmarks (written straight into the store). `events()` gives the ground
truth: every headline's event id, kind, theme and direction.
"""

from __future__ import annotations

import heapq
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape

from dashboard.demo import catalog
from dashboard.ingest.normalize import dedup_key
from dashboard.ingest.parse import DEMO_GENERATOR
from dashboard.models import Headline

DEMO_SITE = "https://demo.chipwatch.invalid"
OUTLETS = [
    ("demo-wire", "Demo Wire (synthetic)"),
    ("demo-semi-daily", "Demo Semiconductor Daily (synthetic)"),
    ("demo-policy", "Demo Policy Monitor (synthetic)"),
    ("demo-markets", "Demo Markets Brief (synthetic)"),
    ("demo-tech", "Demo Tech Review (synthetic)"),
    ("demo-asia", "Demo Asia Tech Desk (synthetic)"),
]
SLUGS = [slug for slug, _name in OUTLETS]
SPREAD = timedelta(hours=36)  # the last copy of an event, at most this after the first
# Outlets an event has: about a third have one only (all six only in the syndicated scenario).
OUTLET_COUNTS = [1] * 34 + [2] * 28 + [3] * 20 + [4] * 12 + [5] * 6
SCENARIO_MIN_HEADLINES = 400
SCENARIO_MIN_DAYS = 60
# A kind waits this long before it is told again (small corpora): longer than the 48 h a
# story matcher looks across plus an event's 36 h spread.
COOLDOWN = timedelta(days=4)
SMALL = 20_000  # corpora up to this size get the cooldown and never repeat a title
BURST_COMPANY, BURST_THEME = "Huawei", "geopolitics"
FLOOD_OUTLET, FLOOD_COMPANY, FLOOD_THEME = "demo-asia", "Samsung", "supply_chain"
GAP_OUTLET = "demo-wire"


class Item(NamedTuple):
    """One generated headline with its ground truth (demo only; Headline stays as it is)."""

    event: str  # event id, shared by every outlet's telling of the event
    kind: str  # catalog kind id ("flood" for the live blog)
    theme: str  # the theme the event is about ("" for off-theme news)
    direction: str  # escalating | easing | neutral | ""
    outlet: str  # outlet slug
    title: str
    summary: str
    link: str
    published: datetime


@dataclass(frozen=True, slots=True)
class Scenario:
    kind: str  # burst | flood | syndicated | gap
    company: str
    theme: str
    start: datetime
    end: datetime
    outlets: tuple[str, ...]


# --- numbers in each outlet's house style -------------------------------------------------
WORDS = {
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    12: "twelve",
    16: "sixteen",
    20: "twenty",
    26: "twenty-six",
    30: "thirty",
    40: "forty",
    52: "fifty-two",
}
MONTHS = {30: "a month", 45: "six weeks", 60: "two months", 90: "three months", 120: "four months"}


def _num(v: float) -> str:
    return f"{v:g}"


STYLES: dict[str, dict[str, Callable]] = {
    "demo-wire": {
        "usd": lambda v: f"${_num(v)} billion",
        "musd": lambda v: f"${v} million",
        "pct": lambda v: f"{v}%",
        "weeks": lambda v: f"{v} weeks",
        "days": lambda v: f"{v} days",
        "count": str,
        "few": lambda v: WORDS.get(v, str(v)),
    },
    "demo-semi-daily": {
        "usd": lambda v: f"{_num(v)}bn dollars",
        "musd": lambda v: f"{v}m dollars",
        "pct": lambda v: f"{v} percent",
        "weeks": lambda v: f"{v} weeks",
        "days": lambda v: MONTHS[v],
        "count": str,
        "few": str,
    },
    "demo-policy": {
        "usd": lambda v: f"${_num(v)} billion",
        "musd": lambda v: f"${v} million",
        "pct": lambda v: f"{v} per cent",
        "weeks": lambda v: f"{WORDS.get(v, v)} weeks",
        "days": lambda v: f"{v} days",
        "count": lambda v: WORDS.get(v, str(v)),
        "few": lambda v: WORDS.get(v, str(v)),
    },
    "demo-markets": {
        "usd": lambda v: f"${_num(v)}bn",
        "musd": lambda v: f"${v}m",
        "pct": lambda v: f"{v}%",
        "weeks": lambda v: f"{v} wks",
        "days": lambda v: f"{v}d",
        "count": str,
        "few": str,
    },
    "demo-tech": {
        "usd": lambda v: f"US${_num(v)} billion",
        "musd": lambda v: f"US${v} million",
        "pct": lambda v: f"{v} pct",
        "weeks": lambda v: f"{v} weeks",
        "days": lambda v: MONTHS[v],
        "count": str,
        "few": str,
    },
    "demo-asia": {
        "usd": lambda v: f"{_num(v)} billion US dollars",
        "musd": lambda v: f"{v} million US dollars",
        "pct": lambda v: f"{v} per cent",
        "weeks": lambda v: f"{v} weeks",
        "days": lambda v: f"{v} days",
        "count": str,
        "few": lambda v: WORDS.get(v, str(v)),
    },
}

# --- templates, parsed once ----------------------------------------------------------------
_TOKEN = re.compile(r"\{(\w+)\}|\[([^\]]+)\]")
_GROUP_OF = {name: group for group in catalog.GROUPS for name in group}


@dataclass(slots=True)
class Kind:
    id: str
    theme: str
    direction: str
    templates: list[list]  # parts: str, ("slot", name), ("alt", options)
    follow: tuple[str, ...]
    summary: str
    slots: tuple[str, ...]


def _parse(template: str) -> list:
    parts: list = []
    pos = 0
    for m in _TOKEN.finditer(template):
        if m.start() > pos:
            parts.append(template[pos : m.start()])
        parts.append(("slot", m[1]) if m[1] else ("alt", tuple(m[2].split("|"))))
        pos = m.end()
    if pos < len(template):
        parts.append(template[pos:])
    return parts


def _kinds(rows) -> dict[str, Kind]:
    out = {}
    for kid, theme, direction, templates, follow, summary in rows:
        parsed = [_parse(t) for t in templates]
        slots = tuple(
            dict.fromkeys(
                p[1] for t in parsed for p in t if isinstance(p, tuple) and p[0] == "slot"
            )
        )
        out[kid] = Kind(kid, theme, direction, parsed, follow, summary, slots)
    return out


KINDS = _kinds(catalog.KINDS)
SCENARIO_KINDS = {**KINDS, **_kinds(catalog.BURST_KINDS)}
_BY_THEME = {t: [k for k in KINDS.values() if k.theme == t] for t in catalog.THEME_WEIGHTS}
_ALL_KINDS = list(KINDS.values())
_THEME_DRAW = [t for t, w in catalog.THEME_WEIGHTS.items() for _ in range(w)]


def _fill_slots(kind: Kind, rng: random.Random, fixed: dict | None = None) -> dict:
    values: dict = dict(fixed or {})
    for name in kind.slots:
        if name in values:
            continue
        if name in catalog.NUMBERS:
            values[name] = rng.choice(catalog.NUMBERS[name])
            continue
        group = _GROUP_OF.get(name)
        if group:
            known = next((g for g in group if g in values), None)
            pool = catalog.POOLS[known] if known else None
            i = pool.index(values[known]) if known else rng.randrange(len(catalog.POOLS[name]))
            for g in group:
                values.setdefault(g, catalog.POOLS[g][i])
        else:
            values[name] = rng.choice(catalog.POOLS[name])
    return values


def _render(parts: list, values: dict, style: dict, rng: random.Random) -> str:
    out = []
    for p in parts:
        if p.__class__ is str:
            out.append(p)
        elif p[0] == "slot":
            v = values[p[1]]
            out.append(style[p[1]](v) if p[1] in style else v)
        else:
            out.append(rng.choice(p[1]))
    title = "".join(out)
    return title[0].upper() + title[1:]


class _Teller:
    """Turns events into items: outlets, paraphrases, times."""

    def __init__(self, rng: random.Random, end: datetime, gap: tuple[datetime, datetime] | None):
        self.rng = rng
        self.end = end
        self.gap = gap
        self.events = 0
        self.seen: set[str] | None = None  # titles told so far, when kept (small corpora)

    def fresh(self, kind: Kind, fixed: dict, first: datetime, outlets: list[str]) -> list:
        """Tell a new event in titles not used before: slot values are drawn again (up to
        eight times) while a title repeats one of an earlier event."""
        for attempt in range(8):
            told = self.tell(kind, _fill_slots(kind, self.rng, fixed), first, outlets)
            if self.seen is None or not any(t.title in self.seen for t in told) or attempt == 7:
                break
            self.events -= 1  # the next attempt takes the same event id
        if self.seen is not None:
            self.seen.update(t.title for t in told)
        return told

    def tell(
        self,
        kind: Kind,
        values: dict,
        first: datetime,
        outlets: list[str],
        event: str | None = None,
    ) -> list[Item]:
        rng = self.rng
        self.last_values = values
        if event is None:
            event = f"ev-{self.events:06d}"
            self.events += 1
        number = event.rsplit("-", 1)[-1]
        order = list(range(len(kind.templates)))
        rng.shuffle(order)
        gap = self.gap
        items = []
        for k, slug in enumerate(outlets):
            if k == 0:
                moment = first
            else:
                moment = first + timedelta(
                    minutes=rng.randint(20, int(SPREAD.total_seconds() // 60))
                )
            if gap and slug != GAP_OUTLET:
                if gap[0] <= first < gap[1]:
                    continue  # a silent outlet does not report what happened in the gap
                if gap[0] <= moment < gap[1]:
                    moment = max(first, gap[0] - timedelta(minutes=rng.randint(5, 300)))
            moment = min(moment, self.end)
            title = _render(kind.templates[order[k % len(order)]], values, STYLES[slug], rng)
            summary = kind.summary if kind.summary and rng.random() < 0.35 else ""
            link = f"{DEMO_SITE}/{slug}/{moment:%Y/%m/%d}/story-{number}"
            items.append(
                Item(event, kind.id, kind.theme, kind.direction, slug, title, summary, link, moment)
            )
        return items


def _window(end: datetime | None, days: int) -> tuple[datetime, datetime]:
    end = (end or datetime.now(UTC)).replace(microsecond=0)
    return end - timedelta(days=days), end


def scenarios(*, end: datetime | None = None, days: int = 120) -> list[Scenario]:
    """The synthetic scenarios a corpus ending at `end` carries (when it is big enough)."""
    _start, end = _window(end, days)
    day = timedelta(days=1)
    return [
        Scenario("burst", BURST_COMPANY, BURST_THEME, end - 4 * day, end, tuple(SLUGS)),
        Scenario(
            "flood", FLOOD_COMPANY, FLOOD_THEME, end - 50 * day, end - 48 * day, (FLOOD_OUTLET,)
        ),
        Scenario(
            "syndicated", "Nvidia", "geopolitics", end - 20 * day, end - 19 * day, tuple(SLUGS)
        ),
        Scenario("gap", "", "", end - 33 * day, end - 29 * day, (GAP_OUTLET,)),
    ]


def _scenario_items(teller: _Teller, rng: random.Random, end: datetime) -> list[Item]:
    by = {s.kind: s for s in scenarios(end=end, days=SCENARIO_MIN_DAYS)}
    items: list[Item] = []
    burst = by["burst"]
    # Rising: one event on each of the first two days, two on each of the last two.
    offsets_h = [4, 30, 50, 62, 76, 86]
    spread_outlets = SLUGS[:]
    for i, ((kid, fixed), h) in enumerate(zip(catalog.BURST, offsets_h, strict=True)):
        kind = SCENARIO_KINDS[kid]
        first = burst.start + timedelta(hours=h, minutes=rng.randint(0, 50))
        k = 2 + i % 3
        outlets = [spread_outlets[(i + j) % 6] for j in range(k)]
        values = _fill_slots(kind, rng, fixed)
        told = teller.tell(kind, values, first, outlets, event=f"burst-{i}")
        items += [
            t._replace(published=min(t.published, end - timedelta(minutes=10 + i))) for t in told
        ]
    flood = by["flood"]
    for i, title in enumerate(catalog.FLOOD):
        moment = flood.start + timedelta(minutes=140 * i + rng.randint(0, 60))
        link = f"{DEMO_SITE}/{FLOOD_OUTLET}/{moment:%Y/%m/%d}/story-flood{i:02d}"
        items.append(
            Item(
                f"flood-{i:02d}",
                "flood",
                FLOOD_THEME,
                "escalating",
                FLOOD_OUTLET,
                title,
                "",
                link,
                moment,
            )
        )
    synd = by["syndicated"]
    kind = KINDS["export_rule"]
    values = _fill_slots(kind, rng, {"us_chip": "Nvidia"})
    items += teller.tell(
        kind, values, synd.start + timedelta(hours=9), SLUGS[:], event="syndicated-0"
    )
    return items


def events(
    n: int, *, seed: int = 7, end: datetime | None = None, days: int = 120
) -> Iterator[Item]:
    """Yield n items with their ground truth, oldest first."""
    rng = random.Random(seed)
    start, end = _window(end, days)
    with_scenarios = n >= SCENARIO_MIN_HEADLINES and days >= SCENARIO_MIN_DAYS
    gap = None
    if with_scenarios:
        g = next(s for s in scenarios(end=end, days=days) if s.kind == "gap")
        gap = (g.start, g.end)
    teller = _Teller(rng, end, gap)
    reserved: dict[str, list[float]] = {}
    pending: list = []  # heap of (published, seq, item)
    seq = 0

    def push(items: list[Item]) -> None:
        nonlocal seq
        for it in items:
            heapq.heappush(pending, (it.published, seq, it))
            seq += 1

    made = 0  # items pushed so far
    cooldown = COOLDOWN.total_seconds() if n <= SMALL else 0.0
    last_used: dict[str, float] = {}
    if cooldown:
        teller.seen = set()
    if with_scenarios:
        extra = _scenario_items(teller, rng, end)
        push(extra)
        made = len(extra)
        if cooldown:
            teller.seen.update(t.title for t in extra)
            # Background events keep clear of the scenarios' kinds around their dates.
            for t in extra:
                reserved.setdefault(t.kind, []).append(t.published.timestamp())
    clock = start.timestamp()
    yielded = 0
    while made < n:
        remaining = n - made
        k = rng.choice(OUTLET_COUNTS)
        clock += (end.timestamp() - clock) / remaining * k
        first = datetime.fromtimestamp(int(clock) - rng.randint(0, 5400), UTC)
        pool = _BY_THEME[rng.choice(_THEME_DRAW)]
        kind = rng.choice(pool)
        if cooldown:
            # Draws for a kind not told lately; else the least recently told of them.
            # Past six draws, a kind of any theme will do.
            for attempt in range(18):
                if clock - last_used.get(kind.id, -1e18) >= cooldown and all(
                    abs(clock - t) >= cooldown for t in reserved.get(kind.id, ())
                ):
                    break
                other = rng.choice(pool if attempt < 6 else _ALL_KINDS)
                if last_used.get(other.id, -1e18) < last_used.get(kind.id, -1e18):
                    kind = other
            last_used[kind.id] = clock
        outlets = rng.sample(SLUGS, min(k, remaining, len(kind.templates)))
        told = teller.fresh(kind, {}, max(first, start), outlets)
        push(told)
        made += len(told)
        if kind.follow and rng.random() < 0.4 and made < n:
            follow = KINDS[rng.choice(kind.follow)]
            when = first + timedelta(days=rng.uniform(3, 10))
            if told and when < end - SPREAD:
                k2 = min(rng.choice(OUTLET_COUNTS), n - made)
                k2 = min(k2, len(follow.templates))
                shared = {name: v for name, v in teller.last_values.items() if name in follow.slots}
                later = teller.fresh(follow, shared, when, rng.sample(SLUGS, k2))
                push(later)
                made += len(later)
                last_used[follow.id] = when.timestamp()
        # Everything older than the clock's lowest next event time can go out now.
        horizon = datetime.fromtimestamp(clock - 5400, UTC)
        while pending and pending[0][0] <= horizon and yielded < n:
            yield heapq.heappop(pending)[2]
            yielded += 1
    while pending and yielded < n:
        yield heapq.heappop(pending)[2]
        yielded += 1


def generate(
    n: int, *, seed: int = 7, end: datetime | None = None, days: int = 120
) -> Iterator[tuple[str, str, str, str, datetime]]:
    """Yield n items (outlet slug, title, summary, link, published), oldest first."""
    for it in events(n, seed=seed, end=end, days=days):
        yield it.outlet, it.title, it.summary, it.link, it.published


def write_feeds(
    out: str | Path,
    n: int,
    *,
    seed: int = 7,
    end: datetime | None = None,
    days: int = 120,
    feeds: int | None = None,
) -> list[Path]:
    """Write n synthetic headlines as one RSS 2.0 file per outlet.

    With ``feeds``, the items are dealt round-robin into that many files instead (benchmarks).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _start, end = _window(end, days)
    names = dict(OUTLETS)
    if feeds:
        names = {f"demo-feed-{k:04d}": f"Demo Feed {k} (synthetic)" for k in range(feeds)}
    slugs = list(names)
    by_outlet: dict[str, list[str]] = {slug: [] for slug in slugs}
    for i, (slug, title, summary, link, moment) in enumerate(
        generate(n, seed=seed, end=end, days=days)
    ):
        if feeds:
            slug = slugs[i % feeds]
            link = link.replace("/story-", f"/{slug}-story-")
        by_outlet[slug].append(
            "    <item>\n"
            f"      <title>{escape(title)}</title>\n"
            f"      <link>{escape(link)}</link>\n"
            f'      <guid isPermaLink="true">{escape(link)}</guid>\n'
            f"      <pubDate>{format_datetime(moment)}</pubDate>\n"
            + (f"      <description>{escape(summary)}</description>\n" if summary else "")
            + "    </item>\n"
        )
    paths = []
    for slug, items in by_outlet.items():
        path = out / f"{slug}.xml"
        path.write_text(
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n  <channel>\n'
            f"    <title>{escape(names[slug])}</title>\n"
            f"    <link>{DEMO_SITE}/{slug}/</link>\n"
            "    <description>SYNTHETIC demo headlines written by Chipwatch's generator. "
            "Not real news.</description>\n"
            f"    <generator>{DEMO_GENERATOR}</generator>\n"
            # The corpus' end, so the same files can be written again (bundled_end()).
            f"    <lastBuildDate>{format_datetime(end)}</lastBuildDate>\n"
            + "".join(reversed(items))
            + "  </channel>\n</rss>\n",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def headlines(
    n: int, *, seed: int = 7, end: datetime | None = None, days: int = 730
) -> Iterator[Headline]:
    """The same synthetic items as Headline records, for loading straight into the store."""
    names = dict(OUTLETS)
    for slug, title, summary, link, moment in generate(n, seed=seed, end=end, days=days):
        yield Headline(
            id=dedup_key(guid=link, feed_url=f"{DEMO_SITE}/{slug}/", url=link),
            source=names[slug],
            title=title,
            summary=summary,
            url=link,
            published_at=moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )


def load(
    store,
    n: int,
    *,
    tagger,
    version: str,
    seed: int = 7,
    batch: int = 20_000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Tag and store n synthetic headlines in batches; rollups are rebuilt once at the end."""
    feed_ids = {
        name: store.ensure_feed(f"{DEMO_SITE}/{slug}/", name, demo=True) for slug, name in OUTLETS
    }
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    added = 0
    buffer: dict[int, list] = {}
    tag = tagger.tag

    def flush() -> None:
        nonlocal added
        with store.transaction():
            for feed_id, items in buffer.items():
                added += store.add_headlines(
                    feed_id, items, tag_version=version, fetched_at=now, demo=True, rollups=False
                ).new
        buffer.clear()

    for i, h in enumerate(headlines(n, seed=seed), 1):
        buffer.setdefault(feed_ids[h.source], []).append((h, tag(h.title, h.summary)))
        if i % batch == 0:
            flush()
            if progress:
                progress(i, n)
    flush()
    if progress:
        progress(n, n)
    store.rebuild_rollups()
    return added


BUNDLED_SEED = 7
BUNDLED_HEADLINES = 800
BUNDLED_DAYS = 120


def bundled_end(folder: str | Path) -> datetime:
    """The end the bundled corpus was generated with (its feeds' lastBuildDate)."""
    text = (Path(folder) / f"{SLUGS[0]}.xml").read_text(encoding="utf-8")
    found = re.search(r"<lastBuildDate>([^<]+)</lastBuildDate>", text)
    if not found:
        raise ValueError(f"{folder}: no lastBuildDate in {SLUGS[0]}.xml")
    return parsedate_to_datetime(found[1]).astimezone(UTC)
