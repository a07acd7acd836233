"""Filters -> SQL: the WHERE clause and parameters both read modules share, the full-text
query builder, and the few small reads they both need. Values always travel as bound
parameters; the fragments built here are fixed text.
"""

# The SQL f-strings here splice only fixed fragments written in this module; every value is a
# bound parameter, so the S608 heuristic (string-built SQL) does not apply.
# ruff: noqa: S608

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

from dashboard.filters import Filters

MAX_QUERY_TERMS = 16

# -- text search -----------------------------------------------------------------------------
_QUERY_TOKEN = re.compile(r'"([^"]*)"?|([^\W_]+)(\*?)')
_WORD = re.compile(r"[^\W_]+")


def fts_query(text: str) -> str:
    """Turn what the user typed into a safe FTS5 query ('' means no text filter).

    Words are quoted one by one and ANDed; a "quoted phrase" stays a phrase; a trailing * on
    a word makes it a prefix. Everything else (operators, brackets, colons) is dropped, so
    no input can raise an FTS5 syntax error or smuggle in a column filter.
    """
    parts: list[str] = []
    for m in _QUERY_TOKEN.finditer(text or ""):
        phrase, word, star = m.groups()
        if phrase is not None:
            words = _WORD.findall(phrase)
            if words:
                parts.append('"' + " ".join(words) + '"')
        elif word:
            parts.append(f'"{word}"' + ("*" if star else ""))
        if len(parts) >= MAX_QUERY_TERMS:
            break
    return " AND ".join(parts)


# -- filter -> SQL ----------------------------------------------------------------------------
def _bounds(f: Filters) -> tuple[str, str]:
    lo = f.date_from.isoformat() if f.date_from else ""
    hi = (f.date_to + timedelta(days=1)).isoformat() if f.date_to else "9999"
    return lo, hi


def _params(f: Filters, today: date | None = None) -> dict:
    lo, hi = _bounds(f)
    end = f.date_to or today or datetime.now(UTC).date()
    return {
        "lo": lo,
        "hi": hi,
        "end": end.isoformat(),
        "companies": json.dumps(list(f.companies)),
        "themes": json.dumps(list(f.themes)),
        "sources": json.dumps(list(f.sources)),
        "q": fts_query(f.q),
        "min": f.min_score,
        "c1": f.companies[0] if f.companies else "",
        "t1": f.themes[0] if f.themes else "",
    }


def _theme_cond(f: Filters, alias: str = "ht") -> str:
    """Conditions on a headline_themes row for a theme to count under f."""
    cond = f"{alias}.carried = 1"
    if len(f.themes) == 1:
        cond += f" AND {alias}.theme = :t1"  # a point look-up in (headline_id, theme)
    elif f.themes:
        cond += f" AND {alias}.theme IN (SELECT value FROM json_each(:themes))"
    if f.min_score is not None:
        cond += f" AND {alias}.score >= :min"
    return cond


def _where(f: Filters, *, probe: bool = False, source_index: bool = True) -> str:
    """WHERE clause over `headlines h` for f.

    probe=False builds sets (IN subqueries), best when every match is visited (aggregates);
    probe=True checks each row (EXISTS), best when walking an index in order for one page.
    """
    # With text, the FTS match drives and the dates are checked per row (the unary + keeps
    # SQLite from walking the date index over every headline instead).
    col = "+h.published_at" if fts_query(f.q) and not probe else "h.published_at"
    conds = ["1"]
    # Necessary conditions that the score index holds come first: rows they reject are never
    # read from the table (SQLite checks the terms in this order).
    if probe and len(f.companies) == 1:
        # Read from the row's own ';'-joined names; the exact look-up below confirms.
        conds.append("instr(';' || h.companies || ';', ';' || :c1 || ';')")
    if probe and len(f.themes) == 1:
        conds.append("instr(';' || h.themes || ';', ';' || :t1 || ';')")
    if probe and f.min_score is not None:
        conds.append("h.max_score >= :min")  # no theme scores more than the maximum
    if f.date_from:
        conds.append(f"{col} >= :lo")
    if f.date_to:
        conds.append(f"{col} < :hi")
    if f.sources:
        plus = "" if source_index else "+"  # the unary + hides the column from the planner
        conds.append(f"{plus}h.source IN (SELECT value FROM json_each(:sources))")
    if fts_query(f.q):
        conds.append("h.rowid IN (SELECT rowid FROM headlines_fts WHERE headlines_fts MATCH :q)")
    company = "company IN (SELECT value FROM json_each(:companies))"
    if f.companies and probe:
        conds.append(
            f"EXISTS (SELECT 1 FROM headline_companies hc WHERE hc.headline_id = h.id"
            f" AND hc.{company})"
        )
    elif f.companies:
        conds.append(
            f"h.id IN (SELECT headline_id FROM headline_companies WHERE {company}"
            " AND published_at >= :lo AND published_at < :hi)"
        )
    if f.themes and probe:
        conds.append(
            "EXISTS (SELECT 1 FROM headline_themes ht WHERE ht.headline_id = h.id"
            f" AND {_theme_cond(f)})"
        )
    elif f.themes:
        conds.append(
            f"h.id IN (SELECT ht.headline_id FROM headline_themes ht WHERE {_theme_cond(f)}"
            " AND ht.published_at >= :lo AND ht.published_at < :hi)"
        )
    elif f.min_score is not None:
        conds.append("h.max_score >= :min")
    return " AND ".join(conds)


# -- small reads both read modules need ------------------------------------------------------
def _skip_scan(store, table: str, column: str) -> list[str]:
    # Distinct leading index values in O(values x log n) instead of a scan of every row.
    sql = f"""WITH RECURSIVE v(x) AS (
                SELECT (SELECT min({column}) FROM {table})
                UNION ALL SELECT (SELECT min({column}) FROM {table} WHERE {column} > v.x)
                FROM v WHERE v.x IS NOT NULL)
              SELECT x FROM v WHERE x IS NOT NULL"""
    return [r[0] for r in store.conn.execute(sql)]


def theme_ids(store) -> list[str]:
    """Themes present in stored tags, sorted (callers add the taxonomy's own ids)."""
    return _skip_scan(store, "headline_themes", "theme")


def stored_tags(conn, table: str, columns: str, ids: list[str]) -> dict[str, list[tuple]]:
    """The rows of a tag table (headline_themes or headline_companies) for these headlines,
    grouped by headline id: (headline_id, *columns), in one look-up by primary key each."""
    found: dict[str, list[tuple]] = {}
    for row in conn.execute(
        f"SELECT headline_id, {columns} FROM {table}"
        " WHERE headline_id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),),
    ):
        found.setdefault(row[0], []).append(row)
    return found
