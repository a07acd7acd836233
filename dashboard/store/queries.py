"""The dashboard's reads: Filters in, small DataFrames and dicts out.

Aggregates come from the daily rollups whenever the filter allows an exact answer there (no
source, no text, no minimum score, and no "any of several" on the dimension being counted,
which would count a headline twice); otherwise from the base tables through their covering
indexes. Rows are never loaded wholesale into pandas for an aggregate: SQL groups by
(key, period) and pandas only sees those groups. Values always travel as bound parameters;
the f-strings below only splice fixed fragments composed here.
"""

# The SQL f-strings here splice only fixed fragments written in this module; every value is a
# bound parameter, so the S608 heuristic (string-built SQL) does not apply.
# ruff: noqa: S608

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from dashboard import risk as riskmod
from dashboard.filters import Filters

SORTS = {
    "published_at": "h.published_at",
    "source": "h.source",
    "title": "h.title",
    "score": "h.max_score",
}
PERIODS = ("day", "week", "month")
MAX_QUERY_TERMS = 16
MAX_OFFSET = 100_000  # deeper pages cost O(offset); nobody pages past 2,000 screens
_LN2 = math.log(2)

# Period starts of a 'YYYY-MM-DD' expression; weeks start on Monday.
_PERIOD_START = {
    "day": "{d}",
    "week": "date({d}, 'weekday 0', '-6 days')",
    "month": "substr({d}, 1, 7) || '-01'",
}


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


def _rollup_ok(f: Filters, by: str | None) -> bool:
    """Can the rollups answer exactly? by is the dimension being counted per key."""
    if f.sources or fts_query(f.q) or f.min_score is not None:
        return False
    if by == "theme":
        return len(f.companies) <= 1
    if by == "company":
        return len(f.themes) <= 1
    if by == "cell":
        return True
    return len(f.companies) <= 1 and len(f.themes) <= 1


def _rows(store, sql: str, params: dict) -> list[tuple]:
    _ensure_math(store.conn)
    return store.conn.execute(sql, params).fetchall()


def _ensure_math(conn: sqlite3.Connection) -> None:
    # Builds of SQLite without the math functions still get exp() for the decay.
    try:
        conn.execute("SELECT exp(0)").fetchone()
    except sqlite3.OperationalError:
        import math

        conn.create_function("exp", 1, math.exp, deterministic=True)


def _series(
    store,
    f: Filters,
    by: str | None,
    period: str | None,
    *,
    today: date | None = None,
    need_r: bool = True,
) -> list[tuple]:
    """(key, period, n, score_sum, R) for f, grouped by key and period.

    by="theme": key is a theme; n counts headlines matching f that carry it.
    by="company": key is a company; n counts headlines matching f that name it; the scores
    are the sums of their carried theme scores. by="cell": key is (company, theme).
    by=None: one key ''; n counts all headlines matching f.
    period=None groups the whole window; R is then seen from the window's end, else from
    each period's end. f's own restriction on the `by` dimension only limits the keys.
    need_r=False is for callers that only count: score_sum and R may then be 0.

    Filters the daily rollups cannot answer exactly are answered from a rollup of the same
    shape over just the matching headlines (see _subset): the filter's sources, text, minimum
    score and company/theme sets are then already inside that table, and only the dates and
    the keys remain to be applied.
    """
    table = "rollup_daily"
    if not _rollup_ok(f, by):
        table = _subset(store, replace(f, date_from=None, date_to=None))
        keep = f.companies if by in ("company", "cell") else ()
        f = replace(f, sources=(), q="", min_score=None, themes=(), companies=keep)
    p = _params(f, today)
    start = _PERIOD_START[period] if period else "''"
    # R = sum of score x 2^(-(ref - day) / H), ref = min(period end, :end), weight 1 after
    # :end. Factored as 2^((:end - ref) / H) x sum of score x 2^((day - :end) / H), so SQL
    # needs no date arithmetic per period and the factor is applied once a group (below).
    half = riskmod.HALF_LIFE_DAYS
    early = (
        f"r.score_sum * exp({_LN2!r} * (julianday(r.day) - julianday(:end)) / {half!r})"
        if need_r
        else "0"
    )
    per = start.format(d="r.day")
    sel_themes = "AND r.theme IN (SELECT value FROM json_each(:themes))" if f.themes else ""
    sel_companies = (
        "AND r.company IN (SELECT value FROM json_each(:companies))" if f.companies else ""
    )
    if by == "theme":
        key, n_cond, s_cond = "r.theme", "1", "1"
        where = f"r.company = :c1 AND r.theme != '' {sel_themes}"
    elif by == "cell":
        # Two plain key columns (not one joined string) so grouping follows the index.
        key, n_cond, s_cond = "r.company, r.theme", "1", "1"
        where = f"r.company != '' AND r.theme != '' {sel_companies} {sel_themes}"
    else:
        key = "r.company" if by == "company" else "''"
        where = f"r.company != '' {sel_companies}" if by == "company" else "r.company = :c1"
        if f.themes:
            # One theme (the rollups are exact only then): its rows hold both the count and
            # the scores, and the (theme, day) index finds just them.
            n_cond = s_cond = "1"
            where += " AND r.theme = :t1"
        elif need_r:
            n_cond, s_cond = "r.theme = ''", "r.theme != ''"
        else:
            # Counting only: the theme rows need not be read at all.
            n_cond, s_cond = "1", "0"
            where += " AND r.theme = ''"
    sql = f"""SELECT {key}, {per}, sum(CASE WHEN {n_cond} THEN r.n ELSE 0 END),
                total(CASE WHEN {s_cond} THEN r.score_sum END),
                total(CASE WHEN {s_cond} AND r.day <= :end THEN {early} END),
                total(CASE WHEN {s_cond} AND r.day > :end THEN r.score_sum END)
              FROM {table} r WHERE {where} AND r.day >= :lo AND r.day < :hi
              GROUP BY {"1, 2, 3" if by == "cell" else "1, 2"}"""
    end = date.fromisoformat(p["end"])
    factors: dict[str, float] = {}

    def factor(start_day: str) -> float:
        if start_day not in factors:
            ref = min(_period_end(start_day, period), end) if period else end
            factors[start_day] = 2.0 ** ((end - ref).days / half)
        return factors[start_day]

    rows = _rows(store, sql, p)
    if by == "cell":
        return [((c, t), per_, n, s, a * factor(per_) + b) for c, t, per_, n, s, a, b in rows]
    return [(k, per_, n, s, a * factor(per_) + b) for k, per_, n, s, a, b in rows]


def _period_end(start_day: str, period: str) -> date:
    d = date.fromisoformat(start_day)
    if period == "week":
        return d + timedelta(days=6)
    if period == "month":
        return (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return d


# -- rollups of a subset ------------------------------------------------------------------------
_SUBSETS_KEPT = 8
_SUBSET_SQL = """
WITH h AS MATERIALIZED ({matches}),
t AS MATERIALIZED (
  SELECT h.day, h.id, ht.theme, ht.score FROM h
  JOIN headline_themes ht ON ht.headline_id = h.id AND {theme_cond}
),
c AS MATERIALIZED (
  SELECT h.day, h.id, hc.company FROM h JOIN headline_companies hc ON hc.headline_id = h.id
)
INSERT INTO temp.{table} (day, company, theme, n, score_sum)
SELECT day, '', '', count(*), 0 FROM h GROUP BY day
UNION ALL SELECT day, '', theme, count(*), sum(score) FROM t GROUP BY day, theme
UNION ALL SELECT day, company, '', count(*), 0 FROM c GROUP BY day, company
UNION ALL SELECT c.day, c.company, t.theme, count(*), sum(t.score)
  FROM c JOIN t ON t.id = c.id GROUP BY c.day, c.company, t.theme
"""


def _matches(spec: Filters) -> str:
    """(id, day) of the headlines matching spec, for _SUBSET_SQL."""
    if (
        spec.companies
        and not (spec.sources or fts_query(spec.q))
        and (spec.themes or spec.min_score is None)
    ):
        # Straight from the company index: the tag rows repeat the date, so the headline
        # rows themselves need not be read.
        themes = (
            f" AND EXISTS (SELECT 1 FROM headline_themes ht"
            f" WHERE ht.headline_id = x.headline_id AND {_theme_cond(spec)})"
            if spec.themes
            else ""
        )
        return (
            "SELECT DISTINCT x.headline_id AS id, substr(x.published_at, 1, 10) AS day"
            " FROM headline_companies x"
            f" WHERE x.company IN (SELECT value FROM json_each(:companies)){themes}"
        )
    return (
        f"SELECT h.id, substr(h.published_at, 1, 10) AS day FROM headlines h WHERE {_where(spec)}"
    )


class _SubsetCache:
    """Temporary rollups of this connection, one per undated filter, newest last."""

    def __init__(self) -> None:
        self.tables: dict[Filters, tuple[str, tuple]] = {}
        self.serial = 0
        self.own_changes = 0  # rows this cache wrote into TEMP tables (not data changes)


def _data_token(store, cache: _SubsetCache) -> tuple:
    # PRAGMA data_version moves when another connection commits; total_changes when this one
    # writes. Together they say whether a temporary rollup still describes the data.
    conn = store.conn
    return (
        conn.execute("PRAGMA data_version").fetchone()[0],
        conn.total_changes - cache.own_changes,
    )


def _subset(store, spec: Filters) -> str:
    """Name of a TEMP table shaped like rollup_daily over only the headlines matching spec
    (which has no dates), with theme rows only for the themes spec counts.

    Built once per connection, filter and data version, so the several aggregates of one
    page (and the previous window's KPIs) read a small table instead of repeating the text
    match or the company union over the base tables.
    """
    cache = getattr(store, "_subset_cache", None)
    if cache is None:
        cache = _SubsetCache()
        store._subset_cache = cache
    token = _data_token(store, cache)
    found = cache.tables.get(spec)
    if found is not None and found[1] == token:
        cache.tables[spec] = cache.tables.pop(spec)  # most recently used last
        return found[0]
    conn = store.conn
    if found is not None:
        conn.execute(f"DROP TABLE IF EXISTS temp.{found[0]}")
        del cache.tables[spec]
    while len(cache.tables) >= _SUBSETS_KEPT:
        old = next(iter(cache.tables))
        conn.execute(f"DROP TABLE IF EXISTS temp.{cache.tables.pop(old)[0]}")
    cache.serial += 1
    table = f"chipwatch_subset_{cache.serial}"
    before = conn.total_changes
    conn.execute(
        f"""CREATE TEMP TABLE {table} (
              day TEXT NOT NULL, company TEXT NOT NULL, theme TEXT NOT NULL,
              n INTEGER NOT NULL, score_sum REAL NOT NULL,
              PRIMARY KEY (company, theme, day)) WITHOUT ROWID"""
    )
    sql = _SUBSET_SQL.format(matches=_matches(spec), theme_cond=_theme_cond(spec), table=table)
    _rows(store, sql, _params(spec))
    cache.own_changes += conn.total_changes - before
    cache.tables[spec] = (table, token)
    return table


# -- public reads -----------------------------------------------------------------------------
def data_version(store) -> str:
    """A token that changes whenever the stored content changes (for caching pages)."""
    row = store.conn.execute(
        """SELECT (SELECT max(rowid) FROM headlines),
                  (SELECT count(*) || '/' || coalesce(max(last_attempt_at), '') FROM feeds),
                  (SELECT group_concat(key || '=' || value, ';') FROM meta),
                  (SELECT sum(n) || '/' || total(score_sum) FROM rollup_daily WHERE company = '')"""
    ).fetchone()
    return "|".join("" if v is None else str(v) for v in row)


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


def facets(store) -> dict:
    conn = store.conn
    companies = [
        r[0]
        for r in conn.execute(
            "SELECT company FROM rollup_daily WHERE company != '' AND theme = ''"
            " GROUP BY company ORDER BY sum(n) DESC, company"
        )
    ]
    # Two subqueries: each is one index probe, a combined min/max would scan.
    first, last = conn.execute(
        "SELECT (SELECT min(published_at) FROM headlines),"
        " (SELECT max(published_at) FROM headlines)"
    ).fetchone()
    total = conn.execute(
        "SELECT coalesce(sum(n), 0) FROM rollup_daily WHERE company = '' AND theme = ''"
    ).fetchone()[0]
    # Count the smaller side of the is_demo index: a store is almost all demo or almost none.
    half = int(total) // 2 + 1
    real = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM headlines WHERE is_demo = 0 LIMIT ?)", (half,)
    ).fetchone()[0]
    if real < half:
        demo = int(total) - real
    else:
        demo = conn.execute("SELECT count(*) FROM headlines WHERE is_demo = 1").fetchone()[0]
    return {
        "companies": companies,
        "themes": theme_ids(store),
        "sources": _skip_scan(store, "headlines", "source"),
        "first_day": date.fromisoformat(first[:10]) if first else None,
        "last_day": date.fromisoformat(last[:10]) if last else None,
        "total": int(total),
        "demo": int(demo),
    }


def count(store, f: Filters) -> int:
    return int(sum(r[2] for r in _series(store, f, None, None, need_r=False)))


def _theme_counts(store, f: Filters) -> dict[str, int]:
    themes = f.themes or theme_ids(store)
    counts = {r[0]: int(r[2]) for r in _series(store, f, "theme", None, need_r=False)}
    return {t: counts.get(t, 0) for t in themes}


def kpis(store, f: Filters) -> dict:
    """headlines and theme_counts ({theme: headlines carrying it}); `previous` holds the same
    for the window of equal length just before, when the window is bounded."""
    out = {"headlines": count(store, f), "theme_counts": _theme_counts(store, f)}
    prev = f.previous_window()
    if prev is not None:
        out["previous"] = {
            "headlines": count(store, prev),
            "theme_counts": _theme_counts(store, prev),
        }
    return out


def risk_cells(store, f: Filters, *, today: date | None = None) -> pd.DataFrame:
    """company, theme, n (headlines), mean_score, risk (0-100, see dashboard.risk)."""
    rows = _series(store, f, "cell", None, today=today)
    df = pd.DataFrame(
        [
            (c, t, int(n), s / n if n else 0.0, riskmod.risk_from_pressure(r))
            for (c, t), _p, n, s, r in rows
        ],
        columns=["company", "theme", "n", "mean_score", "risk"],
    )
    return df.sort_values(
        ["risk", "company", "theme"], ascending=[False, True, True], ignore_index=True
    )


def company_risk(store, f: Filters, *, today: date | None = None) -> pd.DataFrame:
    """company, n (headlines naming it), risk (over all its themes), top_theme; riskiest first."""
    cells = _series(store, f, "cell", None, today=today)
    pressure: dict[str, float] = {}
    top: dict[str, tuple[float, str]] = {}
    for (c, t), _p, _n, _s, r in cells:
        pressure[c] = pressure.get(c, 0.0) + r
        if r > top.get(c, (-1.0, ""))[0]:
            top[c] = (r, t)
    counts = {k: int(n) for k, _p, n, _s, _r in _series(store, f, "company", None, need_r=False)}
    rows = [
        (
            c,
            counts.get(c, 0),
            riskmod.risk_from_pressure(pressure.get(c, 0.0)),
            top[c][1] if c in top else None,
        )
        for c in counts.keys() | pressure.keys()
    ]
    df = pd.DataFrame(rows, columns=["company", "n", "risk", "top_theme"])
    return df.sort_values(
        ["risk", "n", "company"], ascending=[False, False, True], ignore_index=True
    )


def _check(by: str, period: str) -> None:
    if by not in ("theme", "company"):
        raise ValueError(f"by must be 'theme' or 'company', not {by!r}")
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, not {period!r}")


def timeline(
    store, f: Filters, *, by: str = "theme", period: str = "day", top: int = 10
) -> pd.DataFrame:
    """period (start date), key, n, total (headlines matching f without the `by` restriction
    in that period), share (n / total). Only the `top` keys with the most headlines."""
    _check(by, period)
    rows = _series(store, f, by, period, need_r=False)
    base = replace(f, themes=()) if by == "theme" else replace(f, companies=())
    totals = {p: n for _k, p, n, _s, _r in _series(store, base, None, period, need_r=False)}
    df = pd.DataFrame(
        [(p, k, int(n)) for k, p, n, _s, _r in rows if n], columns=["period", "key", "n"]
    )
    keep = df.groupby("key")["n"].sum().sort_values(ascending=False).head(top).index
    df = df[df["key"].isin(keep)].copy()
    df["total"] = df["period"].map(totals).fillna(0).astype("int64")
    df["share"] = (df["n"] / df["total"].where(df["total"] > 0)).fillna(0.0)
    df["period"] = pd.to_datetime(df["period"]).dt.date
    return df.sort_values(["period", "key"], ignore_index=True)


def period_matrix(
    store, f: Filters, *, by: str = "theme", period: str = "week", today: date | None = None
) -> pd.DataFrame:
    """Long form of a key x period heatmap: key, period (start date), n, risk.

    risk is dashboard.risk's formula over that period's headlines, seen from the period's end
    (or the window's end when sooner); pivot with df.pivot(index="key", columns="period").
    """
    _check(by, period)
    rows = _series(store, f, by, period, today=today)
    df = pd.DataFrame(
        [(k, p, int(n), riskmod.risk_from_pressure(r)) for k, p, n, _s, r in rows],
        columns=["key", "period", "n", "risk"],
    )
    df["period"] = pd.to_datetime(df["period"]).dt.date
    return df.sort_values(["key", "period"], ignore_index=True)


# -- rows -----------------------------------------------------------------------------------
_ROW_COLS = (
    "h.rowid, h.id, h.published_at, h.source, h.title, h.url, h.companies, h.themes, h.is_demo"
)


# Evidence is stored as JSON [[term, where, weight], ...] written by json.dumps; reading the
# pairs with one regular expression is several times faster than decoding every row (exports
# read a hundred thousand rows). A term holding an escape is decoded properly.
_EVIDENCE = re.compile(r'\["((?:[^"\\]|\\.)*)", "(\w+)", ')


def _terms(evidence: str) -> str:
    """'term (where), term (where)' from a stored evidence JSON array, in its order."""
    pairs = _EVIDENCE.findall(evidence)
    if not pairs and evidence != "[]":  # not json.dumps' layout: decode it the slow way
        pairs = [(e[0], e[1]) for e in json.loads(evidence)]
    return ", ".join(f"{_unescape(term)} ({where})" for term, where in pairs)


def _unescape(raw: str) -> str:
    return json.loads('"' + raw + '"') if "\\" in raw else raw


def _evidence_text(items: list[tuple[str, str]]) -> str:
    """'theme: term (where), term (where); theme: ...' from (theme, evidence JSON) pairs."""
    return "; ".join(
        f"{theme}: {terms}" for theme, terms in sorted((t, _terms(e)) for t, e in items) if terms
    )


def _tag_rows(store, ids: list[str]) -> dict[str, list[tuple]]:
    """headline id -> [(theme, score, evidence JSON)] for the given headlines."""
    tags: dict[str, list[tuple]] = {}
    for hid, theme, score, evidence in store.conn.execute(
        "SELECT headline_id, theme, score, evidence FROM headline_themes"
        " WHERE headline_id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),),
    ):
        tags.setdefault(hid, []).append((theme, score, evidence))
    return tags


def _decorate(store, rows: list[tuple]) -> list[dict]:
    """Rows of _ROW_COLS -> dicts with scores {theme: score} and readable evidence."""
    if not rows:
        return []
    tags = _tag_rows(store, [r[1] for r in rows])
    out = []
    for _rowid, hid, published, source, title, url, companies, themes, demo in rows:
        mine = tags.get(hid, [])
        out.append(
            {
                "id": hid,
                "published_at": published,
                "source": source,
                "title": title,
                "url": url or "",
                "companies": "; ".join(filter(None, companies.split(";"))),
                "themes": "; ".join(filter(None, themes.split(";"))),
                "scores": {t: s for t, s, _e in mine},
                "evidence": _evidence_text([(t, e) for t, _s, e in mine]),
                "is_demo": bool(demo),
            }
        )
    return out


def _deferred_page(table: str, key: str, cond: str, d: str) -> str:
    """One page of a tag table's (key, published_at) index walk; headline rows joined after."""
    return (
        f"WITH page AS (SELECT x.headline_id AS hid, x.published_at AS p FROM {table} x"
        f" WHERE {key} AND x.published_at >= :lo AND x.published_at < :hi AND {cond}"
        f" ORDER BY x.published_at {d}, x.headline_id {d} LIMIT :limit OFFSET :offset)"
        f" SELECT {_ROW_COLS} FROM page CROSS JOIN headlines h ON h.id = page.hid"
        f" ORDER BY page.p {d}, page.hid {d}"
    )


def headlines(
    store,
    f: Filters,
    *,
    sort: str = "published_at",
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
    theme_columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One page of matching headlines: id, published_at, source, title, url, companies, themes,
    <theme>_score for each theme (theme_columns, default theme_ids(store)), evidence, is_demo.

    sort is one of SORTS; offset is capped at MAX_OFFSET.
    """
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {sorted(SORTS)}, not {sort!r}")
    direction = "DESC" if descending else "ASC"
    p = _params(f) | {"limit": max(0, int(limit)), "offset": min(max(0, int(offset)), MAX_OFFSET)}
    page = " LIMIT :limit OFFSET :offset"
    d = direction
    # Only dates, companies and themes: the walk can stay on the tag indexes, and the
    # headline rows are read for the page alone, not for every row the offset skips.
    tags_only = not (f.sources or fts_query(f.q) or (f.min_score is not None and not f.themes))
    if sort == "published_at" and len(f.companies) == 1 and tags_only:
        # Walk the company's own date index: a page deep into one company costs its offset,
        # not a scan of everyone else's headlines.
        cond = (
            "EXISTS (SELECT 1 FROM headline_themes ht WHERE ht.headline_id = x.headline_id"
            f" AND {_theme_cond(f)})"
            if f.themes
            else "1"
        )
        sql = _deferred_page("headline_companies", "x.company = :c1", cond, d)
    elif sort == "published_at" and len(f.themes) == 1 and tags_only:
        cond = (
            "EXISTS (SELECT 1 FROM headline_companies hc WHERE hc.headline_id = x.headline_id"
            " AND hc.company IN (SELECT value FROM json_each(:companies)))"
            if f.companies
            else "1"
        )
        sql = _deferred_page("headline_themes", f"x.theme = :t1 AND {_theme_cond(f, 'x')}", cond, d)
    elif sort == "published_at" and len(f.companies) == 1:
        rest = _where(replace(f, companies=()), probe=True)
        sql = (
            f"SELECT {_ROW_COLS} FROM headline_companies x CROSS JOIN headlines h"
            " ON h.id = x.headline_id WHERE x.company = :c1 AND x.published_at >= :lo"
            f" AND x.published_at < :hi AND {rest}"
            f" ORDER BY x.published_at {d}, x.headline_id {d}{page}"
        )
    elif sort == "published_at" and len(f.themes) == 1:
        rest = _where(replace(f, themes=()), probe=True)
        sql = (
            f"SELECT {_ROW_COLS} FROM headline_themes x CROSS JOIN headlines h"
            f" ON h.id = x.headline_id WHERE x.theme = :t1 AND {_theme_cond(f, 'x')}"
            f" AND x.published_at >= :lo AND x.published_at < :hi AND {rest}"
            f" ORDER BY x.published_at {d}, x.headline_id {d}{page}"
        )
    else:
        tail = "" if sort == "published_at" else f", h.published_at {d}"
        # By score, walk the score index; the source index would mean sorting a whole source.
        where = _where(f, probe=True, source_index=sort != "score")
        sql = (
            f"SELECT {_ROW_COLS} FROM headlines h WHERE {where}"
            f" ORDER BY {SORTS[sort]} {d}{tail}, h.id {d}{page}"
        )
    rows = _decorate(store, store.conn.execute(sql, p).fetchall())
    themes = list(theme_columns) if theme_columns is not None else theme_ids(store)
    cols = [
        "id",
        "published_at",
        "source",
        "title",
        "url",
        "companies",
        "themes",
        *(f"{t}_score" for t in themes),
        "evidence",
        "is_demo",
    ]
    data = [{**r, **{f"{t}_score": r["scores"].get(t, 0.0) for t in themes}} for r in rows]
    return pd.DataFrame(data, columns=cols)


def _keyset(store, f: Filters, cols: str, batch: int) -> Iterator[list[tuple]]:
    """Every matching headline row (cols, then rowid and published_at), newest first, in
    keyset batches: memory stays flat and each batch is an index range, however deep."""
    p = _params(f) | {"batch": batch}
    sql = (
        f"SELECT {cols}, h.rowid, h.published_at FROM headlines h WHERE {_where(f, probe=True)}"
        " AND (:last_p IS NULL OR h.published_at < :last_p"
        " OR (h.published_at = :last_p AND h.rowid < :last_r))"
        " ORDER BY h.published_at DESC, h.rowid DESC LIMIT :batch"
    )
    last_p = last_r = None
    while True:
        rows = store.conn.execute(sql, p | {"last_p": last_p, "last_r": last_r}).fetchall()
        yield rows
        if len(rows) < batch:
            return
        last_r, last_p = rows[-1][-2], rows[-1][-1]


def iter_headlines(store, f: Filters, *, batch: int = 5000) -> Iterator[dict]:
    """Every matching headline, newest first, as dicts (see _decorate)."""
    for rows in _keyset(store, f, _ROW_COLS, batch):
        yield from _decorate(store, [r[:-2] for r in rows])


def export_rows(store, f: Filters, themes: Sequence[str], *, batch: int = 5000) -> Iterator[tuple]:
    """Every matching headline, newest first, as plain tuples for a CSV writer: published_at,
    source, title, url, companies ('; '-joined), one score per theme in `themes` order (0.0
    when absent), the highest theme score, evidence text. No dicts: exports read 100k rows."""
    cols = "h.id, h.published_at, h.source, h.title, coalesce(h.url, ''), h.companies, h.max_score"
    absent = (0.0,) * len(themes)
    for rows in _keyset(store, f, cols, batch):
        # A headline without any theme score has no tag rows to look up.
        tags = _tag_rows(store, [r[0] for r in rows if r[6]])
        for hid, published, source, title, url, companies, top, *_ in rows:
            mine = tags.get(hid)
            if mine is None:  # most headlines speak to no theme at all
                scores, evidence = absent, ""
            else:
                by_theme = {t: sc for t, sc, _e in mine}
                scores = tuple(by_theme.get(t, 0.0) for t in themes)
                evidence = _evidence_text([(t, e) for t, _s, e in mine])
            yield (
                published,
                source,
                title,
                url,
                companies.replace(";", "; "),
                *scores,
                top,
                evidence,
            )


def stale_tags(store, version: str) -> int:
    """Headlines tagged with another taxonomy version than `version`."""
    return store.conn.execute(
        "SELECT count(*) FROM headlines WHERE tag_version IS NOT ?", (version,)
    ).fetchone()[0]
