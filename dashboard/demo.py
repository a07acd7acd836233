"""The synthetic demo corpus: deterministic, clearly labelled, written by Chipwatch.

Every headline here is invented from templates. The same generator writes the small corpus
bundled in data/demo/ (as RSS files) and the large corpora used by the benchmarks (written
straight into the store).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

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

SLOTS = {
    "labs": ["DeepSeek", "Moonshot AI", "Zhipu AI", "OpenAI", "Alibaba's Qwen team", "Baidu"],
    "us_chip": ["Nvidia", "AMD", "Intel", "Qualcomm", "Broadcom"],
    "cn": ["Huawei", "SMIC", "Cambricon", "Alibaba", "Baidu", "Tencent", "ByteDance"],
    "hyper": ["Google", "Amazon", "Microsoft", "Meta"],
    "custom": ["TPU", "Trainium", "Maia", "MTIA"],
    "foundry": ["TSMC", "Samsung", "Intel", "SMIC"],
    "memory": ["SK Hynix", "Samsung", "Micron"],
    "any": [
        "Nvidia",
        "AMD",
        "Intel",
        "TSMC",
        "Huawei",
        "Samsung",
        "Apple",
        "Arm",
        "Qualcomm",
        "Microsoft",
        "Google",
        "Amazon",
        "Meta",
        "ASML",
        "Broadcom",
        "SK Hynix",
        "Micron",
    ],
    "place": ["Arizona", "Kumamoto", "Dresden", "Ohio", "Texas", "Hsinchu", "Pyeongtaek"],
    "n": ["12", "20", "30", "40", "52"],
}

# (template, summary) pairs, grouped by the story they tell. The tagger decides the themes.
STORIES = {
    "autonomy": [
        (
            "{labs} withholds latest AI model from {us_chip} and {us_chip}",
            "The lab said the model was optimised for domestic accelerators first.",
        ),
        ("{cn} unveils in-house AI accelerator to cut reliance on Nvidia", ""),
        (
            "{labs} trains new model on Huawei Ascend chips, sidestepping CUDA",
            "The move tests whether domestic chips can carry frontier training runs.",
        ),
        ("{hyper} expands custom {custom} rollout, reducing dependence on GPU suppliers", ""),
        ("{cn} pledges self-sufficiency in AI chips with homegrown accelerator push", ""),
        (
            "Sovereign compute: Europe weighs domestic AI chip programme as {any} courts governments",
            "",
        ),
        ("{labs} ports its models to domestic accelerators as CUDA alternatives mature", ""),
    ],
    "geopolitics": [
        (
            "US tightens export controls on advanced AI chips to China; {us_chip} shares slip",
            "The new rules widen licence requirements for high-bandwidth accelerators.",
        ),
        ("Commerce Department adds {cn} affiliates to Entity List", ""),
        ("Beijing opens security review of {us_chip} chips sold in China", ""),
        ("{us_chip} faces probe over alleged chip smuggling through third countries", ""),
        ("New semiconductor tariffs rattle {any} and its suppliers", ""),
        ("Netherlands restricts ASML shipments of chipmaking tools to China", ""),
        ("Sanctions on {cn} widened as US-China tech rivalry deepens", ""),
    ],
    "supply": [
        (
            "{foundry} expands CoWoS advanced packaging capacity as AI demand surges",
            "Packaging remains the tightest step in accelerator production.",
        ),
        ("HBM shortage pushes {memory} to raise memory prices", ""),
        ("{foundry} breaks ground on new fab in {place}", ""),
        ("Lead times for AI servers stretch to {n} weeks, says {any}", ""),
        ("Earthquake halts production at {foundry} plant, disrupting chip supply", ""),
        ("{memory} sold out of HBM for next year as capacity stays tight", ""),
    ],
    "mixed": [
        (
            "China curbs gallium and germanium exports, squeezing {foundry} suppliers",
            "Export restrictions on critical minerals add pressure to chip supply chains.",
        ),
        ("Export curbs push {labs} to train on domestic chips as Nvidia supply dries up", ""),
        ("Rare earth export controls threaten {any} supply chain, analysts warn", ""),
        ("{cn} stockpiles HBM ahead of expected US export restrictions", ""),
    ],
    "unrelated": [
        ("{any} reports quarterly revenue ahead of estimates", ""),
        ("Review: the new GeForce card is the fastest gaming GPU we have tested", ""),
        ("{hyper} launches redesigned app with new privacy settings", ""),
        ("Apple unveils new iPhone colours at autumn event", ""),
        ("Stock markets close mixed ahead of holiday weekend", ""),
        ("City council approves new bike lanes downtown", ""),
        ("Study finds arm exercises improve sleep in older adults", ""),
        ("Orchard growers expect record apple harvest this year", ""),
        ("{any} names new chief financial officer", ""),
        ("Streaming service raises subscription prices again", ""),
        ("Weather service warns of heavy rain across the region", ""),
        ("Startup raises seed round for micron-scale medical sensors", ""),
    ],
}
# Share of each story kind; about 40% of headlines are unrelated.
MIX = [("autonomy", 18), ("geopolitics", 18), ("supply", 16), ("mixed", 8), ("unrelated", 40)]


def _fill(template: str, rng: random.Random) -> str:
    out = template
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        out = out[:start] + rng.choice(SLOTS[out[start + 1 : end]]) + out[end + 1 :]
    return out


def generate(
    n: int, *, seed: int = 7, end: datetime | None = None, days: int = 240
) -> Iterator[tuple[str, str, str, str, datetime]]:
    """Yield n items (outlet slug, title, summary, link, published), oldest first.

    About one story in six is carried by two or three outlets, as wires are.
    """
    rng = random.Random(seed)
    end = (end or datetime.now(UTC)).replace(microsecond=0)
    kinds = [k for k, w in MIX for _ in range(w)]
    start = end - timedelta(days=days)
    step = (end - start) / max(n, 1)
    made = 0
    i = 0
    while made < n:
        kind = rng.choice(kinds)
        template, summary = rng.choice(STORIES[kind])
        title = _fill(template, rng)
        moment = start + step * made + timedelta(minutes=rng.randint(0, 90))
        carriers = rng.sample(OUTLETS, rng.choice([1, 1, 1, 1, 1, 2, 3]))
        for slug, _name in carriers:
            if made >= n:
                break
            link = f"{DEMO_SITE}/{slug}/{moment:%Y/%m/%d}/story-{i}"
            yield slug, title, summary, link, moment
            made += 1
        i += 1


def write_feeds(
    out: str | Path,
    n: int,
    *,
    seed: int = 7,
    end: datetime | None = None,
    days: int = 240,
    feeds: int | None = None,
) -> list[Path]:
    """Write n synthetic headlines as one RSS 2.0 file per outlet.

    With ``feeds``, the items are dealt round-robin into that many files instead (benchmarks).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
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
