"""Records that pass between the steps of the data flow."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Headline:
    """One normalized feed entry, ready to tag and store."""

    id: str  # stable dedup key (hex digest), see normalize.dedup_key
    source: str  # outlet name: feed title, else the link's domain
    title: str  # plain text
    summary: str  # plain text, may be ""
    url: str | None  # canonical http(s) URL, or None when the entry has no safe link
    published_at: str  # ISO-8601 UTC, "YYYY-MM-DDTHH:MM:SSZ"
    published_estimated: bool = False  # True when no date came with the entry


@dataclass(slots=True)
class ParsedFeed:
    """What parse() makes of one document."""

    title: str | None
    link: str | None
    headlines: list[Headline] = field(default_factory=list)
    warning: str | None = None  # feedparser flagged the document but entries were kept
    demo: bool = False  # written by Chipwatch's synthetic demo generator
    skipped: int = 0  # entries dropped (no title, no summary, nothing to show)
    ttl: int | None = None  # RSS <ttl>: minutes the publisher asks readers to wait


@dataclass(slots=True)
class FetchResult:
    """What fetch() brings back for one feed URL. Never parsed here."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int  # HTTP status of the final response (304 when not modified)
    body: bytes | None  # None when not modified
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Correction(NamedTuple):
    """An analyst's correction of a headline's tags (rules: tagging/corrections.py)."""

    kind: str  # relevance | company | theme | direction
    key: str  # '' | company name | theme id
    value: str  # not_relevant | add | remove | -1 | 0 | 1
    author: str = ""


class RetagBatch(NamedTuple):
    """Headlines to re-score (rowid, id, title, summary, published_at, then the tag columns
    of TagRows.columns) with their stored headline_companies rows by headline id, and the
    analysts' standing corrections of those that have some (applied after tagging)."""

    rows: list[tuple]
    companies: dict[str, list[tuple]]
    corrections: dict[str, list[Correction]] = {}  # never mutated


class RetagPlan(NamedTuple):
    """The writes that bring one RetagBatch to its new tags (see plan_retag)."""

    version: str
    changed: int  # headlines whose tags differ from the stored ones
    deletes: dict[str, list[tuple]]  # table -> (headline_id, key) rows to remove
    upserts: dict[str, list[tuple]]  # table -> rows to insert or replace
    heads: list[tuple]  # (*TagRows.columns, version, rowid) for changed columns
    versioned: list[int]  # rowids that only take the new version
    counts: dict[tuple[str, str, str], list]  # rollup increments, negative ones included


# -- evidence as text: the one format of the CSV extracts, the headline tables, `chipwatch tag`
# and the Taxonomy page's try-out.
def evidence_terms(terms: Iterable[Sequence], *, weights: bool = False) -> str:
    """One theme's evidence from (term, where[, weight]) tuples: 'term (where), ...', or with
    weights 'term (where 0.90), ...'."""
    if weights:
        return ", ".join([f"{t[0]} ({t[1]} {t[2]:.2f})" for t in terms])
    return ", ".join([f"{t[0]} ({t[1]})" for t in terms])


def cue_text(cues: dict) -> str:
    """A headline's direction evidence from {theme: cues} (tagging.direction.Cue):
    'theme: cue (where +0.90), cue (where +0.00 cancelled by 'no'); theme: ...'."""
    return "; ".join(
        f"{tid}: "
        + ", ".join(
            f"{c.term} ({c.where} {c.weight:+.2f}{' ' + c.note if c.note else ''})" for c in cs
        )
        for tid, cs in cues.items()
        if cs
    )


def evidence_text(themes: Iterable[tuple[str, Sequence[Sequence]]]) -> str:
    """A headline's evidence from (theme, terms) pairs, in the order given:
    'theme: term (where), term (where); theme: ...'; themes without terms are left out."""
    return "; ".join([f"{theme}: {evidence_terms(terms)}" for theme, terms in themes if terms])
