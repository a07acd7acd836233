"""Stories: the same event told by several outlets, found from words, entities and time.

A headline joins the story of the most similar earlier-or-later headline published within
WINDOW_HOURS of it, when that similarity reaches THRESHOLD; otherwise it opens a story of
its own. Similarity is the probability, from a small logistic regression over the pair's
evidence (`features`), that two headlines report the same event:

* the Jaccard index of the two titles' content terms (stop words dropped, light stemming,
  numbers kept as numbers and percentages as percentages ("12 per cent" is "#12%"), CJK
  text as character pairs, and one '@name' term a watched company the tagger found);
* the cosine of the titles' static word embeddings (wordllama's bundled 256-d model), which
  sees paraphrases that share no word ("calls off" / "abandons");
* shared topic terms (content terms that are neither numbers, words of a watched company's
  name nor COMMON words of this beat), a shared number ("$5.5 billion", "10%", "H20"), disjoint numbers,
  a shared watched company, and the hours between the two.

Outlets tell one event in different words of the beat ("slashes spending" / "cuts capex",
"blaze" / "fire", "sues" / "lawsuit"): a title also carries one '~concept' term for each
CONCEPTS group it uses a word of, so such paraphrases share a topic term. Generic verbs
("unveils", "announces") form no group: they join unrelated news of one day.

The weights were fitted on the pairs inside the window of the tuning files (TUNING in
bench/stories_quality.py: stories.csv, stories_holdout.csv, stories_holdout_2.csv;
`python bench/stories_quality.py --fit` refits them) and THRESHOLD chosen there for
pairwise precision >= 0.95. Rules stand before the regression and keep different events
apart:

* both headlines name watched companies and no company is shared: never the same story;
* both give percentages and none agrees within rounding ("shares rise 3%" / "shares rise
  5%", "32%" / "31.7 pct" agree): never the same story. Amounts of money are no such rule:
  outlets quote one deal as "$825 million" and "$2.75 billion", one grant with and without
  its loans;
* the pair shares no topic term and no number and its cosine is below COSINE_GATE: not
  the same story. Sharing a company and a day is not enough, however close in time: a
  company with fifty headlines a day has several events a day. Nor are two companies:
  pairs such as Microsoft and Nvidia meet in several events a day.

A headline is compared only with candidates that share a *key* with it (a distinctive
term, see `keys`) inside the window, found through an index, never with every row; at
most MAX_CANDIDATES of them, the ones sharing the most keys. So ten thousand near-identical
titles cost ten thousand bounded look-ups, not a quadratic blow-up.

A story spans at most WINDOW_HOURS from its first headline to its last: a headline joins a
story only if the story, with it, still does, whatever order the headlines arrive in (a
backfilled feed brings older headlines after newer ones). Without this, a topic told day
after day in similar words chains into one story for months (each day's headline close to
the day before's); with it, the next day's burst of the same topic is a story of its own, as
a follow-up should be.

Where events crowd, words stop telling them apart: in an export-control week "export" is
in a dozen events' titles, on a company's busy day its name is in all of them. A topic term
that the candidates of CROWD_STORIES different stories share with a headline is *crowded*
(`crowded`) and counts as no shared topic term for that headline. And in such a window single
link chains events (a third event's title close to the second's, the second's to the
first's), so there a headline joins a story only if it is also LEAD_THRESHOLD similar to the
story's lead, the headline the story began with. In a quiet window single link stays: the
outlets of one event paraphrase each other in a chain (measured on the labelled sets, the
lead rule everywhere costs 4 to 7 points of their pairwise recall; only where crowded, none).

When a headline is similar enough to headlines of two stories, it joins the story of the
single most similar headline (the older story on a tie), or none when that story's lead
rules it out. Stories are never merged: a story id, once given, never changes, and merging
two events is worse than missing a paraphrase.

Defined behaviour for awkward input: a title with fewer than MIN_TERMS content terms (empty,
one word) opens a story of its own and is offered to no one, except that two headlines
with the same URL always share a story. Titles in other scripts are matched within their
own script only, on their words alone (the embedding model reads English).
Timestamps far in the future or past are matched against what lies within the window of
their own timestamp.

This module holds no SQL and no Streamlit. The store finds the candidates; `choose` decides.
The embedding of a title is a pure function of its text, cached in memory (`vectors`).
"""

from __future__ import annotations

import hashlib
import math
import operator
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from dashboard.errors import ChipwatchError

WINDOW_HOURS = 48
THRESHOLD = 0.85
LEAD_THRESHOLD = 0.5  # what joining a story asks of its lead (see `choose`)
CROWD_STORIES = 2  # a topic term candidates of this many stories share is crowded
COSINE_GATE = 0.5
MIN_TERMS = 2
MAX_CANDIDATES = 60
MAX_KEYS = 8
MAX_TOPIC = 3  # shared topic terms past three add nothing
# Titles whose embedding is kept (256 float32, 1 KiB each): two weeks of headlines at a
# million over two years, far more than the 48-hour window needs.
VECTOR_CACHE = 20_000
_DIM = 256  # the bundled model's width

# Logistic regression over `features`, fitted on the tuning files (pairs within the window
# whose companies are not disjoint); BIAS is the intercept.
FEATURES = ("jaccard", "cosine", "topic", "number", "numbers_differ", "company", "days")
WEIGHTS = (0.862, 2.525, 1.201, 1.802, -0.041, 1.025, -2.713)
BIAS = 0.107


class StoryModelError(ChipwatchError):
    """The embedding model the story matcher needs cannot be loaded."""


# Words that say nothing about which event a headline reports.
STOP = frozenset(
    """a about according after again against also amid amidst among an analysis and are as at
    be been before being breaking but by can cent co companies company corp could day days despite
    did do does down exclusive firm firms first for from group had has have he her his how i in
    inc into is it its just last least less live ltd may might month months more most must new
    next no nor not of off on one onto opinion or our out over per plc plus podcast report
    reported reportedly reports said say says shall she should so source sources still such
    tells than that the their them then there these they this those three to today told
    tomorrow toward towards two under up update updated versus very via video vs was watch we
    week weeks were what when where which while who why will with without would year years yes
    yesterday yet you your""".split()  # noqa: SIM905 (a word list reads better as text)
)
# Frequent in this beat: they may support a match but neither find candidates nor count as a
# shared topic term.
COMMON = frozenset(
    """ai billion bn china chinese chip chipmaker chipmakers chips data deal deals global
    government market markets million mn new pct percent plan plans price prices sale sales say
    semiconductor semiconductors share shares state stock stocks tech technology trillion u.s us
    world""".split()  # noqa: SIM905
)

# Words of this beat that tell one thing, a group a line, the first word naming it (words
# are stemmed as titles are). A title using any word of a group also has the term "~first".
CONCEPTS = """buy acquire acquisition takeover purchase merger
    cut slash trim reduce lower shrink
    capex spending investment invest
    halt suspend stop pause freeze
    ban bar block prohibit
    curb restrict restriction control limit tighten rule
    profit earnings income
    plant fab factory facility site
    quake earthquake temblor
    ipo debut listing float
    delay postpone slip
    layoff job workforce employee staff
    fire blaze
    sue lawsuit litigation
    forecast guidance outlook guide
    resign quit step retire depart
    shortage crunch
    surge soar jump rally climb skyrocket
    fall drop slide tumble sink plunge slump
    subsidy grant aid incentive
    probe investigation review
    fine penalty"""

_SUFFIX = re.compile(r"\s+[-–—|]\s+[^-–—|]{2,40}$")  # " - Reuters", " | Nikkei Asia"
_TOKEN = re.compile(
    r"\$?\d+(?:[.,]\d+)*%?|[a-z][a-z0-9]*(?:[.'’-][a-z0-9]+)*|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_NUMBER = re.compile(r"\d")
_PERCENT_WORD = re.compile(r"(\d)\s*(?:percent|per cent|pct)\b")


def _stem(word: str) -> str:
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            if suffix == "es" and not word.endswith(("ses", "xes", "zes", "ches", "shes")):
                continue
            stem = word[: len(word) - len(suffix)] + keep
            if suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2]:
                stem = stem[:-1]  # cutting -> cut, planned -> plan
            return stem
    return word


def _number(token: str) -> str:
    """'#' and the number; a percentage keeps its '%' ("#5.5%"), so it meets only another."""
    digits = token.replace("$", "").replace(",", "").rstrip("%")
    value = digits.rstrip("0").rstrip(".") if "." in digits else digits
    return "#" + value + ("%" if token.endswith("%") else "")


def _percents(numbers: frozenset[str]) -> tuple[float, ...]:
    out = []
    for w in numbers:
        if w.endswith("%"):
            try:
                out.append(float(w[1:-1]))
            except ValueError:  # "1.2.3%": not a percentage
                continue
    return tuple(sorted(out))


def _percents_differ(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Both titles give percentages and none of a's is within rounding of one of b's
    ("32%" and "31.7 pct" agree)."""
    return bool(a and b) and not any(abs(x - y) < 1 for x in a for y in b)


_CONCEPT = {
    _stem(word): "~" + line.split()[0] for line in CONCEPTS.splitlines() for word in line.split()
}


def terms(title: str, companies: Iterable[str] = ()) -> frozenset[str]:
    """The content terms of a title, plus one '@name' term a watched company it names
    (so "H20" and "Nvidia" meet) and one '~concept' term a CONCEPTS group it uses a word of:
    what similarity compares."""
    text = unicodedata.normalize("NFKC", title or "").strip()
    text = _SUFFIX.sub("", text).lower().replace("’", "'")
    text = _PERCENT_WORD.sub(r"\1%", text)  # "12 per cent", "12 pct" -> "12%"
    out: set[str] = set()
    for tok in _TOKEN.findall(text):
        if _CJK.match(tok):
            out.update(tok[i : i + 2] for i in range(max(len(tok) - 1, 1)))
        elif tok[0].isdigit() or tok[0] == "$":
            out.add(_number(tok))
        else:
            tok = tok.removesuffix("'s").replace("'", "")
            if tok in STOP or len(tok) < 2:
                continue
            out.add(_stem(tok.replace("-", "")) if not _NUMBER.search(tok) else tok)
    out.update({_CONCEPT[w] for w in out if w in _CONCEPT})
    # One term a company, without spaces: the store keeps terms space-separated (story_terms).
    out.update("@" + c.lower().replace(" ", "_") for c in companies)
    return frozenset(out)


@lru_cache(maxsize=4096)
def _name_parts(company: str) -> frozenset[str]:
    parts = company[1:].split("_")
    return frozenset(parts) | {_stem(p) for p in parts}


def _name_words(words: frozenset[str]) -> frozenset[str]:
    """The words of the watched companies' names ("sk", "hynix" of '@sk_hynix'): a company
    is evidence once, as a shared company, not again as two shared topic terms."""
    out: frozenset[str] = frozenset()
    for w in words:
        if w[0] == "@":
            out |= _name_parts(w)
    return out


def _size(words: frozenset[str]) -> int:
    """Content terms of the title itself, not counting its company and concept terms."""
    return sum(1 for w in words if w[0] not in "@~")


def url_key(url: str | None) -> str | None:
    if not url:
        return None
    return "u:" + hashlib.blake2b(url.encode(), digest_size=8).hexdigest()


def keys(words: frozenset[str], url: str | None = None) -> list[str]:
    """Index keys that find candidates: distinctive terms (longest first, at most
    MAX_KEYS), numbers, and the URL. Empty for a title too short to match."""
    out = []
    if _size(words) >= MIN_TERMS:
        picked = sorted(
            (w for w in words if w not in COMMON and w[0] != "@"), key=lambda w: (-len(w), w)
        )
        out = picked[:MAX_KEYS]
    uk = url_key(url)
    if uk:
        out.append(uk)
    return out


@dataclass(frozen=True, slots=True)
class Item:
    """What the matcher knows of one headline: its terms, companies, URL, time (epoch
    seconds) and title embedding (unit length; None reads as no cosine evidence)."""

    story: int | None
    words: frozenset[str]
    companies: frozenset[str]
    url: str | None = None
    at: float | None = None
    vec: np.ndarray | None = None
    size: int = field(init=False, compare=False)
    topic: frozenset[str] = field(init=False, compare=False)
    numbers: frozenset[str] = field(init=False, compare=False)
    percents: tuple[float, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        derived = _derived(self.words)
        for name, value in zip(("size", "topic", "numbers", "percents"), derived, strict=True):
            object.__setattr__(self, name, value)


@lru_cache(maxsize=8192)
def _derived(words: frozenset[str]) -> tuple:
    """An Item's size, topic terms, numbers and percentages: a function of its words alone,
    computed once a title (a headline's item is made again when it gets its story)."""
    named = _name_words(words)
    numbers = frozenset(w for w in words if w[0] == "#")
    return (
        _size(words),
        frozenset(w for w in words if w[0] not in "#@" and w not in COMMON and w not in named),
        numbers,
        _percents(numbers),
    )


def features(
    a: Item, b: Item, cos: float | None = None, crowded: frozenset[str] = frozenset()
) -> tuple[float, ...]:
    """The pair's evidence, in FEATURES order (`cos` when the caller computed it already;
    `crowded` topic terms do not count as shared, see `choose`)."""
    shared = len(a.words & b.words)
    union = len(a.words) + len(b.words) - shared
    if cos is None:
        cos = float(a.vec @ b.vec) if a.vec is not None and b.vec is not None else 0.0
    hours = abs(a.at - b.at) / 3600 if a.at is not None and b.at is not None else 0.0
    return (
        shared / union if union else 0.0,
        cos,
        float(min(len(a.topic & b.topic - crowded), MAX_TOPIC)),
        float(bool(a.numbers & b.numbers)),
        float(bool(a.numbers and b.numbers and not a.numbers & b.numbers)),
        float(bool(a.companies & b.companies)),
        min(hours, WINDOW_HOURS) / 24,
    )


def probability(x: Sequence[float]) -> float:
    z = BIAS + sum(map(operator.mul, WEIGHTS, x))
    return 1 / (1 + math.exp(-z))


def vetoed(a: Item, b: Item) -> bool:
    """Different events whatever the regression says: short titles, percentages that differ,
    disjoint companies."""
    if a.size < MIN_TERMS or b.size < MIN_TERMS:
        return True
    if a.percents and b.percents and _percents_differ(a.percents, b.percents):
        return True
    return bool(a.companies and b.companies and not (a.companies & b.companies))


def similarity(a: Item, b: Item, cos: float | None = None) -> float:
    """The probability that a and b report the same event (1.0 for the same URL)."""
    if a.url and a.url == b.url:
        return 1.0
    if vetoed(a, b):
        return 0.0
    return _likelihood(a, b, cos)


def _likelihood(
    a: Item, b: Item, cos: float | None, crowded: frozenset[str] = frozenset()
) -> float:
    """similarity() of a pair that is neither the same URL nor vetoed. The gate comes first:
    most candidates share only a company or a common word and stop there, before the
    regression's features are worked out."""
    if cos is None:
        cos = float(a.vec @ b.vec) if a.vec is not None and b.vec is not None else 0.0
    if cos < COSINE_GATE and not (a.topic & b.topic - crowded or a.numbers & b.numbers):
        return 0.0
    return probability(features(a, b, cos, crowded))


def cosines(item: Item, others: Sequence[Item]) -> list[float]:
    """item's cosine with each of others, in one product (0.0 where a vector is missing)."""
    if item.vec is None or not others:
        return [0.0] * len(others)
    vecs = [o.vec for o in others]
    if any(v is None for v in vecs):
        zero = np.zeros_like(item.vec)
        vecs = [zero if v is None else v for v in vecs]
    # np.array of the rows, not np.stack: the same matrix at half the cost for a few dozen
    return (np.array(vecs) @ item.vec).tolist()


def choose(
    item: Item,
    candidates: Iterable[Item],
    threshold: float = THRESHOLD,
    spans: Mapping[int, Sequence[float]] | None = None,
    lead_of: Callable[[int], Item | None] | None = None,
) -> int | None:
    """The story `item` joins among the candidates' stories, or None for a story of its
    own: the story of the most similar candidate at or above the threshold, the older
    (smaller id) story on a tie. `spans` gives a story's (first, last) headline times (epoch
    seconds): a story that would span more than WINDOW_HOURS with item is not joined.
    `lead_of` gives a story's lead headline (asked for the chosen story only, None when
    unknown): in a crowded window (see `crowded`) the story is joined only if its lead is at
    least LEAD_THRESHOLD similar to item too."""
    url = item.url
    cands = [
        c
        for c in candidates
        if c.story is not None
        and ((url and url == c.url) or not vetoed(item, c))  # the same URL: vetoes or not
        and _in_span(item, c.story, spans)
    ]
    if not cands:
        return None
    busy = crowded(item, cands)
    best: tuple[float, int, Item] | None = None
    for cand, cos in zip(cands, cosines(item, cands), strict=True):
        sim = 1.0 if url and url == cand.url else _likelihood(item, cand, cos, busy)
        if sim >= threshold and (best is None or (sim, -cand.story) > (best[0], -best[1])):
            best = (sim, cand.story, cand)
    if best is None:
        return None
    _, story, cand = best
    lead = lead_of(story) if busy and lead_of else None
    if lead is not None and lead is not cand and not _near(item, lead, busy):
        return None
    return story


def crowded(item: Item, cands: Sequence[Item]) -> frozenset[str]:
    """item's topic terms that candidates of CROWD_STORIES or more different stories share
    with it: in a crowded window ("export" in an export-control week, a company's name on
    its busy day) such a word names the beat, not one event, so it does not count as a
    shared topic term."""
    seen: dict[str, set[int]] = {}
    topic = item.topic
    if not topic:
        return frozenset()
    for c in cands:
        shared = topic & c.topic
        if shared:  # most candidates share none
            for w in shared:
                seen.setdefault(w, set()).add(c.story)
    return frozenset(w for w, stories in seen.items() if len(stories) >= CROWD_STORIES)


def _near(item: Item, lead: Item, busy: frozenset[str]) -> bool:
    """Whether item is close enough to a story's lead to join the story: where events crowd,
    single link chains them (a third event's title near the second's, the second's near the
    first's), so a joiner must also resemble the headline the story began with."""
    if item.url and item.url == lead.url:
        return True
    return not vetoed(item, lead) and _likelihood(item, lead, None, busy) >= LEAD_THRESHOLD


def _in_span(item: Item, story: int, spans: Mapping[int, Sequence[float]] | None) -> bool:
    span = spans.get(story) if spans else None
    if span is None or item.at is None:
        return True
    return max(span[1], item.at) - min(span[0], item.at) <= WINDOW_HOURS * 3600


def split_companies(text: str) -> frozenset[str]:
    return frozenset(c for c in (text or "").split(";") if c)


# -- title embeddings -----------------------------------------------------------------------
_model = None
_model_lock = threading.Lock()
_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


def load_model():
    """The embedding model, loaded once a process (before forking workers, which then share
    it instead of loading their own)."""
    global _model
    with _model_lock:
        if _model is None:
            try:
                import wordllama
                from wordllama import WordLlama

                # The wheel ships its tokenizer under tokenizers/ beside the weights; pointing
                # cache_dir at the package and disabling downloads keeps it offline.
                _model = WordLlama.load(cache_dir=wordllama.__path__[0], disable_download=True)
            except Exception as exc:  # ImportError, a missing or unreadable weights file
                raise StoryModelError(f"cannot load the story embedding model: {exc}") from exc
    return _model


def vectors(titles: Sequence[str]) -> list[np.ndarray]:
    """Unit-length embeddings of the titles (cached by text, embedded in one batch)."""
    with _cache_lock:
        out = [_cache.get(t) for t in titles]
    missing = sorted({t for t, v in zip(titles, out, strict=True) if v is None})
    # The model reads English: CJK text comes out as byte pieces whose average says little
    # and looks alike across unrelated headlines, so such a title brings no cosine evidence.
    if any(_CJK.search(t) for t in missing):
        zero = np.zeros(_DIM, dtype=np.float32)
        out = [
            zero if v is None and _CJK.search(t) else v for t, v in zip(titles, out, strict=True)
        ]
        missing = [t for t in missing if not _CJK.search(t)]
    if missing:
        # an empty or unknown-word title embeds to zeros (no cosine evidence), not NaN
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = load_model().embed(missing, norm=True)
        embedded = np.nan_to_num(raw.astype(np.float32), nan=0.0)
        # a row of its own, so a cached title does not keep its whole batch alive
        fresh = {t: row.copy() for t, row in zip(missing, embedded, strict=True)}
        with _cache_lock:
            _cache.update(fresh)
            while len(_cache) > VECTOR_CACHE:
                _cache.popitem(last=False)
        out = [v if v is not None else fresh[t] for t, v in zip(titles, out, strict=True)]
    return out
