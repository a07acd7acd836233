"""How a headline's tags become the store's rows: shaped where the tagging runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from dashboard.models import cue_text, evidence_text

if TYPE_CHECKING:
    from dashboard.tagging.tagger import Tags


class TagRows(NamedTuple):
    """One headline's tags as the store writes them, shaped where the tagging ran (a worker
    process) so the writing process only compares and inserts plain tuples."""

    # The headline row's tag columns: companies, themes, max_score, theme_scores (JSON
    # object), evidence_text (see derived_columns), theme_directions (JSON object of the
    # carried themes whose direction is not neutral), direction_evidence (models.cue_text).
    columns: tuple[str, str, float, str, str, str, str]
    # headline_themes rows (headline_id, theme, score, carried, published_at, direction), every
    # theme scoring above zero; direction is non-zero only on a carried theme.
    themes: tuple[tuple, ...]
    companies: tuple[tuple, ...]  # headline_companies rows


def tag_rows(headline_id: str, published_at: str, tags: Tags) -> TagRows:
    # A retag runs this for every stored headline, so the common cases stay short.
    scored = [(t, s) for t, s in tags.scores.items() if s > 0]
    companies = tags.companies
    company_rows = tuple((headline_id, m.name, m.alias, published_at) for m in companies)
    names = ";".join([m.name for m in companies]) if companies else ""
    if not scored:  # most headlines speak to no theme
        return TagRows((names, "", 0.0, "{}", "", "{}", ""), (), company_rows)
    carried = tags.themes
    evidence = tags.evidence
    directions = {t: d for t, d in tags.directions.items() if d}
    return TagRows(
        (
            names,
            ";".join(carried),
            max(tags.scores.values()),
            *derived_columns(
                [(t, s, [(e.term, e.where) for e in evidence.get(t, ())]) for t, s in scored]
            ),
            direction_column(directions),
            cue_text(tags.direction_evidence) if tags.direction_evidence else "",
        ),
        tuple(
            (headline_id, t, s, int(t in carried), published_at, directions.get(t, 0))
            for t, s in scored
        ),
        company_rows,
    )


def direction_column(directions: dict[str, int]) -> str:
    """A headline's theme_directions column: '{"theme": 1, ...}' of its non-neutral themes in
    alphabetical order ('{}' when none), the JSON the store reads back with json_extract."""
    return "{" + ", ".join([f'"{t}": {d}' for t, d in sorted(directions.items()) if d]) + "}"


def derived_columns(tags: list[tuple[str, float, list[tuple[str, str]]]]) -> tuple[str, str]:
    """A headline's theme_scores and evidence_text columns from its tag rows, given as
    (theme, score, [(term, where), ...]): '{"theme": score, ...}' and
    'theme: term (where), term (where); theme: ...' (themes in alphabetical order)."""
    tags = sorted(tags)
    evidence = evidence_text([(theme, terms) for theme, _score, terms in tags])
    # Theme ids are [a-z][a-z0-9_]* (taxonomy.py) and scores finite floats, whose repr is
    # what json.dumps writes: the same text, at a third of the cost.
    return "{" + ", ".join([f'"{theme}": {score!r}' for theme, score, _ in tags]) + "}", evidence
