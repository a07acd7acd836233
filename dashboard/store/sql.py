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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from dashboard.filters import Filters

MAX_QUERY_TERMS = 16

# -- text search -----------------------------------------------------------------------------
# What the user types, in the search box or ?q=: words (all must occur), "a phrase", prefix*,
# -word or -"a phrase" (must not occur), and OR between two terms (either may occur). Words
# are split where the FTS5 tokenizer splits them (any character but a letter or digit), so
# "U.S." and "co-operation" are searched as the phrases the index holds.
_TOKEN = re.compile(r'-?"[^"]*"?|[^\s"]+')
_WORD = re.compile(r"[^\W_]+")
# Characters that look like an operator to the analyst: when dropped, we say so.
_OPERATORS = set('()[]{}^~:+%*"')


@dataclass(frozen=True)
class TextQuery:
    match: str  # FTS5 expression the headline must match ('' = no such condition)
    exclude: str  # FTS5 expression it must not match, when nothing else is asked for
    notices: tuple[str, ...]  # what of the text was ignored, and why

    def __bool__(self) -> bool:
        return bool(self.match or self.exclude)


@lru_cache(maxsize=256)
def parse_query(text: str) -> TextQuery:
    """Turn what the user typed into safe FTS5 expressions, and say what was ignored.

    Every term is quoted, so no input can raise an FTS5 syntax error or smuggle in a column
    filter; OR joins its two neighbours (a b OR c is a AND (b OR c)); negated terms are
    excluded. A query of negations only ("-nvidia") cannot be an FTS5 expression on its own:
    it comes back as ``exclude``, which the WHERE clause turns into NOT IN.
    """
    notices: list[str] = []
    ignored: list[str] = []  # tokens and characters that mean nothing to the search
    groups: list[list[str]] = []  # ANDed groups of ORed terms
    negated: list[str] = []
    pending_or = negate_next = last_positive = False
    terms = 0
    for token in _TOKEN.findall(text or ""):
        if token == "OR":
            if last_positive:
                pending_or = True
            else:
                notices.append("“OR” needs a search term on each side: it was ignored.")
            last_positive = False
            continue
        if token == "AND":
            continue  # what terms do anyway
        if token == "NOT":
            negate_next = True
            continue
        negative = negate_next or (token.startswith("-") and len(token) > 1)
        negate_next = False
        body = token[1:] if token.startswith("-") and len(token) > 1 else token
        if body.startswith('"'):
            inner = body[1:-1] if len(body) > 1 and body.endswith('"') else body[1:]
            if not (len(body) > 1 and body.endswith('"')):
                notices.append(f"An unclosed quote was closed: searched “{inner.strip()}”.")
            star = False
        else:
            star = body.endswith("*")
            inner = body.rstrip("*")
            ignored.extend(c for c in inner if c in _OPERATORS)
        words = _WORD.findall(inner)
        if not words:
            if token.strip('"'):
                ignored.append(token)
            pending_or = last_positive = False
            continue
        if terms >= MAX_QUERY_TERMS:
            notices.append(f"Only the first {MAX_QUERY_TERMS} search terms were used.")
            break
        terms += 1
        term = '"' + " ".join(words) + '"' + ("*" if star else "")
        if negative:
            negated.append(term)
            if pending_or:
                notices.append("“OR” before an excluded term was ignored.")
            pending_or = last_positive = False
        else:
            if pending_or and groups:
                groups[-1].append(term)
            else:
                groups.append([term])
            pending_or, last_positive = False, True
    if pending_or:
        notices.append("“OR” needs a search term on each side: it was ignored.")
    if text and text.strip() and not groups and not negated:
        notices = [
            f"The search “{text.strip()[:60]}” was ignored: it holds no word (letters or"
            " digits) to look for, so every headline is shown."
        ]
    elif ignored:
        notices.insert(
            0,
            "Ignored in the search: "
            + " ".join(f"“{x}”" for x in dict.fromkeys(ignored))
            + ' (words, "phrases", prefix*, -word and OR are understood).',
        )
    positive = " AND ".join(g[0] if len(g) == 1 else "(" + " OR ".join(g) + ")" for g in groups)
    excluded = negated[0] if len(negated) == 1 else "(" + " OR ".join(negated) + ")"
    if positive and negated:
        return TextQuery(f"{positive} NOT {excluded}", "", tuple(dict.fromkeys(notices)))
    return TextQuery(positive, excluded if negated else "", tuple(dict.fromkeys(notices)))


def fts_query(text: str) -> str:
    """The FTS5 expression a headline must match for ``text`` ('' means none)."""
    return parse_query(text or "").match


def has_text(text: str) -> bool:
    """Does ``text`` filter the headlines at all (a match or an exclusion)?"""
    return bool(parse_query(text or ""))


def query_notices(text: str) -> tuple[str, ...]:
    """What of the search ``text`` was ignored, for the page to say."""
    return parse_query(text or "").notices


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
        "qx": parse_query(f.q or "").exclude,
        "min": f.min_score,
        "c1": f.companies[0] if f.companies else "",
        "t1": f.themes[0] if f.themes else "",
        # One name each for _listed(): the headline row's own ';'-joined columns.
        **{f"c_{i}": c for i, c in enumerate(f.companies)},
        **{f"t_{i}": t for i, t in enumerate(f.themes)},
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
    if parse_query(f.q or "").exclude:
        conds.append(
            "h.rowid NOT IN (SELECT rowid FROM headlines_fts WHERE headlines_fts MATCH :qx)"
        )
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


def _listed(column: str, prefix: str, n: int) -> str:
    """Is any of the n values bound as :{prefix}_0 ... a name of the row's ';'-joined column?
    (The plain instr first: it rejects most rows without building the ';'-framed text.)"""
    one = "(instr({c}, :{v}) AND instr(';' || {c} || ';', ';' || :{v} || ';'))"
    return "(" + " OR ".join(one.format(c=column, v=f"{prefix}_{i}") for i in range(n)) + ")"


def covered_where(f: Filters, alias: str = "x") -> str | None:
    """WHERE clause over `headlines {alias}` for f read from the row's own tag columns alone
    (companies, themes, max_score, published_at), or None when f needs more (sources, text,
    a minimum score on chosen themes). The store writes those columns from the same tags as
    the tag tables, in the same transaction, so the two readings select the same headlines;
    the columns all sit in one index of the headlines, which a scan reads without the rows
    (a tenth of the table's pages)."""
    if f.sources or has_text(f.q) or (f.themes and f.min_score is not None):
        return None
    conds = ["1"]
    if f.companies:
        conds.append(_listed(f"{alias}.companies", "c", len(f.companies)))
    if f.themes:
        conds.append(_listed(f"{alias}.themes", "t", len(f.themes)))
    if f.min_score is not None:
        conds.append(f"{alias}.max_score >= :min")
    if f.date_from:
        conds.append(f"{alias}.published_at >= :lo")
    if f.date_to:
        conds.append(f"{alias}.published_at < :hi")
    return " AND ".join(conds)


def data_token(store) -> tuple:
    """Changes whenever the stored data may have: PRAGMA data_version moves when another
    connection commits, total_changes when this one writes (less the rows the store's own
    TEMP tables took, counted in store._temp_changes)."""
    conn = store.conn
    return (
        conn.execute("PRAGMA data_version").fetchone()[0],
        conn.total_changes - getattr(store, "_temp_changes", 0),
    )


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
