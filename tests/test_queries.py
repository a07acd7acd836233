"""The dashboard's reads, checked against a plain-Python oracle over the same rows.

A random but seeded store is written through Store.add_headlines; every query is compared
with what a direct computation over the inserted items says, for filters that take the
rollup path and filters that take the base-table path (sources, text, min_score, several
companies or themes), so both paths must agree with the definition, not with each other.
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
from dataclasses import replace
from datetime import date, timedelta

import pytest

from dashboard import risk
from dashboard.filters import Filters
from dashboard.models import Headline
from dashboard.store import Store
from dashboard.store import queries as Q
from dashboard.tagging.tagger import CompanyMatch, Evidence, Tags

THEMES = ("geopolitics", "hardware_autonomy", "supply_chain")
COMPANIES = ("Nvidia", "AMD", "TSMC", "Huawei", "SK Hynix")
SOURCES = ("Wire", "Daily", "Monitor")
WORDS = ("export", "chips", "fab", "tariff", "memory", "cloud", "sanctions", "packaging")
START = date(2026, 1, 1)
TODAY = date(2026, 4, 15)


def make_items(n: int, seed: int = 5) -> list[tuple[Headline, Tags]]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        day = START + timedelta(days=rng.randint(0, 89))
        companies = rng.sample(COMPANIES, rng.choice([0, 1, 1, 2, 3]))
        scores = {t: round(rng.uniform(0.05, 1.0), 2) for t in THEMES if rng.random() < 0.5}
        themes = tuple(t for t in THEMES if scores.get(t, 0) >= 0.45)
        evidence = {t: (Evidence(f"{t[:4]} term", "title", s),) for t, s in scores.items()}
        title = " ".join(rng.sample(WORDS, 3)) + f" story {i}"
        h = Headline(
            id=f"id{i:05d}",
            source=rng.choice(SOURCES),
            title=title,
            summary=rng.choice(["", "memory prices climb"]),
            url=f"https://example.com/{i}",
            published_at=f"{day.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
        )
        items.append(
            (h, Tags(tuple(CompanyMatch(c, c) for c in companies), scores, evidence, themes))
        )
    return items


ITEMS = make_items(500)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("q") / "q.db"
    with Store(path) as s:
        feed = s.ensure_feed("https://example.com/feed", "Example")
        with s.transaction():
            s.add_headlines(feed, ITEMS, tag_version="v1", fetched_at="2026-04-01T00:00:00Z")
    st = Store(path, readonly=True)
    yield st
    st.close()


# -- the oracle -------------------------------------------------------------------------------
_WEIGHTS: dict[str, float] = {}


def share(store, hid: str) -> float:
    """A headline's share of its story's weight, worked out here from the story each headline
    was given (the matcher's output is this oracle's input): in (published_at, id) order, the
    first headline of each new outlet of a story adds sqrt(k) - sqrt(k - 1), copies 0."""
    if not _WEIGHTS:
        rows = store.conn.execute(
            "SELECT id, story_id, source, published_at FROM headlines ORDER BY published_at, id"
        ).fetchall()
        outlets: dict[int, set[str]] = {}
        for i, story, source, _at in rows:
            if story is None:
                _WEIGHTS[i] = 1.0
                continue
            seen = outlets.setdefault(story, set())
            _WEIGHTS[i] = 0.0 if source in seen else math.sqrt(len(seen) + 1) - math.sqrt(len(seen))
            seen.add(source)
    return _WEIGHTS[hid]


def day_of(h: Headline) -> date:
    return date.fromisoformat(h.published_at[:10])


def counts_theme(tags: Tags, t: str, f: Filters) -> bool:
    if t not in tags.themes or (f.themes and t not in f.themes):
        return False
    return f.min_score is None or tags.scores[t] >= f.min_score


def matches(item, f: Filters) -> bool:
    h, tags = item
    d = day_of(h)
    if f.date_from and d < f.date_from or f.date_to and d > f.date_to:
        return False
    if f.companies and not {m.name for m in tags.companies} & set(f.companies):
        return False
    if f.themes and not any(counts_theme(tags, t, f) for t in f.themes):
        return False
    too_low = f.min_score is not None and max(tags.scores.values(), default=0) < f.min_score
    if not f.themes and too_low:
        return False
    if f.sources and h.source not in f.sources:
        return False
    if f.q:
        words = set(f"{h.title} {h.summary}".lower().split())
        if not all(w in words for w in f.q.lower().split()):
            return False
    return True


def selected(f: Filters) -> list:
    return [it for it in ITEMS if matches(it, f)]


def pressure(rows: list[tuple[date, float]], end: date) -> float:
    return sum(s * 0.5 ** (max((end - d).days, 0) / risk.HALF_LIFE_DAYS) for d, s in rows)


FILTERS = [
    Filters(),
    Filters(date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)),
    Filters(date_from=date(2026, 3, 10)),
    Filters(companies=("Nvidia",)),
    Filters(companies=("Nvidia", "TSMC")),
    Filters(companies=("Nvidia", "TSMC", "Huawei"), date_from=date(2026, 2, 1)),
    Filters(themes=("geopolitics",)),
    Filters(themes=("geopolitics", "supply_chain")),
    Filters(companies=("AMD",), themes=("supply_chain",)),
    Filters(companies=("AMD", "Huawei"), themes=("geopolitics", "supply_chain")),
    Filters(sources=("Wire",)),
    Filters(min_score=0.7),
    Filters(themes=("hardware_autonomy",), min_score=0.8),
    Filters(q="export"),
    Filters(q="memory tariff", companies=("Nvidia",)),
    Filters(
        date_from=date(2026, 1, 20),
        date_to=date(2026, 3, 1),
        companies=("TSMC",),
        themes=("geopolitics",),
        sources=("Daily", "Monitor"),
    ),
]
IDS = [f.slug() for f in FILTERS]


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
def test_count_and_kpis(store, f):
    hit = selected(f)
    assert Q.count(store, f) == len(hit)
    k = Q.kpis(store, f)
    assert k["headlines"] == len(hit)
    base = selected(replace(f, themes=()))
    expected = {t: sum(counts_theme(tags, t, f) for _h, tags in base) for t in (f.themes or THEMES)}
    assert k["theme_counts"] == expected
    if f.date_from and f.date_to:
        prev = f.previous_window()
        assert k["previous"]["headlines"] == len(selected(prev))
    else:
        assert "previous" not in k


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
def test_risk_cells_and_company_risk(store, f):
    end = f.date_to or TODAY
    cells: dict[tuple[str, str], list[tuple[date, float]]] = {}
    for h, tags in selected(f):
        for m in tags.companies:
            if f.companies and m.name not in f.companies:
                continue
            for t in THEMES:
                if counts_theme(tags, t, f):
                    w = risk.direction_weight(tags.directions.get(t, 0)) * share(store, h.id)
                    cells.setdefault((m.name, t), []).append((day_of(h), w * tags.scores[t]))
    got = Q.risk_cells(store, f, today=TODAY)
    assert set(zip(got["company"], got["theme"], strict=True)) == set(cells)
    for row in got.itertuples():
        rows = cells[(row.company, row.theme)]
        assert row.n == len(rows)
        assert math.isclose(row.mean_score, sum(s for _d, s in rows) / len(rows), rel_tol=1e-9)
        assert math.isclose(row.risk, risk.risk_from_pressure(pressure(rows, end)), rel_tol=1e-9)
    assert list(got["risk"]) == sorted(got["risk"], reverse=True)

    comp = Q.company_risk(store, f, today=TODAY)
    base = selected(replace(f, companies=()))
    for row in comp.itertuples():
        assert row.n == sum(row.company in {m.name for m in tags.companies} for _h, tags in base)
        # Each theme's pressure counts from 0 up: easing in one is no credit for another.
        mine = sum(max(pressure(rs, end), 0.0) for (c, _t), rs in cells.items() if c == row.company)
        assert math.isclose(row.risk, risk.risk_from_pressure(mine), rel_tol=1e-9)
    assert list(comp["risk"]) == sorted(comp["risk"], reverse=True)


def period_start(d: date, period: str) -> date:
    if period == "week":
        return d - timedelta(days=d.weekday())
    return d.replace(day=1) if period == "month" else d


def period_end(d: date, period: str) -> date:
    if period == "week":
        return period_start(d, "week") + timedelta(days=6)
    if period == "month":
        nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        return nxt - timedelta(days=1)
    return d


def keyed(f: Filters, by: str):
    """(key, headline, tags) for every headline counted under key."""
    base = selected(replace(f, themes=()) if by == "theme" else replace(f, companies=()))
    for h, tags in base:
        if by == "theme":
            keys = [t for t in THEMES if counts_theme(tags, t, f)]
        else:
            keys = [m.name for m in tags.companies if not f.companies or m.name in f.companies]
        for k in keys:
            yield k, h, tags


@pytest.mark.parametrize("period", ["day", "week", "month"])
@pytest.mark.parametrize("by", ["theme", "company"])
@pytest.mark.parametrize("f", FILTERS[:9] + FILTERS[12:13], ids=IDS[:9] + IDS[12:13])
def test_timeline(store, f, by, period):
    got = Q.timeline(store, f, by=by, period=period, top=50)
    n: dict[tuple, int] = {}
    for k, h, _tags in keyed(f, by):
        key = (period_start(day_of(h), period), k)
        n[key] = n.get(key, 0) + 1
    total: dict[date, int] = {}
    for h, _tags in selected(replace(f, themes=()) if by == "theme" else replace(f, companies=())):
        p = period_start(day_of(h), period)
        total[p] = total.get(p, 0) + 1
    assert {(r.period, r.key): r.n for r in got.itertuples()} == n
    for r in got.itertuples():
        assert r.total == total[r.period]
        assert math.isclose(r.share, r.n / r.total)


@pytest.mark.parametrize("by", ["theme", "company"])
def test_timeline_top(store, by):
    # The oracle counts the generated headlines themselves (ties go to the earlier name).
    n: dict[str, int] = {}
    for k, _h, _tags in keyed(Filters(), by):
        n[k] = n.get(k, 0) + 1
    ranked = [k for k, _ in sorted(n.items(), key=lambda kv: (-kv[1], kv[0]))]
    assert len(set(n.values())) > 1  # the counts differ, so the choice means something
    for top in range(1, len(ranked) + 1):
        got = Q.timeline(store, Filters(), by=by, period="month", top=top)
        assert set(got["key"]) == set(ranked[:top]), top
        grid = Q.period_matrix(store, Filters(), by=by, period="month", today=TODAY, top=top)
        assert list(dict.fromkeys(grid["key"])) == ranked[:top], top


@pytest.mark.parametrize("by", ["theme", "company"])
@pytest.mark.parametrize("f", [FILTERS[0], FILTERS[1], FILTERS[7], FILTERS[9]], ids=str)
def test_period_matrix(store, f, by):
    got = Q.period_matrix(store, f, by=by, period="week", today=TODAY)
    end = f.date_to or TODAY
    n: dict[tuple, int] = {}
    daily: dict[tuple, list] = {}
    for k, h, tags in keyed(f, by):
        key = (k, period_start(day_of(h), "week"))
        n[key] = n.get(key, 0) + 1
        # One list a theme: each theme's pressure counts from 0 up (dashboard.risk).
        themes = [t for t in THEMES if counts_theme(tags, t, f)] if by == "company" else [k]
        for t in themes:
            w = risk.direction_weight(tags.directions.get(t, 0)) * share(store, h.id)
            daily.setdefault((*key, t), []).append((day_of(h), w * tags.scores[t]))
    assert {(r.key, r.period): r.n for r in got.itertuples()} == n
    for r in got.itertuples():
        ref = min(period_end(r.period, "week"), end)
        r_sum = sum(
            max(pressure(rows, ref), 0.0)
            for (k, p, _t), rows in daily.items()
            if (k, p) == (r.key, r.period)
        )
        assert math.isclose(r.risk, risk.risk_from_pressure(r_sum), rel_tol=1e-9, abs_tol=1e-12)


def order(items):
    return [
        h.id for h, _t in sorted(items, key=lambda it: (it[0].published_at, it[0].id), reverse=True)
    ]


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
def test_headlines_pages_and_export_iterator(store, f):
    expected = order(selected(f))
    got = Q.headlines(store, f, limit=1000)
    assert list(got["id"]) == expected
    # Pages laid end to end give the same list.
    paged = []
    for offset in range(0, len(expected) + 7, 7):
        paged += list(Q.headlines(store, f, limit=7, offset=offset)["id"])
    assert paged == expected
    # The CSV export's iterator: every match once, in small keyset batches (urls are unique).
    streamed = [r[3] for r in Q.export_rows(store, f, THEMES, batch=6)]
    urls = {h.id: h.url for h, _t in ITEMS}
    assert streamed == [urls[i] for i in expected] and len(streamed) == len(set(streamed))


def test_headline_columns_scores_and_evidence(store):
    got = Q.headlines(store, Filters(), limit=1000)
    assert list(got.columns[:7]) == [
        "id",
        "published_at",
        "source",
        "title",
        "url",
        "companies",
        "themes",
    ]
    assert [c for c in got.columns if c.endswith("_score")] == [f"{t}_score" for t in THEMES]
    by_id = {h.id: tags for h, tags in ITEMS}
    for row in got.head(40).itertuples():
        tags = by_id[row.id]
        for t in THEMES:
            assert getattr(row, f"{t}_score") == tags.scores.get(t, 0.0)
        assert row.companies == "; ".join(m.name for m in tags.companies)
        for t in tags.scores:
            assert f"{t}: {t[:4]} term (title)" in row.evidence


@pytest.mark.parametrize("sort", ["source", "title", "score"])
def test_other_sorts(store, sort):
    f = Filters(companies=("Huawei",))
    got = Q.headlines(store, f, sort=sort, descending=False, limit=1000)
    col = {"source": "source", "title": "title", "score": None}[sort]
    if col:
        assert list(got[col]) == sorted(got[col])
    assert len(got) == len(selected(f))
    with pytest.raises(ValueError):
        Q.headlines(store, f, sort="title; DROP TABLE headlines")


def test_facets_and_theme_ids(store):
    fac = Q.facets(store)
    mentions = {c: sum(c in {m.name for m in t.companies} for _h, t in ITEMS) for c in COMPANIES}
    assert fac["companies"] == sorted(mentions, key=lambda c: (-mentions[c], c))
    assert fac["themes"] == sorted(THEMES) == Q.theme_ids(store)
    assert fac["sources"] == sorted(SOURCES)
    assert fac["total"] == len(ITEMS) and fac["demo"] == 0
    assert fac["first_day"] == min(day_of(h) for h, _t in ITEMS)
    assert fac["last_day"] == max(day_of(h) for h, _t in ITEMS)


def test_data_version_changes_with_content(tmp_path):
    with Store(tmp_path / "v.db") as s:
        v0 = Q.data_version(s)
        assert Q.data_version(s) == v0
        feed = s.ensure_feed("https://example.com/f", "F")
        v1 = Q.data_version(s)
        with s.transaction():
            s.add_headlines(feed, ITEMS[:3], tag_version="v1", fetched_at="2026-04-01T00:00:00Z")
        v2 = Q.data_version(s)
        assert len({v0, v1, v2}) == 3
        assert Q.stale_tags(s, "v1") == 0 and Q.stale_tags(s, "v2") == 3


def test_empty_store(empty_db):
    with Store(empty_db, readonly=True) as s:
        fac = Q.facets(s)
        assert fac["total"] == 0 and fac["first_day"] is None and fac["companies"] == []
        assert Q.count(s, Filters(q="export")) == 0
        assert Q.risk_cells(s, Filters()).empty and Q.company_risk(s, Filters()).empty
        assert Q.timeline(s, Filters()).empty and Q.period_matrix(s, Filters()).empty
        assert Q.headlines(s, Filters()).empty and list(Q.export_rows(s, Filters(), [])) == []


# -- text search --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "fts"),
    [
        ("export controls", '"export" AND "controls"'),
        ('"export controls" nvidia', '"export controls" AND "nvidia"'),
        ("nvid*", '"nvid"*'),
        ("a OR b NOT c", '("a" OR "b") NOT "c"'),
        ("a b OR c -d -e", '"a" AND ("b" OR "c") NOT ("d" OR "e")'),
        ("-nvidia", ""),  # an exclusion only: see test_text_search_operators
        ("title:foo", '"title foo"'),
        ("NEAR(a b, 3)", '"NEAR a" AND "b" AND "3"'),
        ('"unclosed phrase', '"unclosed phrase"'),
        ('( ) * ^ - + : ""', ""),
        ("", ""),
        ("Café 東京 x_y", '"Café" AND "東京" AND "x y"'),
        ("U.S. export", '"U S" AND "export"'),
    ],
)
def test_fts_query(typed, fts):
    assert Q.fts_query(typed) == fts


def test_text_search_operators(seeded_db):
    # Issue 12: "-nvidia" returned the same rows as "nvidia", "nvidia OR huawei" none.
    with Store(seeded_db, readonly=True) as s:

        def n(q: str) -> int:
            return Q.count(s, Filters(q=q))

        total, nvidia, huawei, both = n(""), n("nvidia"), n("huawei"), n("nvidia huawei")
        assert nvidia > 0 and huawei > 0
        assert n("-nvidia") == total - nvidia
        assert n("nvidia OR huawei") == nvidia + huawei - both
        assert n("nvidia -huawei") == nvidia - both
        assert n("nvid*") >= nvidia
        assert n('"export controls"') <= n("export controls")
        # The rows, not only the count: an exclusion reads through the same WHERE clause.
        rows = Q.headlines(s, Filters(q="-nvidia"), limit=500)
        assert not rows["title"].str.contains("nvidia", case=False).any()


@pytest.mark.parametrize("typed", ['"', "*", "(", "%", "🚀", "( ) ^"])
def test_a_search_with_nothing_to_look_for_says_so(typed):
    (notice,) = Q.query_notices(typed)
    assert "was ignored" in notice
    assert not Q.fts_query(typed)


def test_a_partly_ignored_search_says_what_was_ignored():
    assert Q.query_notices("nvidia (export") == (
        'Ignored in the search: “(” (words, "phrases", prefix*, -word and OR are understood).',
    )
    assert "OR" in Q.query_notices("OR nvidia")[0]
    assert Q.query_notices("nvidia OR huawei -tsmc") == ()


def test_text_search_never_errors_fuzz(store):
    rng = random.Random(2024)
    alphabet = (
        list("\"*()^:-+{}[]~,.;'\\/\t\n_ ") + list("abcxyzEXPORT019") + ["é", "東", "ß", "\u0301"]
    )
    total = Q.count(store, Filters())
    for _ in range(300):
        typed = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        f = Filters(q=typed)
        n = Q.count(store, f)
        assert 0 <= n <= total
        Q.headlines(store, f, limit=3)
        Q.kpis(store, f)


def _having(*words: str) -> int:
    """Generated headlines holding any of words in their title or summary (the oracle)."""
    return sum(
        1 for h, _tags in ITEMS if set(words) & set(f"{h.title} {h.summary}".lower().split())
    )


def test_text_search_finds_what_a_word_count_finds(store):
    total = len(ITEMS)
    for word in WORDS:
        expected = _having(word)
        assert 0 < expected < total
        assert Q.count(store, Filters(q=word)) == expected, word


def test_text_search_cannot_inject(store):
    total = len(ITEMS)
    export = _having("export")
    # Words no headline holds match nothing, whatever the quotes and operators around them.
    for typed in ['x" OR "y', "zzq' OR 1=1 --", "zzq OR 1=1"]:
        assert Q.count(store, Filters(q=typed)) == 0, typed
    # OR is an operator: "zzq) OR (1" is the headlines holding "1", no more (zzq matches none).
    assert Q.count(store, Filters(q="zzq) OR (1")) == Q.count(store, Filters(q="1"))
    # Hostile text around a real word never widens the search past that word's headlines.
    for typed in ["export' OR 1=1 --", "(export", "\x00export", "export)", 'export"']:
        n = Q.count(store, Filters(q=typed))
        assert n <= export < total, typed
    for typed in ["*", "title:*", '"']:
        assert 0 <= Q.count(store, Filters(q=typed)) <= total
    with pytest.raises(sqlite3.OperationalError):
        # Control: the raw text would have been an FTS syntax error.
        store.conn.execute(
            "SELECT 1 FROM headlines_fts WHERE headlines_fts MATCH ?", ("(export",)
        ).fetchall()


# -- the real pipeline ---------------------------------------------------------------------------
def test_seeded_db_paths_agree(seeded_db):
    # Rollups and the base tables must give the same numbers on real tagged data.
    with Store(seeded_db, readonly=True) as s:
        fac = Q.facets(s)
        assert fac["total"] > 0 and fac["demo"] == fac["total"]
        company, theme = fac["companies"][0], fac["themes"][0]
        for f in [
            Filters(),
            Filters(companies=(company,)),
            Filters(themes=(theme,)),
            Filters(companies=(company,), themes=(theme,)),
        ]:
            forced = replace(f, sources=tuple(fac["sources"]))  # same rows, base-table path
            assert Q.count(s, f) == Q.count(s, forced) == len(list(Q.export_rows(s, f, [])))
            assert Q.kpis(s, f)["theme_counts"] == Q.kpis(s, forced)["theme_counts"]
            a = Q.risk_cells(s, f, today=date(2026, 11, 20))
            b = Q.risk_cells(s, forced, today=date(2026, 11, 20))
            assert list(a["n"]) == list(b["n"])
            assert all(math.isclose(x, y) for x, y in zip(a["risk"], b["risk"], strict=True))


# -- temporary rollups of a filter -----------------------------------------------------------
def test_subset_rollups_follow_writes_from_any_connection(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as w:
        feed = w.ensure_feed("https://example.com/f", "F")
        with w.transaction():
            w.add_headlines(feed, ITEMS[:200], tag_version="v1", fetched_at="x")
    f = Filters(companies=("Nvidia", "TSMC"), q="export")
    with Store(path, readonly=True) as ro, Store(path) as w:
        before = Q.count(ro, f)
        assert before == len([it for it in ITEMS[:200] if matches(it, f)])
        assert Q.count(w, f) == before
        with w.transaction():  # another connection writes: the reader must see it
            w.add_headlines(feed, ITEMS[200:400], tag_version="v1", fetched_at="x")
        want = len([it for it in ITEMS[:400] if matches(it, f)])
        assert want > before
        assert Q.count(ro, f) == want
        with w.transaction():  # and this connection's own writes too
            w.add_headlines(feed, ITEMS[400:], tag_version="v1", fetched_at="x")
        assert Q.count(w, f) == len(selected(f))
        assert Q.kpis(w, f)["headlines"] == len(selected(f))


def test_subset_tables_are_bounded(store):
    for i in range(Q._SUBSETS_KEPT + 5):
        Q.count(store, Filters(min_score=0.5 + i / 100))
    temp = store.conn.execute(
        "SELECT count(*) FROM sqlite_temp_master WHERE type = 'table'"
    ).fetchone()[0]
    assert temp == Q._SUBSETS_KEPT


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize(
    "f", [Filters(companies=("AMD",)), Filters(companies=("TSMC",), themes=("geopolitics",))]
)
def test_score_sort_order(store, f, descending):
    def key(it):
        h, tags = it
        return (max(tags.scores.values(), default=0.0), h.published_at, h.id)

    expected = [h.id for h, _t in sorted(selected(f), key=key, reverse=descending)]
    got = Q.headlines(store, f, sort="score", descending=descending, limit=1000)
    assert list(got["id"]) == expected
    paged = list(
        Q.headlines(store, f, sort="score", descending=descending, limit=9, offset=9)["id"]
    )
    assert paged == expected[9:18]


def test_evidence_text_keeps_every_character_and_orders_themes():
    from dashboard.store.shape import derived_columns as _derived

    scores, text = _derived(
        [
            ("supply_chain", 0.5, [("fab", "title")]),
            (
                "geopolitics",
                0.25,
                [("Huawei’s", "title"), ('say "ban"', "summary"), ("a\\b", "title")],
            ),
            ("energy", 0.1, []),  # scored, but no words to show
        ]
    )
    assert json.loads(scores) == {"supply_chain": 0.5, "geopolitics": 0.25, "energy": 0.1}
    assert text == (
        'geopolitics: Huawei’s (title), say "ban" (summary), a\\b (title); supply_chain: fab (title)'
    )
    assert _derived([]) == ("{}", "")


def test_heatmap_and_timeline_pick_the_same_top_companies(seeded_db):
    """One rule for "the N most-named companies", in the queries; its oracle is a count of
    headline_companies rows (each headline names a company once)."""

    from dashboard.store import Store
    from dashboard.store.queries import period_matrix, timeline

    conn = sqlite3.connect(seeded_db)
    counted = conn.execute(
        "SELECT company FROM headline_companies GROUP BY company ORDER BY count(*) DESC, company"
    ).fetchall()
    expected = [c for (c,) in counted][:5]
    with Store(seeded_db, readonly=True) as ro:
        grid = period_matrix(ro, Filters(), by="company", period="month", top=5)
        line = timeline(ro, Filters(), by="company", period="month", top=5)
    assert list(dict.fromkeys(grid["key"])) == expected  # most-named first
    assert set(line["key"]) == set(expected)


@pytest.mark.parametrize(
    ("days", "period"), [(0, "day"), (45, "day"), (46, "week"), (400, "week"), (401, "month")]
)
def test_trend_period_by_window_length(days, period):
    from dashboard.store.queries import trend_period

    assert trend_period(days) == period


# -- a theme filter on the Overview (issue 12) -------------------------------------------------
def test_every_theme_counts_the_chosen_headlines_other_themes(seeded_db):
    # The theme filter chooses headlines; with every_theme the cells hold every theme those
    # headlines carry: Nvidia x hardware autonomy among the geopolitics headlines is the
    # geopolitics headlines naming Nvidia that carry hardware autonomy, as a CSV shows.
    geo = Filters(themes=("geopolitics",))
    with Store(seeded_db, readonly=True) as s:
        rows = Q.headlines(s, geo, limit=5000)
        tags = [
            (set(c.split(";")) if c else set(), set(t.split(";")) if t else set())
            for c, t in zip(
                rows["companies"].str.replace("; ", ";"),
                rows["themes"].str.replace("; ", ";"),
                strict=True,
            )
        ]
        cells = Q.risk_cells(s, geo, every_theme=True)
        assert set(cells["theme"]) > {"geopolitics"}
        for c, t, n in zip(cells["company"], cells["theme"], cells["n"], strict=True):
            assert n == sum(c in cs and t in ts for cs, ts in tags), (c, t)
        # The chosen theme's own cells are those of the plain reading.
        plain = Q.risk_cells(s, geo).set_index(["company", "theme"])
        mine = cells[cells["theme"] == "geopolitics"].set_index(["company", "theme"])
        assert mine["risk"].to_dict() == pytest.approx(plain["risk"].to_dict())
        k = Q.kpis(s, geo, every_theme=True)["theme_counts"]
        for t, n in k.items():
            assert n == sum(t in ts for _cs, ts in tags), t
        assert k["geopolitics"] == Q.count(s, geo) and k["hardware_autonomy"] > 0
        trend = Q.timeline(s, geo, by="theme", period="week", every_theme=True)
        assert trend.groupby("key")["n"].sum().to_dict() == {t: n for t, n in k.items() if n}
        # Without a theme filter both readings are one.
        assert Q.risk_cells(s, Filters(), every_theme=True).equals(Q.risk_cells(s, Filters()))


@pytest.mark.parametrize("f", FILTERS[:6], ids=IDS[:6])
def test_story_pages_walk_the_same_list_as_grouping_every_match(store, f):
    """The newest-first story page is found by walking the newest headlines (not by grouping
    every match): page by page it must list exactly what the full grouping lists."""
    themes = list(THEMES)
    every = [r["story_id"] for r in Q.stories.every(store, f, themes)]
    assert len(every) == Q.stories.count(store, f)
    paged = []
    for offset in range(0, len(every) + 7, 7):
        page = Q.stories.page(store, f, themes, limit=7, offset=offset)
        paged += list(page["story_id"])
    assert paged == every
    full = {r["story_id"]: r for r in Q.stories.every(store, f, themes)}
    for row in Q.stories.page(store, f, themes, limit=20).to_dict("records"):
        assert row == full[row["story_id"]]  # the same figures for each story


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
def test_story_groups_from_the_headline_index_list_what_the_tag_tables_list(store, f, monkeypatch):
    """Text searches and large company and theme filters list their stories from one pass
    over the matches (storylist._groups, the latter scanning the headlines' own tag columns);
    forced onto every filter it takes, the count and each page (newest first, best first)
    must be the full grouping's, figure for figure."""
    from dashboard.store import storylist
    from dashboard.store.sql import covered_where

    themes = list(THEMES)
    orders = {o: list(Q.stories.every(store, f, themes, order=o)) for o in ("latest", "score")}
    monkeypatch.setattr(storylist, "BIG", 1)
    store._story_groups = None
    grouped = storylist._groups(store, f) is not None
    covered = covered_where(f) is not None and bool(f.companies or f.themes)
    assert grouped == (covered or bool(Q.fts_query(f.q)))
    assert Q.stories.count(store, f) == len(orders["latest"])
    for order, every in orders.items():
        paged = []
        for offset in range(0, len(every) + 7, 7):
            paged += Q.stories.page(store, f, themes, order=order, limit=7, offset=offset).to_dict(
                "records"
            )
        assert paged == every, order


def test_covered_where_selects_what_the_tag_tables_select(store):
    # The headline row's ';'-joined tag columns and the tag tables are written together: the
    # index-only reading of a filter must select the same headlines as _where's.
    from dashboard.store.sql import _params, _where, covered_where

    for f in FILTERS + [Filters(companies=("SK Hynix", "AMD")), Filters(min_score=0.5)]:
        covered = covered_where(f, "h")
        if covered is None:
            continue
        sql = "SELECT id FROM headlines h WHERE {}"
        got = sorted(r[0] for r in store.conn.execute(sql.format(covered), _params(f)))
        want = sorted(r[0] for r in store.conn.execute(sql.format(_where(f)), _params(f)))
        assert got == want == sorted(h.id for h, _t in selected(f)), f


def test_covered_where_matches_whole_names_only(tmp_path):
    # "Arm" is inside "Arm China" and "geopolitics" inside no other theme: the row's
    # ';'-joined columns must be matched name by name, never as a substring.
    from dashboard.store.sql import _params, covered_where

    items = []
    for i, names in enumerate([("Arm China",), ("Arm",), ("Arm China", "TSMC"), ()]):
        h = Headline(
            id=f"a{i}",
            source="Wire",
            title=f"chips {i}",
            summary="",
            url=f"https://example.com/a{i}",
            published_at=f"2026-01-0{i + 1}T00:00:00Z",
        )
        items.append((h, Tags(tuple(CompanyMatch(c, c) for c in names), {}, {}, ())))
    with Store(tmp_path / "a.db") as s:
        feed = s.ensure_feed("https://example.com/feed", "Example")
        with s.transaction():
            s.add_headlines(feed, items, tag_version="v1", fetched_at="2026-04-01T00:00:00Z")
        for names, want in ((("Arm",), ["a1"]), (("Arm China",), ["a0", "a2"])):
            f = Filters(companies=names)
            where = covered_where(f, "h")
            sql = f"SELECT id FROM headlines h WHERE {where} ORDER BY id"  # noqa: S608
            assert [r[0] for r in s.conn.execute(sql, _params(f))] == want


def test_pooled_connections_outlive_a_script_run_and_follow_a_replaced_file(seeded_db):
    # Streamlit runs each rerun in a new thread: the pages' connection (and the temporary
    # rollups it holds) must be the same one in the next run's thread, and a database file
    # replaced under the same path must get a new connection, not the old file's.
    import shutil
    import threading

    from dashboard.ui import data

    path = str(seeded_db)
    seen = []

    def run() -> None:
        with data.borrowed(path) as s:
            seen.append((s, Q.count(s, Filters(q="export")), Q.data_version(s)))

    for _ in range(2):
        t = threading.Thread(target=run)
        t.start()
        t.join()
    assert seen[0][0] is seen[1][0]
    copy = seeded_db.with_name("copy.db")
    shutil.copy(seeded_db, copy)
    with Store(copy) as w, w.transaction():
        w.conn.execute("DELETE FROM headlines_fts")  # the replacement finds no text at all
    copy.replace(seeded_db)
    run()
    assert seen[2][0] is not seen[1][0] and seen[2][1] == 0 < seen[1][1]
