"""The dashboard's reads: Filters in, small DataFrames and dicts out.

Aggregates come from the daily rollups whenever the filter allows an exact answer there (no
source, no text, no minimum score, and no "any of several" on the dimension being counted,
which would count a headline twice); otherwise from the base tables through their covering
indexes. Rows are never loaded wholesale into pandas for an aggregate: SQL groups by
(key, period) and pandas only sees those groups. Values always travel as bound parameters;
the f-strings below only splice fixed fragments composed here. Headline rows (pages, exports)
live in store/rows.py and the filter's SQL in store/sql.py; both are read through this module.
"""

# The SQL f-strings here splice only fixed fragments written in this module; every value is a
# bound parameter, so the S608 heuristic (string-built SQL) does not apply.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd

from dashboard import risk as riskmod
from dashboard.filters import Filters, period_bounds
from dashboard.store import feedback, storylist
from dashboard.store.rows import (
    MAX_OFFSET,
    SORTS,
    direction_column,
    export_columns,
    export_rows,
    headlines,
    score_column,
)
from dashboard.store.schema import rollup_sql
from dashboard.store.sql import (
    _params,
    _skip_scan,
    _theme_cond,
    _where,
    data_token,
    fts_query,
    has_text,
    query_notices,
    theme_ids,
)

# The pages read everything through this module, headline rows (store/rows.py) included.
__all__ = [
    "MAX_OFFSET",
    "PERIODS",
    "SORTS",
    "company_risk",
    "count",
    "data_version",
    "direction_column",
    "export_columns",
    "export_rows",
    "facets",
    "freshness",
    "fts_query",
    "headlines",
    "kpis",
    "period_matrix",
    "query_notices",
    "risk_cells",
    "score_column",
    "stale_tags",
    "stories",
    "story_corrections",
    "theme_ids",
    "timeline",
    "trend_period",
]

# One row a story (store/storylist.py): count, page, every, members, columns.
stories = storylist

PERIODS = ("day", "week", "month")
# The period a trend over a window is drawn in: about 7 to 60 points whatever the window.
_TREND_PERIOD_MAX_DAYS = (("day", 45), ("week", 400))


def trend_period(days: int) -> str:
    """'day', 'week' or 'month' for a trend over a window of `days` days."""
    return next((p for p, most in _TREND_PERIOD_MAX_DAYS if days <= most), "month")


def _top_keys(df: pd.DataFrame, top: int | None) -> list:
    """The `top` keys with the most headlines (all when None), most first; ties by key."""
    totals = (
        df.groupby("key")["n"]
        .sum()
        .reset_index()
        .sort_values(["n", "key"], ascending=[False, True])
    )
    keys = list(totals["key"])
    return keys if top is None else keys[:top]


# Period starts of a 'YYYY-MM-DD' expression; weeks start on Monday.
_PERIOD_START = {
    "day": "{d}",
    "week": "date({d}, 'weekday 0', '-6 days')",
    "month": "substr({d}, 1, 7) || '-01'",
}


def _rollup_ok(f: Filters, by: str | None) -> bool:
    """Can the rollups answer exactly? by is the dimension being counted per key."""
    if f.sources or has_text(f.q) or f.min_score is not None:
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
    every_theme: bool = False,
) -> list[tuple]:
    """(key, period, n, score_sum, R) for f, grouped by key and period.

    by="theme": key is a theme; n counts headlines matching f that carry it.
    by="company": key is a company; n counts headlines matching f that name it; the scores
    are the sums of their carried theme scores. by="cell": key is (company, theme).
    by=None: one key ''; n counts all headlines matching f.
    period=None groups the whole window; R is then seen from the window's end, else from
    each period's end. f's own restriction on the `by` dimension only limits the keys.
    need_r=False is for callers that only count: score_sum and R may then be 0.
    every_theme=True (by theme or cell): f's themes choose the headlines, and every theme
    those headlines carry is a key (the Overview's reading of a theme filter).

    Filters the daily rollups cannot answer exactly are answered from a rollup of the same
    shape over just the matching headlines (see _subset): the filter's sources, text, minimum
    score and company/theme sets are then already inside that table, and only the dates and
    the keys remain to be applied.
    """
    table = "rollup_daily"
    if every_theme and f.themes and by in ("theme", "cell"):
        table = _subset(store, replace(f, date_from=None, date_to=None), every_theme=True)
        keep = f.companies if by == "cell" else ()
        f = replace(f, sources=(), q="", min_score=None, themes=(), companies=keep)
    elif not _rollup_ok(f, by):
        table = _subset(store, replace(f, date_from=None, date_to=None))
        keep = f.companies if by in ("company", "cell") else ()
        f = replace(f, sources=(), q="", min_score=None, themes=(), companies=keep)
    p = _params(f, today)
    start = _PERIOD_START[period] if period else "''"
    # R = sum of score x decay(ref - day), ref = min(period end, :end): summed in SQL as seen
    # from :end (risk.sql_decay, the formula's own SQL form) and moved to each period's ref by
    # risk.rebase once a group (below), so SQL needs no date arithmetic per period.
    decayed = f"r.score_sum * {riskmod.sql_decay('r.day', ':end')}" if need_r else "0"
    per = start.format(d="r.day")
    sel_themes = "AND r.theme IN (SELECT value FROM json_each(:themes))" if f.themes else ""
    sel_companies = (
        "AND r.company IN (SELECT value FROM json_each(:companies))" if f.companies else ""
    )
    per_theme = False
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
            # Grouped by theme too: each theme's R counts from 0 up (risk.py), folded below.
            n_cond, s_cond = "r.theme = ''", "r.theme != ''"
            key, per_theme = f"{key}, r.theme", True
        else:
            # Counting only: the theme rows need not be read at all.
            n_cond, s_cond = "1", "0"
            where += " AND r.theme = ''"
    sql = f"""SELECT {key}, {per}, sum(CASE WHEN {n_cond} THEN r.n ELSE 0 END),
                total(CASE WHEN {s_cond} THEN r.score_sum END),
                total(CASE WHEN {s_cond} THEN {decayed} END)
              FROM {table} r WHERE {where} AND r.day >= :lo AND r.day < :hi
              GROUP BY {"1, 2, 3" if by == "cell" or per_theme else "1, 2"}"""
    end = date.fromisoformat(p["end"])
    refs: dict[str, date] = {}

    def ref(start_day: str) -> date:
        if start_day not in refs:
            refs[start_day] = min(_period_end(start_day, period), end) if period else end
        return refs[start_day]

    rows = _rows(store, sql, p)
    if by == "cell":
        return [
            ((c, t), per_, n, s, riskmod.rebase(r, end, ref(per_))) for c, t, per_, n, s, r in rows
        ]
    if per_theme:
        folded: dict[tuple, list] = {}
        for k, _t, per_, n, s, r in rows:
            cell = folded.setdefault((k, per_), [0, 0.0, 0.0])
            cell[0] += n
            cell[1] += s
            cell[2] += max(r, 0.0)
        rows = [(k, per_, n, s, r) for (k, per_), (n, s, r) in folded.items()]
    return [(k, per_, n, s, riskmod.rebase(r, end, ref(per_))) for k, per_, n, s, r in rows]


def _period_end(start_day: str, period: str) -> date:
    return period_bounds(start_day, period)[1]


# -- rollups of a subset ------------------------------------------------------------------------
_SUBSETS_KEPT = 8
# "Any of these companies" and nothing else: the rollups hold each company's own counts, so the
# union is their sum less the headlines counted more than once (one named by m of the companies
# is counted m - 1 times too often); only those few headlines are read. Only the company ''
# rows are built: they are all such a filter reads here (its company rows, keys restricted to
# the chosen companies, come straight from the rollups, see _rollup_ok).
_UNION_SQL = """
WITH k AS (SELECT value AS company FROM json_each(:companies)),
o AS MATERIALIZED (
  SELECT headline_id AS id, substr(min(published_at), 1, 10) AS day, count(*) - 1 AS extra
  FROM headline_companies WHERE company IN (SELECT company FROM k)
  GROUP BY headline_id HAVING count(*) > 1
)
INSERT INTO temp.{table} (day, company, theme, n, score_sum)
SELECT day, '', theme, sum(n), sum(s) FROM (
  SELECT r.day, r.theme, r.n, r.score_sum AS s FROM rollup_daily r
    WHERE r.company IN (SELECT company FROM k)
  UNION ALL SELECT o.day, '', -o.extra, 0 FROM o
  UNION ALL SELECT o.day, ht.theme, -o.extra, -o.extra * ht.score FROM o
    JOIN headline_themes ht ON ht.headline_id = o.id AND ht.carried = 1
) GROUP BY day, theme HAVING sum(n) > 0
"""


def _companies_only(spec: Filters) -> bool:
    return len(spec.companies) > 1 and not (
        spec.themes or spec.sources or has_text(spec.q) or spec.min_score is not None
    )


def _matches(spec: Filters) -> str:
    """(id, day) of the headlines matching spec, for schema.rollup_sql, in id order: the
    tag rows are then probed in the order of their primary key (a third cheaper at 1M)."""
    if (
        spec.companies
        and not (spec.sources or has_text(spec.q))
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
            " ORDER BY 1"
        )
    return (
        "SELECT h.id, substr(h.published_at, 1, 10) AS day FROM headlines h"
        f" WHERE {_where(spec)} ORDER BY 1"
    )


class _SubsetCache:
    """Temporary rollups of this connection, one per undated filter, newest last."""

    def __init__(self) -> None:
        self.tables: dict[Filters, tuple[str, tuple]] = {}
        self.serial = 0


def _cached_subset(store, spec: Filters) -> bool:
    """Does this connection hold a current temporary rollup for spec (undated)?"""
    cache = getattr(store, "_subset_cache", None)
    found = cache.tables.get(spec) if cache is not None else None
    return found is not None and found[1] == data_token(store)


def _subset(store, spec: Filters, *, every_theme: bool = False) -> str:
    """Name of a TEMP table shaped like rollup_daily over only the headlines matching spec
    (which has no dates), with theme rows only for the themes spec counts (every carried
    theme with every_theme=True).

    Built once per connection, filter and data version, so the several aggregates of one
    page (and the previous window's KPIs) read a small table instead of repeating the text
    match or the company union over the base tables.
    """
    cache = getattr(store, "_subset_cache", None)
    if cache is None:
        cache = _SubsetCache()
        store._subset_cache = cache
    token = data_token(store)
    name = (spec, "every_theme") if every_theme else spec
    found = cache.tables.get(name)
    if found is not None and found[1] == token:
        cache.tables[name] = cache.tables.pop(name)  # most recently used last
        return found[0]
    conn = store.conn
    if found is not None:
        conn.execute(f"DROP TABLE IF EXISTS temp.{found[0]}")
        del cache.tables[name]
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
    if _companies_only(spec) and not every_theme:
        sql = _UNION_SQL.format(table=table)
    else:
        themes = "ht.carried = 1" if every_theme else _theme_cond(spec)
        sql = rollup_sql(_matches(spec), f"temp.{table}", themes)
    _rows(store, sql, _params(spec))
    # Rows written into TEMP tables are not data changes (sql.data_token).
    store._temp_changes = getattr(store, "_temp_changes", 0) + conn.total_changes - before
    cache.tables[name] = (table, token)
    return table


# -- public reads -----------------------------------------------------------------------------
def data_version(store) -> str:
    """A token that changes whenever the stored content changes (for caching pages)."""
    row = store.conn.execute(
        """SELECT (SELECT max(rowid) FROM headlines),
                  (SELECT count(*) || '/' || coalesce(max(last_attempt_at), '') FROM feeds),
                  (SELECT group_concat(key || '=' || value, ';') FROM meta),
                  (SELECT sum(n) || '/' || total(score_sum) FROM rollup_daily WHERE company = ''),
                  (SELECT max(id) || '/' || count(retracted_at) FROM feedback)"""
    ).fetchone()
    return "|".join("" if v is None else str(v) for v in row)


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
    if _direct_count(store, f):
        # One pass over the text match (or the source or score index) is cheaper than the
        # temporary rollup, which only pays when a page asks several aggregates of f.
        sql = f"SELECT count(*) FROM headlines h WHERE {_where(f)}"
        return int(_rows(store, sql, _params(f))[0][0])
    return int(sum(r[2] for r in _series(store, f, None, None, need_r=False)))


def _direct_count(store, f: Filters) -> bool:
    """Count f's headlines straight from the base tables: the rollups cannot answer f, f is
    no union of companies or themes (whose counts the rollups nearly hold), and this
    connection has no temporary rollup of f yet."""
    if _rollup_ok(f, None) or not (f.sources or has_text(f.q) or f.min_score is not None):
        return False
    return not _cached_subset(store, replace(f, date_from=None, date_to=None))


def _theme_counts(store, f: Filters, every_theme: bool = False) -> dict[str, int]:
    themes = theme_ids(store) if every_theme or not f.themes else f.themes
    rows = _series(store, f, "theme", None, need_r=False, every_theme=every_theme)
    counts = {r[0]: int(r[2]) for r in rows}
    return {t: counts.get(t, 0) for t in themes}


def kpis(store, f: Filters, *, every_theme: bool = False) -> dict:
    """headlines and theme_counts ({theme: headlines carrying it}); `previous` holds the same
    for the window of equal length just before, when the window is bounded. every_theme:
    see risk_cells."""
    out = {"headlines": count(store, f), "theme_counts": _theme_counts(store, f, every_theme)}
    prev = f.previous_window()
    if prev is not None:
        out["previous"] = {
            "headlines": count(store, prev),
            "theme_counts": _theme_counts(store, prev, every_theme),
        }
    return out


def risk_cells(
    store, f: Filters, *, today: date | None = None, every_theme: bool = False
) -> pd.DataFrame:
    """company, theme, n (headlines), mean_score (mean direction-signed score), risk (0-100,
    see dashboard.risk).

    every_theme=False: a theme filter also limits the themes (cells of the chosen themes).
    every_theme=True: it only chooses the headlines, and the cells hold every theme they
    carry, so the figures agree with a CSV export of the same filter."""
    rows = _series(store, f, "cell", None, today=today, every_theme=every_theme)
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


def company_risk(
    store, f: Filters, *, today: date | None = None, every_theme: bool = False
) -> pd.DataFrame:
    """company, n (headlines naming it), risk (over all its themes), top_theme; riskiest first.
    every_theme: see risk_cells."""
    cells = _series(store, f, "cell", None, today=today, every_theme=every_theme)
    pressure: dict[str, float] = {}
    top: dict[str, tuple[float, str]] = {}
    for (c, t), _p, _n, _s, r in cells:
        # Relief in one theme is no credit for another (dashboard.risk).
        pressure[c] = pressure.get(c, 0.0) + max(r, 0.0)
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
    store,
    f: Filters,
    *,
    by: str = "theme",
    period: str = "day",
    top: int = 10,
    every_theme: bool = False,
    with_stories: bool = False,
) -> pd.DataFrame:
    """period (start date), key, n, total (headlines matching f without the `by` restriction
    in that period), share (n / total), and with_stories a `stories` column (the stories of
    those n headlines, see storylist.period_counts). Only the `top` keys with the most
    headlines. every_theme (by theme): see risk_cells; total is then the chosen headlines."""
    _check(by, period)
    every = every_theme and by == "theme" and bool(f.themes)
    rows = _series(store, f, by, period, need_r=False, every_theme=every)
    base = f if every else replace(f, themes=()) if by == "theme" else replace(f, companies=())
    totals = {p: n for _k, p, n, _s, _r in _series(store, base, None, period, need_r=False)}
    df = pd.DataFrame(
        [(p, k, int(n)) for k, p, n, _s, _r in rows if n], columns=["period", "key", "n"]
    )
    df = df[df["key"].isin(_top_keys(df, top))].copy()
    df["total"] = df["period"].map(totals).fillna(0).astype("int64")
    df["share"] = (df["n"] / df["total"].where(df["total"] > 0)).fillna(0.0)
    if with_stories:
        counts = storylist.period_counts(store, f, by, period, list(dict.fromkeys(df["key"])))
        df["stories"] = [
            counts.get((p, k), 0) for p, k in zip(df["period"], df["key"], strict=True)
        ]
    df["period"] = pd.to_datetime(df["period"]).dt.date
    return df.sort_values(["period", "key"], ignore_index=True)


def period_matrix(
    store,
    f: Filters,
    *,
    by: str = "theme",
    period: str = "week",
    today: date | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Long form of a key x period heatmap: key, period (start date), n, risk.

    risk is dashboard.risk's formula over that period's headlines, seen from the period's end
    (or the window's end when sooner); pivot with df.pivot(index="key", columns="period").
    With `top`, only the `top` keys with the most headlines (the rule timeline uses), most
    first; otherwise keys in alphabetical order.
    """
    _check(by, period)
    rows = _series(store, f, by, period, today=today)
    df = pd.DataFrame(
        [(k, p, int(n), riskmod.risk_from_pressure(r)) for k, p, n, _s, r in rows],
        columns=["key", "period", "n", "risk"],
    )
    df["period"] = pd.to_datetime(df["period"]).dt.date
    if top is None:
        return df.sort_values(["key", "period"], ignore_index=True)
    rank = {k: i for i, k in enumerate(_top_keys(df, top))}
    df = df[df["key"].isin(rank)].copy()
    df["_rank"] = df["key"].map(rank)
    return df.sort_values(["_rank", "period"], ignore_index=True).drop(columns="_rank")


def story_corrections(store) -> dict[int, str]:
    """Each corrected story's standing corrections, packed (store/feedback.PACKED_SQL)."""
    return feedback.story_corrections(store.conn)


def stale_tags(store, version: str) -> int:
    """Headlines tagged with another taxonomy version than `version`."""
    return store.conn.execute(
        "SELECT count(*) FROM headlines WHERE tag_version IS NOT ?", (version,)
    ).fetchone()[0]


# -- coverage (the watcher's fetch record, store/watchlog.py) ----------------------------------
def coverage(store, start: date, end: date) -> list:
    """coverage.Day for every day start..end: feeds tried, feeds that answered, headlines,
    and whether it was a low-coverage day. Days before start feed the "usual" baseline."""
    from dashboard import coverage as cov
    from dashboard.store.watchlog import feed_days

    since = start - timedelta(days=cov.USUAL_DAYS)
    days = cov.daily(feed_days(store, since.isoformat(), end.isoformat()), since, end)
    return [d for d in days if d.day >= start.isoformat()]


def feed_health(store, today: date, days: int = 30) -> dict:
    """feed id -> coverage.Health over the last `days` days up to today."""
    from dashboard import coverage as cov
    from dashboard.store.watchlog import feed_days

    start = today - timedelta(days=days - 1)
    return cov.health(feed_days(store, start.isoformat(), today.isoformat()))


def freshness(store) -> dict:
    """How fresh the store is, for the line every page shows: the newest headline's time, the
    last successful fetch of any feed, and feeds (total, failing: their last fetch failed)."""
    latest, ok, feeds, failing = store.conn.execute(
        "SELECT (SELECT max(published_at) FROM headlines), max(last_ok_at), count(*),"
        " total(consecutive_failures > 0) FROM feeds"
    ).fetchone()
    return {"latest": latest, "last_ok": ok, "feeds": int(feeds), "failing": int(failing)}
