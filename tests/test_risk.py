"""The risk formula: its Python form, its SQL form (what the store runs) and an oracle
written out here with its own numbers, all three held to each other on random rows, so that
changing any one of them alone fails (the pages quote dashboard.risk's docstring)."""

from __future__ import annotations

import math
import random
import sqlite3
from datetime import date, timedelta

import pytest

from dashboard import risk

END = date(2026, 6, 30)


def days_ago(n: int) -> date:
    return END - timedelta(days=n)


def oracle_pressure(rows: list[tuple[date, float]], ref: date) -> float:
    # The documented formula with its documented constants, written independently of
    # dashboard.risk: half of the weight every 30 days, rows after `ref` count as fresh.
    return sum(s * 0.5 ** (max((ref - d).days, 0) / 30) for d, s in rows)


def oracle_risk(r: float) -> float:
    return 100 * (1 - math.exp(-r / 10))


def sql_pressure(rows: list[tuple[date, float]], end: date) -> float:
    """R computed by SQLite with risk.sql_decay, the way store/queries.py sums the rollups."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("SELECT exp(0)")
    except sqlite3.OperationalError:  # SQLite built without its math functions
        conn.create_function("exp", 1, math.exp, deterministic=True)
    conn.execute("CREATE TABLE r (day TEXT, score_sum REAL)")
    conn.executemany("INSERT INTO r VALUES (?, ?)", [(d.isoformat(), s) for d, s in rows])
    sql = f"SELECT total(score_sum * {risk.sql_decay('day', ':end')}) FROM r"  # noqa: S608 (a fixed fragment)
    r = conn.execute(sql, {"end": end.isoformat()}).fetchone()[0]
    conn.close()
    return r


def random_rows(rng: random.Random, n: int) -> list[tuple[date, float]]:
    # Ages from 400 days old to 40 days after the reference day (those count as fresh).
    return [(days_ago(rng.randint(-40, 400)), round(rng.random() * 5, 3)) for _ in range(n)]


def test_pinned_values():
    assert risk.decay(30) == pytest.approx(0.5)
    assert risk.decay(60) == pytest.approx(0.25)
    assert risk.decay(0) == 1.0
    assert risk.decay(-5) == 1.0  # dated after the reference day: fresh, never more
    assert risk.risk_from_pressure(0.0) == 0.0
    assert risk.risk_from_pressure(10.0) == pytest.approx(63.212055882855765)
    assert risk.risk_from_pressure(20.0) == pytest.approx(86.46647167633873)
    assert risk.headline_risk([0.2, 0.85, 0.5]) == 85.0
    assert risk.headline_risk([]) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_sql_and_python_forms_agree_with_the_oracle_on_random_rows(seed):
    rng = random.Random(seed)
    for _ in range(40):
        rows = random_rows(rng, rng.randint(0, 30))
        end = END + timedelta(days=rng.randint(-30, 30))
        expected = oracle_pressure(rows, end)
        assert risk.pressure(rows, end) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert sql_pressure(rows, end) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert risk.risk_from_pressure(expected) == pytest.approx(oracle_risk(expected))


def test_rebase_moves_the_reference_day_back():
    # The store sums every period from the window's end and rebases each to its own end.
    rng = random.Random(7)
    for _ in range(200):
        ref = END - timedelta(days=rng.randint(0, 120))
        rows = [(ref - timedelta(days=rng.randint(0, 200)), rng.random()) for _ in range(10)]
        got = risk.rebase(sql_pressure(rows, END), END, ref)
        assert got == pytest.approx(oracle_pressure(rows, ref), rel=1e-9)


def test_more_recent_higher_and_more_headlines_raise_risk_and_it_saturates():
    # Through the SQL form, which is what the dashboard runs.
    def r(rows):
        return risk.risk_from_pressure(sql_pressure(rows, END))

    assert r([]) == 0.0
    assert 0 < r([(days_ago(60), 0.8)]) < r([(days_ago(2), 0.8)])
    assert 0 < r([(days_ago(3), 0.4)]) < r([(days_ago(3), 0.9)])
    assert r([(days_ago(3), 0.7)]) < r([(days_ago(3), 0.7), (days_ago(4), 0.7)])
    assert 99.9 < r([(END, 1.0)] * 100) <= 100.0


def test_daily_sums_equal_per_headline_sums():
    # Working from daily score sums is exact: the pages use the rollups, not the rows.
    rows = [(days_ago(5), 0.6), (days_ago(5), 0.3), (days_ago(9), 0.9)]
    daily = [(days_ago(5), 0.9), (days_ago(9), 0.9)]
    assert sql_pressure(rows, END) == pytest.approx(sql_pressure(daily, END))


def test_direction_weights_in_python_and_sql_agree_with_the_documented_ones():
    documented = {1: 1.0, 0: 0.5, -1: -1.0, None: 0.5}  # escalating, neutral, easing, none
    conn = sqlite3.connect(":memory:")
    for direction, w in documented.items():
        assert risk.direction_weight(direction) == w
        sql = conn.execute(f"SELECT {risk.sql_direction_weight('?')}", (direction,)).fetchone()[0]
        assert sql == w, direction
    assert risk.risk_from_pressure(-3.0) == 0.0  # easing outweighs: no risk, never below


def test_easing_news_lowers_a_pairs_risk_through_the_store(tmp_path):
    """Through ingest and the page query: the same company x theme with an escalating
    headline, then also an easing one, then easing alone."""
    from dashboard.filters import Filters
    from dashboard.ingest import ingest
    from dashboard.store import Store, queries

    up = "US adds Huawei units to entity list, tightening export controls"
    down = "US lifts export licence requirement for Huawei, easing curbs"

    def cell(titles: list[str]) -> tuple[float, int]:
        run = tmp_path / str(len(list(tmp_path.iterdir())))
        run.mkdir()
        items = "".join(
            f"<item><title>{t}</title><link>https://example.com/{i}</link>"
            # Five days apart: two events, not one story told twice.
            f"<pubDate>{10 + 5 * i} Jun 2026 10:00:00 +0000</pubDate></item>"
            for i, t in enumerate(titles)
        )
        feed = run / "wire.xml"
        feed.write_text(f"<rss><channel><title>Wire</title>{items}</channel></rss>")
        with Store(run / "c.db") as store:
            ingest(store, [str(feed)])
            got = queries.risk_cells(store, Filters(), today=END)
        row = got[(got.company == "Huawei") & (got.theme == "geopolitics")]
        return (float(row.risk.iloc[0]), int(row.n.iloc[0])) if len(row) else (0.0, 0)

    escalating, n_up = cell([up])
    both, n_both = cell([up, down])
    easing, n_down = cell([down])
    assert (n_up, n_both, n_down) == (1, 2, 1), "the tagger must carry geopolitics in both"
    assert escalating > both >= 0.0 and easing == 0.0


def _weights_hold(store) -> int:
    """Every story's headlines share sqrt(its outlets); returns the stories with several."""
    rows = store.conn.execute(
        "SELECT story_id, count(DISTINCT source), total(story_weight), count(*),"
        " sum(story_weight = 0) FROM headlines WHERE story_id IS NOT NULL GROUP BY story_id"
    ).fetchall()
    assert rows
    for story, outlets, weight, n, copies in rows:
        assert math.isclose(weight, math.sqrt(outlets), rel_tol=1e-9), story
        assert copies == n - outlets, story  # one headline an outlet carries its share
    return sum(1 for r in rows if r[1] > 1)


def test_stories_weigh_sqrt_outlets_in_risk_at_ingest_and_after_restory(seeded_db):
    from dashboard.store import Store

    def rollups(store):
        return store.conn.execute(
            "SELECT day, company, theme, n, round(score_sum, 9) FROM rollup_daily ORDER BY 1, 2, 3"
        ).fetchall()

    with Store(seeded_db) as store:
        assert _weights_hold(store) > 10, "the demo must hold stories told by several outlets"
        store.restory()
        assert _weights_hold(store) > 10
        after = rollups(store)
        store.rebuild_rollups()
        assert rollups(store) == after  # restory left the rollups a rebuild would give
