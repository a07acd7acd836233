"""Stories as rows: the stories behind the headlines a filter matches, one row a story.

A story is listed when at least one of its headlines matches the filters; its row shows the
story's own lead, first and last seen and outlets (all of its headlines, matching or not),
with how many of its headlines match and what those carry (companies, themes, each theme's
highest score and its direction: the sign of the sum of the matching headlines'
directions). A headline stored before stories existed (no story id yet) is a story of its
own, keyed by its negative rowid, so every matching headline is in exactly one row.
"""

# The SQL f-strings here splice only fixed fragments composed in this package; every value is a
# bound parameter, so the S608 heuristic (string-built SQL) does not apply.
# ruff: noqa: S608

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace

import pandas as pd

from dashboard.filters import Filters
from dashboard.store.rows import _ROW_COLS, _decorate, direction_column, score_column, table_columns
from dashboard.store.sql import _params, _where, covered_where, data_token

SORTS = {
    "latest": "latest DESC",
    "outlets": "outlets DESC, latest DESC",
    "score": "best DESC, latest DESC",
}
SEP = "\x1f"  # between the matching headlines' JSON columns in one group

_KEY = "coalesce(h.story_id, -h.rowid)"

_GROUPS = """
WITH m AS MATERIALIZED (
  SELECT {key} AS sid, h.published_at, h.companies, h.themes, h.theme_scores,
         h.theme_directions, h.title, h.url, h.source, h.max_score
  FROM headlines h WHERE {where}
),
g AS (
  SELECT sid, count(*) AS matching, max(published_at) AS latest,
         group_concat(companies, ';') AS companies,
         group_concat(theme_scores, '{sep}') AS scores,
         group_concat(theme_directions, '{sep}') AS directions,
         min(published_at) AS first_match, min(title) AS only_title, min(url) AS only_url,
         count(DISTINCT source) AS matching_outlets, max(max_score) AS best
  FROM m GROUP BY sid
)
SELECT g.sid, coalesce(s.first_seen, g.first_match), coalesce(s.last_seen, g.latest), g.latest,
       coalesce(s.title, g.only_title), coalesce(lead.url, g.only_url, ''),
       coalesce(s.outlets, g.matching_outlets) AS outlets, coalesce(s.headlines, g.matching),
       g.matching, g.companies, g.scores, g.directions
FROM g LEFT JOIN stories s ON s.id = g.sid LEFT JOIN headlines lead ON lead.id = s.lead_id
ORDER BY {order}, g.sid DESC
"""

COLUMNS = [
    "story_id",
    "first_seen",
    "last_seen",
    "latest_match",
    "title",
    "url",
    "outlets",
    "headlines",
    "matching",
    "companies",
]


def count(store, f: Filters) -> int:
    """Stories with at least one headline matching f."""
    groups = _groups(store, f)
    if groups is not None:
        return len(groups)
    sql = f"SELECT count(DISTINCT {_KEY}) FROM headlines h WHERE {_where(f)}"
    return int(store.conn.execute(sql, _params(f)).fetchone()[0])


# -- every story of a large filter, in one pass -------------------------------------------------
# The stories of a text search, or of a company or theme with tens of thousands of headlines,
# are listed from one pass over the matching headlines: (sid, latest, best, matching rowids)
# of each story, from which the story count and any newest-first or best-first page follow,
# a page reading only its stories' matching rows (a story can hold thousands of headlines).
# A large company or theme is found by scanning the headlines' (max_score, published_at,
# companies, themes) index, cheaper than through the tag tables, whose every match is a
# look-up by headline id.
BIG = 20_000  # matches in a tag index above which the scan pays
TEXT_MOST = 200_000  # a text search matching more is paged the usual way (date index walk)
_GROUPS_KEPT = 8
_SIZE_SQL = {
    "companies": "SELECT 1 FROM headline_companies WHERE company IN"
    " (SELECT value FROM json_each(:companies)) AND published_at >= :lo AND published_at < :hi",
    "themes": "SELECT 1 FROM headline_themes WHERE theme IN (SELECT value FROM json_each(:themes))"
    " AND carried = 1 AND published_at >= :lo AND published_at < :hi",
}


def _at_least(store, sql: str, p: dict, n: int) -> bool:
    return bool(
        store.conn.execute(f"SELECT count(*) >= :n FROM ({sql} LIMIT :n)", p | {"n": n}).fetchone()[
            0
        ]
    )


def _grouped_where(store, f: Filters, p: dict) -> str | None:
    """The WHERE over `headlines h` the one-pass grouping reads f's matches with, or None
    when f is better read the usual way (all headlines, dates or a source alone, a small
    company or theme, a text matching most of the store)."""
    if p["q"]:
        fts = "SELECT 1 FROM headlines_fts WHERE headlines_fts MATCH :q"
        return None if _at_least(store, fts, p, TEXT_MOST) else _where(f)
    covered = covered_where(f)
    if covered is None or not (f.companies or f.themes):
        return None
    if not any(_at_least(store, sql, p, BIG) for dim, sql in _SIZE_SQL.items() if getattr(f, dim)):
        return None
    return f"h.rowid IN (SELECT x.rowid FROM headlines x WHERE {covered})"


def _groups(store, f: Filters) -> list[tuple[int, str, float, str]] | None:
    """(story key, latest matching headline's time, best matching max_score, rowids of its
    matching headlines joined by commas) for every story behind f, or None (_grouped_where).
    Kept per connection and data version, so a page's count and rows share the pass."""
    memo = getattr(store, "_story_groups", None)
    token = data_token(store)
    if memo is None or memo[0] != token:
        memo = store._story_groups = (token, {})
    if f in memo[1]:
        memo[1][f] = memo[1].pop(f)  # most recently used last
        return memo[1][f]
    p = _params(f)
    where = _grouped_where(store, f, p)
    if where is None:
        return None
    sql = (
        f"SELECT {_KEY}, max(h.published_at), max(h.max_score), group_concat(h.rowid)"
        f" FROM headlines h WHERE {where} GROUP BY 1"
    )
    groups = store.conn.execute(sql, p).fetchall()
    while len(memo[1]) >= _GROUPS_KEPT:
        memo[1].pop(next(iter(memo[1])))
    memo[1][f] = groups
    return groups


# The page order of each sort over _groups rows, as SORTS orders them (ties by story key).
_GROUP_ORDER = {"latest": lambda g: (g[1], g[0]), "score": lambda g: (g[2], g[1], g[0])}


_PERIOD_START = {
    "day": "substr(h.published_at, 1, 10)",
    "week": "date(substr(h.published_at, 1, 10), 'weekday 0', '-6 days')",
    "month": "substr(h.published_at, 1, 7) || '-01'",
}


def period_counts(
    store, f: Filters, by: str, period: str, keys: Sequence[str]
) -> dict[tuple[str, str], int]:
    """{(period start, key): stories} for each of `keys` (themes or companies): the stories
    of the headlines f matches narrowed to that key, per period, which is what a drill-down
    into that period and key lists. A story told over two periods counts in both."""
    per = _PERIOD_START[period]
    out: dict[tuple[str, str], int] = {}
    for key in keys:
        fk = replace(f, themes=(key,)) if by == "theme" else replace(f, companies=(key,))
        sql = f"SELECT {per}, count(DISTINCT {_KEY}) FROM headlines h WHERE {_where(fk)} GROUP BY 1"
        for start, n in store.conn.execute(sql, _params(fk)):
            out[(start, key)] = int(n)
    return out


def _rows(
    store, f: Filters, order: str, tail: str, extra: dict, only: str = "", matched: bool = False
) -> Iterator[tuple]:
    """The _GROUPS rows of f's stories; `only` narrows them to some stories' headlines, which
    are then checked one by one (rather than building every match's set); matched: `only`
    names matching headlines alone, with nothing left to check."""
    if order not in SORTS:
        raise ValueError(f"order must be one of {sorted(SORTS)}, not {order!r}")
    where = ("1" if matched else _where(f, probe=bool(only))) + only
    sql = _GROUPS.format(key=_KEY, where=where, sep=SEP, order=SORTS[order]) + tail
    yield from store.conn.execute(sql, _params(f) | extra)


# The headlines of some stories (:sids, a JSON array; a negative id is a headline's -rowid).
_ONLY = (
    " AND h.rowid IN (SELECT x.rowid FROM headlines x WHERE x.story_id IN"
    " (SELECT value FROM json_each(:sids) WHERE value > 0)"
    " UNION ALL SELECT -value FROM json_each(:sids) WHERE value < 0)"
)


def _newest_stories(store, f: Filters, want: int) -> list[int]:
    """The first `want` stories met walking f's headlines newest first: the stories in the
    order of their newest matching headline, read from the date index without grouping every
    match (a page of the newest stories at 1M headlines reads a few hundred rows)."""
    sql = (
        f"SELECT {_KEY} FROM headlines h WHERE {_where(f, probe=True)}"
        " ORDER BY h.published_at DESC, h.id DESC"
    )
    seen: dict[int, None] = {}
    for (sid,) in store.conn.execute(sql, _params(f)):
        seen.setdefault(sid, None)
        if len(seen) >= want:
            break
    return list(seen)


def _shape(row: tuple, themes: Sequence[str]) -> dict:
    sid, first, last, latest, title, url, outlets, heads, matching, names, scores, dirs = row
    best: dict[str, float] = {}
    for part in (scores or "").split(SEP):
        for theme, score in json.loads(part or "{}").items():
            best[theme] = max(best.get(theme, 0.0), score)
    votes: dict[str, int] = {}
    for part in (dirs or "").split(SEP):
        for theme, d in json.loads(part or "{}").items():
            votes[theme] = votes.get(theme, 0) + d
    out = {
        "story_id": sid,
        "first_seen": first,
        "last_seen": last,
        "latest_match": latest,
        "title": title,
        "url": url or "",
        "outlets": int(outlets),
        "headlines": int(heads),
        "matching": int(matching),
        "companies": "; ".join(sorted({c for c in (names or "").split(";") if c})),
        "themes": "; ".join(t for t in themes if best.get(t, 0.0) > 0),
    }
    for t in themes:
        out[score_column(t)] = best.get(t, 0.0)
        out[direction_column(t)] = (votes.get(t, 0) > 0) - (votes.get(t, 0) < 0)
    return out


def columns(themes: Sequence[str]) -> list[str]:
    """The columns of page() and every(), in order."""
    return [
        *COLUMNS,
        "themes",
        *map(score_column, themes),
        *map(direction_column, themes),
    ]


def page(
    store,
    f: Filters,
    themes: Sequence[str],
    *,
    order: str = "latest",
    limit: int = 50,
    offset: int = 0,
) -> pd.DataFrame:
    """One page of the stories behind f's headlines, newest match first (or most outlets,
    or highest score)."""
    limit, offset = max(0, int(limit)), max(0, int(offset))
    groups = _groups(store, f) if order in _GROUP_ORDER else None
    if groups is not None:
        top = heapq.nlargest(offset + limit, groups, key=_GROUP_ORDER[order])[offset:]
        rowids = "[" + ",".join(g[3] for g in top) + "]"
        only = " AND h.rowid IN (SELECT value FROM json_each(:rowids))"
        rows = _rows(store, f, order, "", {"rowids": rowids}, only, matched=True) if top else []
    elif order == "latest":
        # Newest first needs only the stories of this page: found by walking the newest
        # headlines, then grouped alone.
        sids = _newest_stories(store, f, offset + limit)[offset:]
        rows = _rows(store, f, order, "", {"sids": json.dumps(sids)}, _ONLY) if sids else []
    else:
        rows = _rows(
            store, f, order, " LIMIT :limit OFFSET :offset", {"limit": limit, "offset": offset}
        )
    return pd.DataFrame([_shape(r, themes) for r in rows], columns=columns(themes))


def every(store, f: Filters, themes: Sequence[str], order: str = "latest") -> Iterator[dict]:
    """Every story behind f's headlines, for `chipwatch export --stories`."""
    for row in _rows(store, f, order, "", {}):
        yield _shape(row, themes)


def members(store, story_id: int, themes: Sequence[str]) -> pd.DataFrame:
    """Every headline of a story (matching the filters or not), oldest first, in the columns
    of rows.headlines(); a negative id is the one headline without a story."""
    if story_id < 0:
        sql = f"SELECT {_ROW_COLS} FROM headlines h WHERE h.rowid = ?"
        args: tuple = (-story_id,)
    else:
        sql = (
            f"SELECT {_ROW_COLS} FROM headlines h WHERE h.story_id = ?"
            " ORDER BY h.published_at, h.id"
        )
        args = (story_id,)
    data = [
        {
            **r,
            **{score_column(t): r["scores"].get(t, 0.0) for t in themes},
            **{direction_column(t): r["directions"].get(t, 0) for t in themes},
        }
        for r in _decorate(store.conn.execute(sql, args).fetchall())
    ]
    return pd.DataFrame(data, columns=table_columns(themes))
