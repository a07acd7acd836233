"""Analysts' corrections applied to a headline's tags: pure, so the tagger's output and the
corrected tags the store keeps come from one rule (feedback, retag and every page agree).

A correction is (kind, key, value):
  relevance  ''       'not_relevant'       the headline is not about AI hardware: no tags
  company    name     'remove' | 'add'
  theme      theme id 'remove' | 'add'     an added theme scores 1.0 (the analyst is sure)
  direction  theme id '-1' | '0' | '1'     easing, neutral, escalating (a carried theme only)
Corrections apply in the order they were given, so the latest one about the same thing wins.
Every corrected tag keeps evidence: the analyst's, marked where = 'analyst'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from dashboard.errors import FeedbackError
from dashboard.models import Correction
from dashboard.tagging.direction import Cue
from dashboard.tagging.tagger import CompanyMatch, Evidence, Tags

KINDS = ("relevance", "company", "theme", "direction")
VALUES = {
    "relevance": ("not_relevant",),
    "company": ("remove", "add"),
    "theme": ("remove", "add"),
    "direction": ("-1", "0", "1"),
}
ANALYST = "analyst"  # the `where` of an analyst's evidence and the alias of an added company
ADDED_SCORE = 1.0
DIRECTION_WORDS = {"-1": "easing", "0": "neutral", "1": "escalating"}


def check(
    kind: str, key: str, value: str, *, themes: Sequence[str], companies: Sequence[str]
) -> Correction:
    """A correction as stored, or FeedbackError saying what is wrong with it. Company names
    are matched in any case and given back canonical."""
    kind, key, value = (kind or "").strip(), (key or "").strip(), str(value).strip()
    if kind not in KINDS:
        raise FeedbackError(f"unknown correction {kind!r}: use one of {', '.join(KINDS)}")
    words = {"easing": "-1", "neutral": "0", "escalating": "1"}
    value = words.get(value, value) if kind == "direction" else value
    if value not in VALUES[kind]:
        raise FeedbackError(f"{kind}: value must be one of {', '.join(VALUES[kind])}")
    if kind == "relevance":
        return Correction(kind, "", value)
    if kind == "company":
        canonical = {c.casefold(): c for c in companies}.get(key.casefold())
        if canonical is None:
            raise FeedbackError(f"unknown company {key!r} (the taxonomy's names only)")
        return Correction(kind, canonical, value)
    if key not in themes:
        raise FeedbackError(f"unknown theme {key!r}: use one of {', '.join(themes)}")
    return Correction(kind, key, value)


def apply(tags: Tags, corrections: Iterable[Correction]) -> Tags:
    """The tags with the corrections applied, oldest first."""
    for c in corrections:
        tags = _apply_one(tags, c)
    return tags


def _apply_one(tags: Tags, c: Correction) -> Tags:
    note = Evidence(f"corrected by {c.author or 'an analyst'}", ANALYST, ADDED_SCORE)
    if c.kind == "relevance":
        return Tags((), {}, {}, (), {}, {})
    if c.kind == "company":
        kept = tuple(m for m in tags.companies if m.name != c.key)
        if c.value == "add":
            kept += (CompanyMatch(c.key, ANALYST),)
        return replace(tags, companies=kept)
    scores, evidence = dict(tags.scores), dict(tags.evidence)
    directions, cues = dict(tags.directions), dict(tags.direction_evidence)
    themes = tuple(t for t in tags.themes if t != c.key)
    if c.kind == "theme":
        if c.value == "remove":
            for d in (scores, evidence, directions, cues):
                d.pop(c.key, None)
            return Tags(tags.companies, scores, evidence, themes, directions, cues)
        scores[c.key] = ADDED_SCORE
        evidence[c.key] = (*evidence.get(c.key, ()), note)
        directions.setdefault(c.key, 0)
        return Tags(tags.companies, scores, evidence, (*themes, c.key), directions, cues)
    if c.key not in tags.themes:  # a direction for a theme the headline does not carry
        return tags
    directions[c.key] = int(c.value)
    word = DIRECTION_WORDS[c.value]
    cues[c.key] = (Cue(f"{word}, {note.term}", ANALYST, float(c.value)),)
    return Tags(tags.companies, scores, evidence, tags.themes, directions, cues)


def describe(c: Correction) -> str:
    """One line for a page, a CSV cell or the CLI: 'theme supply_chain removed'."""
    if c.kind == "relevance":
        return "not relevant"
    if c.kind == "direction":
        return f"direction of {c.key}: {DIRECTION_WORDS[c.value]}"
    return f"{c.kind} {c.key} {'added' if c.value == 'add' else 'removed'}"


def notes_text(packed: str | None) -> str:
    """A headline's standing corrections as the extracts show them, from the store's packed
    cell (store/feedback.PACKED_SQL): 'theme geopolitics removed (ann@example.com 2026-12-03);
    ...'; '' when there are none."""
    if not packed:
        return ""
    out = []
    for item in packed.split("\x1e"):
        kind, key, value, author, day = item.split("\x1f")
        out.append(f"{describe(Correction(kind, key, value))} ({author} {day})")
    return "; ".join(out)
