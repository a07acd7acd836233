"""What the analysts' corrections teach: labelled rows in the format of tests/data/labels.csv,
the taxonomy scored against them, and the terms behind the most corrected tags."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from dashboard.files import replaced_atomically
from dashboard.store import Store
from dashboard.tagging import corrections
from dashboard.tagging.evaluate import EvalReport, evaluate


def label_rows(store: Store, tagger) -> Iterator[dict[str, str]]:
    """One labelled row a corrected headline: its tags as corrected (the tagger's output with
    every standing correction applied), then its url and the corrections themselves."""
    heads = store.corrected_headlines()
    standing = store.standing_corrections([h[0] for h in heads])
    notes = store.correction_notes([h[0] for h in heads])
    theme_ids = tagger.taxonomy.theme_ids
    for hid, title, summary, url, _published in heads:
        tags = corrections.apply(tagger.tag(title, summary), standing.get(hid, []))
        row = {"title": title, "summary": summary}
        row["companies"] = ";".join(m.name for m in tags.companies)
        row.update({t: str(int(t in tags.themes)) for t in theme_ids})
        row.update({f"{t}_direction": str(tags.directions.get(t, 0)) for t in theme_ids})
        row["url"] = url or ""
        row["corrections"] = notes.get(hid, "")
        yield row


def columns(tagger) -> list[str]:
    theme_ids = tagger.taxonomy.theme_ids
    return [
        "title",
        "summary",
        "companies",
        *theme_ids,
        *[f"{t}_direction" for t in theme_ids],
        "url",
        "corrections",
    ]


def write_labels(store: Store, tagger, out: str | Path) -> int:
    """Write the analysts' labelled rows to a CSV, whole or not at all; rows written."""
    rows = list(label_rows(store, tagger))
    with replaced_atomically(out) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns(tagger), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return len(rows)


def evaluate_feedback(store: Store, tagger) -> tuple[int, EvalReport | None]:
    """The current taxonomy scored against the analysts' corrected headlines, through the
    same evaluation as a labelled file; (rows, None) when nobody corrected anything."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feedback.csv"
        n = write_labels(store, tagger, path)
        if not n:
            return 0, None
        return n, replace(evaluate(path, tagger), path="the analysts' corrections")


class TermNote(NamedTuple):
    term: str  # the words that matched (a theme term, an alias, a direction cue) or "—"
    tag: str  # the theme id or company the correction was about
    correction: str  # corrections.describe(...)
    count: int  # headlines corrected in this way with this term behind the tag
    example: str  # one such headline's title


def corrected_terms(store: Store, tagger, limit: int = 50) -> list[TermNote]:
    """The terms behind the most corrected tags: for each standing correction, what in the
    tagger's own output (before corrections) made or missed the tag, most frequent first."""
    heads = store.corrected_headlines()
    standing = store.standing_corrections([h[0] for h in heads])
    found: dict[tuple[str, str, str], list] = {}
    for hid, title, summary, _url, _published in heads:
        raw = tagger.tag(title, summary)
        for c in standing.get(hid, []):
            for term, tag in _behind(raw, c):
                key = (term, tag, corrections.describe(c))
                found.setdefault(key, [0, title])[0] += 1
    notes = [TermNote(*k, n, ex) for k, (n, ex) in found.items()]
    return sorted(notes, key=lambda t: (-t.count, t.tag, t.term))[:limit]


def _behind(raw, c) -> list[tuple[str, str]]:
    """(term, tag) pairs of the tagger's output that a correction speaks to; ('—', tag)
    when the tagger found nothing (a missed company or theme)."""
    if c.kind == "relevance":
        pairs = [(e.term, t) for t in raw.themes for e in raw.evidence.get(t, ())]
        pairs += [(m.alias, m.name) for m in raw.companies]
        return pairs or [("—", "any")]
    if c.kind == "company":
        hits = [(m.alias, m.name) for m in raw.companies if m.name == c.key]
        return hits or [("—", c.key)]
    if c.kind == "direction":
        cues = [(q.term, c.key) for q in raw.direction_evidence.get(c.key, ()) if q.weight]
        return cues or [("—", c.key)]
    terms = [(e.term, c.key) for e in raw.evidence.get(c.key, ())]
    return terms or [("—", c.key)]
