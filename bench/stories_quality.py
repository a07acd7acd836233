"""Story matcher: quality on the labelled sets and cost per headline.

Quality: pairwise P/R/F1 and B-cubed F1 of `chipwatch evaluate-stories` on the tuning files
(TUNING: the matcher's weights are fitted on them) and on the held-out batches written before
the tuning round that reports them (HELD_OUT), never tuned on.

Cost: BENCH_STORY_HEADLINES synthetic demo headlines (default 20,000) spread over as many days
as 1,000,000 headlines over two years would fill, so each one meets as many candidates as at
1M; `restory` of all of them is timed (the matcher's whole share of a write: candidate look-up,
similarity, story rows), and the per-headline figure is extrapolated to 1,000,000 headlines.
The stories it finds are scored (pairwise) against the generator's event ids: the demo tells
its events from templates with only a company, place or number changed, far more alike than
real news, so its precision is a floor, not an estimate.

`python bench/stories_quality.py --fit` prints the matcher's logistic-regression weights
refitted on the TUNING files (what dashboard/stories/cluster.py WEIGHTS holds);
`--why` counts, a file, why its same-story pairs are apart (never compared, gated, below
the threshold, ...).
"""

from __future__ import annotations

import calendar
import math
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard import demo  # noqa: E402
from dashboard.store import Store  # noqa: E402
from dashboard.store import stories as stored_stories  # noqa: E402
from dashboard.stories import evaluate  # noqa: E402
from dashboard.tagging.tagger import Tagger  # noqa: E402
from dashboard.tagging.taxonomy import load_taxonomy  # noqa: E402

DATA = ROOT / "tests" / "data"
TUNING = ("stories.csv", "stories_holdout.csv", "stories_holdout_2.csv")
HELD_OUT = (
    "stories_holdout_3.csv",
    "stories_holdout_4.csv",
    "stories_holdout_5.csv",
    "stories_holdout_6.csv",
    "stories_dense.csv",  # three days of one crowded beat: precision where events crowd
    "stories_dense_2.csv",
)
SETS = TUNING + HELD_OUT
N = int(os.environ.get("BENCH_STORY_HEADLINES", 20_000))
DAYS_AT_1M = 730
END = datetime(2026, 1, 1, tzinfo=UTC)  # a fixed clock: the same demo corpus every run


def quality(tagger) -> dict:
    out = {}
    for name in SETS:
        rep = evaluate.evaluate(DATA / name, tagger)
        out[name] = {
            "precision": round(rep.precision, 3),
            "recall": round(rep.recall, 3),
            "f1": round(rep.f1, 3),
            "bcubed_f1": round(rep.bcubed_f1, 3),
        }
    return out


def cost(tagger) -> dict:
    days = max(1, round(DAYS_AT_1M * N / 1_000_000))
    heads = list(demo.headlines(N, seed=11, days=days, end=END))
    event = {it.link: it.event for it in demo.events(N, seed=11, days=days, end=END)}
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "b.db") as store:
        store.add_headlines(
            None,
            [(h, tagger.tag(h.title, h.summary)) for h in heads],
            tag_version="b",
            fetched_at="2026-01-01T00:00:00Z",
            rollups=False,
        )
        walls, cpus = [], []
        for _ in range(2):
            w0, c0 = time.perf_counter(), time.process_time()
            done, stories = store.restory()
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        given = stored_stories.story_ids(store.conn)
    # Pairwise scores against the generator's event ids, counted by cell (no pair loop).
    labels = [(event[h.url], given[h.id]) for h in heads]
    tp, found, true = (_pairs(Counter(k)) for k in (labels, (s for _, s in labels), event.values()))
    precision = tp / found if found else 1.0
    recall = tp / true if true else 1.0
    # CPU time is the figure that says what one core does on a shared machine.
    best, cpu = min(walls), min(cpus)
    return {
        "headlines": done,
        "days": days,
        "stories": stories,
        "events": len(set(event.values())),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "restory_s": round(best, 2),
        "us_per_headline": round(best / done * 1e6, 1),
        "cpu_us_per_headline": round(cpu / done * 1e6, 1),
        "restory_1m_s_extrapolated": round(best / done * 1_000_000, 0),
        "restory_1m_cpu_s_extrapolated": round(cpu / done * 1_000_000, 0),
    }


def _pairs(counts: Counter) -> int:
    """Pairs within each group of the counts."""
    return sum(math.comb(k, 2) for k in counts.values())


def matcher(tagger, n: int = 3000) -> dict:
    """The matcher alone, no SQL: each of n demo headlines (1M density) against the up to
    MAX_CANDIDATES earlier headlines of its window that share a key with it, as the index
    would offer them; embedding (new titles, in one batch, model already loaded) and choose
    timed apart."""
    from dashboard.stories import cluster

    days = max(1, round(DAYS_AT_1M * n / 1_000_000))
    heads = list(demo.headlines(n, seed=13, days=days))
    has_vec = "vec" in getattr(cluster.Item, "__dataclass_fields__", {})
    if has_vec:
        cluster.vectors(["the model loads once a process, not counted here"])
    c0 = time.process_time()
    vecs = cluster.vectors([h.title for h in heads]) if has_vec else [None] * n
    embed_s = time.process_time() - c0
    items, by_key = [], {}
    for i, (h, vec) in enumerate(zip(heads, vecs, strict=True)):
        names = frozenset(m.name for m in tagger.tag(h.title, h.summary).companies)
        words = cluster.terms(h.title, names)
        extra = {"at": _epoch(h), "vec": vec} if has_vec else {}
        items.append(cluster.Item(i, words, names, None, **extra))
        for k in cluster.keys(words):
            by_key.setdefault(k, []).append(i)
    window = cluster.WINDOW_HOURS * 3600
    epochs = [_epoch(h) for h in heads]
    pools = []
    for i, item in enumerate(items):
        near: dict[int, int] = {}
        for k in cluster.keys(item.words):
            for j in by_key[k]:
                if j < i and epochs[i] - epochs[j] <= window:
                    near[j] = near.get(j, 0) + 1
        best = sorted(near, key=lambda j: (-near[j], j))[: cluster.MAX_CANDIDATES]
        pools.append([items[j] for j in best])
    c0 = time.process_time()
    for item, pool in zip(items, pools, strict=True):
        cluster.choose(item, pool)
    choose_s = time.process_time() - c0
    return {
        "headlines": n,
        "candidates_per_headline": round(sum(map(len, pools)) / n, 1),
        "embed_us": round(embed_s / n * 1e6, 1),
        "choose_us": round(choose_s / n * 1e6, 1),
    }


def _epoch(h) -> float:
    return calendar.timegm(time.strptime(h.published_at, "%Y-%m-%dT%H:%M:%SZ"))


def run() -> dict:
    tagger = Tagger(load_taxonomy())
    figures = {"quality": quality(tagger), "matcher": matcher(tagger), "cost": cost(tagger)}
    print(f"{'set':24} {'P':>6} {'R':>6} {'F1':>6} {'B3 F1':>6}")
    for name, q in figures["quality"].items():
        print(
            f"{name:24} {q['precision']:6.3f} {q['recall']:6.3f} {q['f1']:6.3f} "
            f"{q['bcubed_f1']:6.3f}"
        )
    m = figures["matcher"]
    print(
        f"matcher alone, CPU per headline ({m['candidates_per_headline']} candidates): "
        f"embedding {m['embed_us']} us, choose {m['choose_us']} us"
    )
    c = figures["cost"]
    print(
        f"restory of {c['headlines']:,} headlines over {c['days']} days (1M density): "
        f"{c['restory_s']} s, {c['us_per_headline']} us a headline "
        f"({c['cpu_us_per_headline']} us of CPU), 1M extrapolated "
        f"{c['restory_1m_s_extrapolated']:.0f} s ({c['restory_1m_cpu_s_extrapolated']:.0f} s of CPU)"
    )
    print(
        f"demo at 1M density: {c['stories']:,} stories for {c['events']:,} events, pairwise "
        f"precision {c['precision']:.3f} recall {c['recall']:.3f} against the event ids"
    )
    return figures


def _labelled_items(name: str, tagger) -> tuple[list[dict], list]:
    """A labelled file's rows and, in their order, the matcher's items for them."""
    from dashboard.ingest.normalize import parse_text_date
    from dashboard.stories import cluster

    rows = evaluate.read(DATA / name)
    items = []
    for row, vec in zip(rows, cluster.vectors([r["title"] for r in rows]), strict=True):
        companies = frozenset(
            m.name for m in tagger.tag(row["title"], row.get("summary") or "").companies
        )
        words = cluster.terms(row["title"], companies)
        items.append(
            cluster.Item(None, words, companies, None, parse_text_date(row["published"]), vec)
        )
    return rows, items


def fit(names: tuple[str, ...] = TUNING, l2: float = 1e-3, steps: int = 20_000) -> dict:
    """Logistic regression of 'same story' on cluster.features over every pair of each
    labelled file inside the window that the vetoes let through (gradient descent, L2)."""
    import itertools

    import numpy as np

    from dashboard.stories import cluster

    tagger = Tagger(load_taxonomy())
    x, y = [], []
    for name in names:
        rows, items = _labelled_items(name, tagger)
        # pairs within one file only: the files' stories are disjoint, their days far apart
        for (ra, a), (rb, b) in itertools.combinations(zip(rows, items, strict=True), 2):
            if abs(a.at - b.at) <= cluster.WINDOW_HOURS * 3600 and not cluster.vetoed(a, b):
                x.append(cluster.features(a, b))
                y.append(float(ra["story"] == rb["story"]))
    xm = np.hstack([np.array(x), np.ones((len(x), 1))])
    ym = np.array(y)
    w = np.zeros(xm.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xm @ w)))
        w -= xm.T @ (p - ym) / len(ym) + l2 * np.r_[w[:-1], 0.0]
    return {
        "pairs": len(y),
        "same": int(ym.sum()),
        "weights": dict(zip(cluster.FEATURES, np.round(w[:-1], 3).tolist(), strict=True)),
        "bias": round(float(w[-1]), 3),
    }


def why(names: tuple[str, ...] = SETS) -> dict:
    """Why labelled same-story pairs are apart, pair by pair (the matcher's rules in order):
    more than the window apart, vetoed (a short title, percentages that differ, disjoint
    companies), never compared (no shared key: the index does not offer one to the other),
    stopped by the gate (no shared topic term or number, cosine below COSINE_GATE), below
    THRESHOLD, or the pair passes (then only the span rule, crowded words, the lead rule,
    the candidate cap or the arrival order keeps them apart). Counts a file; "passes" among
    different-story pairs is what could merge."""
    import itertools

    from dashboard.stories import cluster

    tagger = Tagger(load_taxonomy())
    out = {}
    for name in names:
        rows, items = _labelled_items(name, tagger)
        same, other = Counter(), Counter()
        for (ra, a), (rb, b) in itertools.combinations(zip(rows, items, strict=True), 2):
            if abs(a.at - b.at) > cluster.WINDOW_HOURS * 3600:
                reason = "window"
            elif cluster.vetoed(a, b):
                reason = "vetoed"
            elif not set(cluster.keys(a.words)) & set(cluster.keys(b.words)):
                reason = "never compared"
            elif cluster.similarity(a, b) == 0.0:
                reason = "gate"
            elif cluster.similarity(a, b) < cluster.THRESHOLD:
                reason = "below threshold"
            else:
                reason = "passes"
            (same if ra["story"] == rb["story"] else other)[reason] += 1
        out[name] = {"same_story": dict(same), "different_passing": other["passes"]}
    return out


if __name__ == "__main__":
    if "--fit" in sys.argv:
        print(fit())
    elif "--why" in sys.argv:
        for name, counts in why().items():
            print(name, counts)
    else:
        run()
