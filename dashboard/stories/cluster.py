"""Stories: the same event told by several outlets, found from words, entities and time.

A headline joins the story of the most similar earlier-or-later headline published within
WINDOW_HOURS of it, when that similarity reaches THRESHOLD; otherwise it opens a story of
its own. Similarity is the Jaccard index of the two titles' content terms (stop words
dropped, light stemming, numbers kept as numbers, CJK text as character pairs, and one
term a watched company the tagger found), with two
vetoes that keep different events apart:

* both headlines name watched companies and no company is shared;
* both carry numbers ("$5.5 billion", "10%", "H20") and no number is shared, which halves
  the similarity (monthly sales figures, different deal sizes).

A headline is compared only with candidates that share a *key* with it (a distinctive
term, see `keys`) inside the window, found through an index, never with every row; at
most MAX_CANDIDATES of them, the ones sharing the most keys. So ten thousand near-identical
titles cost ten thousand bounded look-ups, not a quadratic blow-up.

When a headline is similar enough to headlines of two stories, it joins the story of the
single most similar headline (the older story on a tie). Stories are never merged: a story
id, once given, never changes, and merging two events is worse than missing a paraphrase.

Defined behaviour for awkward input: a title with fewer than MIN_TERMS content terms (empty,
one word) opens a story of its own and is offered to no one, except that two headlines
with the same URL always share a story. Titles in other scripts are matched within their
own script only. Timestamps far in the future or past are matched against what lies
within the window of their own timestamp.

This module is pure: no SQL, no Streamlit. The store finds the candidates; `choose` decides.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

WINDOW_HOURS = 48
THRESHOLD = 0.25
MIN_TERMS = 2
MAX_CANDIDATES = 60
MAX_KEYS = 8
NUMBER_MISMATCH = 0.5

# Words that say nothing about which event a headline reports.
STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "nor",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "without",
        "into",
        "onto",
        "over",
        "under",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "will",
        "would",
        "shall",
        "should",
        "can",
        "could",
        "may",
        "might",
        "must",
        "its",
        "it",
        "this",
        "that",
        "these",
        "those",
        "their",
        "there",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "we",
        "our",
        "you",
        "your",
        "i",
        "not",
        "no",
        "yes",
        "than",
        "then",
        "so",
        "such",
        "via",
        "per",
        "vs",
        "versus",
        "about",
        "after",
        "before",
        "amid",
        "among",
        "against",
        "up",
        "down",
        "out",
        "off",
        "again",
        "more",
        "most",
        "less",
        "least",
        "very",
        "just",
        "also",
        "still",
        "yet",
        "new",
        "says",
        "said",
        "say",
        "report",
        "reports",
        "reported",
        "reportedly",
        "sources",
        "source",
        "according",
        "told",
        "tells",
        "update",
        "updated",
        "exclusive",
        "analysis",
        "opinion",
        "live",
        "breaking",
        "watch",
        "video",
        "podcast",
        "week",
        "weeks",
        "day",
        "days",
        "year",
        "years",
        "month",
        "months",
        "today",
        "yesterday",
        "tomorrow",
        "first",
        "last",
        "next",
        "one",
        "two",
        "three",
        "plus",
        "how",
        "why",
        "what",
        "when",
        "where",
        "who",
        "which",
        "while",
        "amidst",
        "despite",
        "towards",
        "toward",
        "inc",
        "corp",
        "co",
        "ltd",
        "plc",
        "group",
        "company",
        "companies",
        "firm",
        "firms",
    ]
)
# Frequent in this beat: they may support a match but do not find candidates.
COMMON = frozenset(
    [
        "chip",
        "chips",
        "chipmaker",
        "chipmakers",
        "semiconductor",
        "semiconductors",
        "ai",
        "us",
        "u.s",
        "china",
        "chinese",
        "market",
        "markets",
        "share",
        "shares",
        "stock",
        "stocks",
        "price",
        "prices",
        "deal",
        "deals",
        "plan",
        "plans",
        "sale",
        "sales",
        "tech",
        "technology",
        "global",
        "world",
        "government",
        "state",
        "data",
        "billion",
        "million",
        "bn",
        "mn",
        "trillion",
        "percent",
        "pct",
        "new",
        "say",
    ]
)

_SUFFIX = re.compile(r"\s+[-–—|]\s+[^-–—|]{2,40}$")  # " - Reuters", " | Nikkei Asia"
_TOKEN = re.compile(
    r"\$?\d+(?:[.,]\d+)*%?|[a-z][a-z0-9]*(?:[.'’-][a-z0-9]+)*|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_NUMBER = re.compile(r"\d")


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
    digits = token.replace("$", "").replace(",", "").rstrip("%")
    return "#" + (digits.rstrip("0").rstrip(".") if "." in digits else digits)


def terms(title: str, companies: Iterable[str] = ()) -> frozenset[str]:
    """The content terms of a title, plus one '@name' term a watched company it names
    (so "H20" and "Nvidia" meet): what similarity compares."""
    text = unicodedata.normalize("NFKC", title or "").strip()
    text = _SUFFIX.sub("", text).lower().replace("’", "'")
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
    out.update("@" + c.lower() for c in companies)
    return frozenset(out)


def _size(words: frozenset[str]) -> int:
    """Content terms of the title itself, not counting its company terms."""
    return sum(1 for w in words if w[0] != "@")


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
    """What the matcher knows of one headline."""

    story: int | None
    words: frozenset[str]
    companies: frozenset[str]
    url: str | None = None


def similarity(a: Item, b: Item) -> float:
    if a.url and a.url == b.url:
        return 1.0
    if _size(a.words) < MIN_TERMS or _size(b.words) < MIN_TERMS:
        return 0.0
    if a.companies and b.companies and not (a.companies & b.companies):
        return 0.0
    shared = a.words & b.words
    sim = len(shared) / len(a.words | b.words)
    na = {w for w in a.words if w[0] == "#"}
    nb = {w for w in b.words if w[0] == "#"}
    if na and nb and not (na & nb):
        sim *= NUMBER_MISMATCH
    return sim


def choose(item: Item, candidates: Iterable[Item], threshold: float = THRESHOLD) -> int | None:
    """The story `item` joins among the candidates' stories, or None for a story of its
    own: the story of the most similar candidate at or above the threshold, the older
    (smaller id) story on a tie."""
    best: tuple[float, int] | None = None
    for cand in candidates:
        if cand.story is None:
            continue
        sim = similarity(item, cand)
        if sim >= threshold and (best is None or (sim, -cand.story) > (best[0], -best[1])):
            best = (sim, cand.story)
    return None if best is None else best[1]


def split_companies(text: str) -> frozenset[str]:
    return frozenset(c for c in (text or "").split(";") if c)
