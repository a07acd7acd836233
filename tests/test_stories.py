"""Stories: the matcher's rule, its place in the write path, restory, and its evaluation."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from dashboard.models import Headline
from dashboard.store import Store
from dashboard.stories import cluster
from dashboard.stories import evaluate as story_eval
from tests.conftest import DATA, ROOT


@pytest.fixture(scope="module")
def tagger():
    from dashboard.tagging.tagger import Tagger
    from dashboard.tagging.taxonomy import load_taxonomy

    return Tagger(load_taxonomy())


def _head(n: int, title: str, at: str, source: str = "Wire", url: str | None = None):
    return Headline(f"id{n:06d}", source, title, "", url, at)


def _add(store, tagger, heads, feed=None):
    return store.add_headlines(
        feed,
        [(h, tagger.tag(h.title)) for h in heads],
        tag_version="t",
        fetched_at=heads[0].published_at,
    )


def _stories(store) -> dict[str, int]:
    return dict(store.conn.execute("SELECT id, story_id FROM headlines"))


def test_terms_drop_stop_words_keep_numbers_and_pair_cjk():
    words = cluster.terms("US adds 140 firms to the entity list, curbs $5.5bn of sales - Reuters")
    assert {"add", "#140", "entity", "list", "curb", "#5.5bn"} <= words or "#5.5" in words
    assert "the" not in words and "reuters" not in words
    assert {"英伟", "伟达"} <= cluster.terms("英伟达芯片")
    assert cluster.terms("cutting planned") == {"cut", "plan"}


def test_similarity_vetoes_disjoint_companies_and_mismatched_numbers():
    a = cluster.Item(1, cluster.terms("TSMC October revenue up 16.9%"), frozenset({"TSMC"}))
    b = cluster.Item(2, cluster.terms("TSMC November revenue up 24%"), frozenset({"TSMC"}))
    plain = len(a.words & b.words) / len(a.words | b.words)
    assert cluster.similarity(a, b) == pytest.approx(plain * cluster.NUMBER_MISMATCH)
    c = cluster.Item(3, a.words, frozenset({"Samsung"}))
    assert cluster.similarity(a, c) == 0.0


def test_choose_takes_the_most_similar_story_and_the_older_on_a_tie():
    item = cluster.Item(None, frozenset("abcd"), frozenset())
    cands = [
        cluster.Item(7, frozenset("abcx"), frozenset()),
        cluster.Item(5, frozenset("abcy"), frozenset()),
        cluster.Item(9, frozenset("abcd"), frozenset()),
    ]
    assert cluster.choose(item, cands) == 9
    assert cluster.choose(item, cands[:2]) == 5
    assert cluster.choose(item, [cluster.Item(3, frozenset("wxyz"), frozenset())]) is None


def test_outlets_join_one_story_and_different_events_stay_apart(tmp_path, tagger):
    dutch = _head(
        3, "Dutch government seizes control of Nexperia chipmaker", "2025-10-13T07:00:00Z", "B"
    )
    with Store(tmp_path / "s.db") as store:
        _add(
            store,
            tagger,
            [
                _head(
                    1,
                    "Netherlands seizes control of chipmaker Nexperia",
                    "2025-10-12T20:00:00Z",
                    "A",
                ),
                _head(2, "EU probe finds Nvidia antitrust breach", "2025-10-13T09:00:00Z", "A"),
            ],
        )
        _add(
            store,
            tagger,
            [
                dutch,
                _head(
                    4,
                    "China regulator bans purchases of Nvidia RTX Pro 6000D",
                    "2025-10-13T10:00:00Z",
                    "B",
                ),
                # a follow-up days later is a story of its own
                _head(
                    5,
                    "Nexperia chip shortage bites European automakers",
                    "2025-10-20T08:00:00Z",
                    "B",
                ),
            ],
        )
        s = _stories(store)
        assert s["id000001"] == s["id000003"]
        assert len({s["id000001"], s["id000002"], s["id000004"], s["id000005"]}) == 4
        lead, outlets, n = store.conn.execute(
            "SELECT lead_id, outlets, headlines FROM stories WHERE id = ?", (s["id000001"],)
        ).fetchone()
        assert (lead, outlets, n) == ("id000001", 2, 2)
        # re-ingesting changes nothing
        before = store.conn.execute("SELECT * FROM stories ORDER BY id").fetchall()
        _add(store, tagger, [dutch])
        assert store.conn.execute("SELECT * FROM stories ORDER BY id").fetchall() == before
        assert _stories(store) == s


def test_a_late_outlet_dated_earlier_takes_the_lead_and_the_id_stays(tmp_path, tagger):
    with Store(tmp_path / "s.db") as store:
        _add(
            store,
            tagger,
            [_head(1, "Samsung halts Pyeongtaek HBM line after fire", "2025-03-02T10:00:00Z", "A")],
        )
        sid = _stories(store)["id000001"]
        _add(
            store,
            tagger,
            [_head(2, "Fire halts Samsung HBM line at Pyeongtaek", "2025-03-02T06:00:00Z", "B")],
        )
        assert _stories(store)["id000002"] == sid
        assert store.conn.execute(
            "SELECT lead_id, first_seen, last_seen, outlets FROM stories WHERE id = ?", (sid,)
        ).fetchone() == ("id000002", "2025-03-02T06:00:00Z", "2025-03-02T10:00:00Z", 2)


def test_awkward_titles_have_defined_stories(tmp_path, tagger):
    with Store(tmp_path / "s.db") as store:
        _add(
            store,
            tagger,
            [
                _head(1, "", "2025-01-01T00:00:00Z"),
                _head(2, "Nvidia", "2025-01-01T00:01:00Z"),
                _head(3, "Nvidia", "2025-01-01T00:02:00Z"),
                _head(4, "Intel cuts jobs", "2025-01-01T00:03:00Z", url="https://x.example/a"),
                _head(
                    5,
                    "Intel layoffs: 15% of staff to go",
                    "2025-01-01T05:00:00Z",
                    "B",
                    url="https://x.example/a",
                ),
            ],
        )
        s = _stories(store)
        assert len({s["id000001"], s["id000002"], s["id000003"]}) == 3  # too short: alone
        assert s["id000004"] == s["id000005"]  # the same URL under two titles


def test_ten_thousand_near_identical_titles_make_one_story_with_bounded_lookups(tmp_path, tagger):
    heads = [
        _head(
            i,
            f"Win a free GPU giveaway entry number {i} today",
            f"2025-05-01T{i // 600 % 24:02d}:{i // 10 % 60:02d}:{i % 6}0Z",
            "Spam",
        )
        for i in range(10_000)
    ]
    with Store(tmp_path / "s.db") as store:
        _add(store, tagger, heads)
        stories = store.conn.execute("SELECT count(*), max(headlines) FROM stories").fetchone()
    # every candidate look-up is capped at MAX_CANDIDATES rows: the flood is one story
    assert stories == (1, 10_000)


def test_restory_rebuilds_the_same_stories_and_resumes(seeded_db):
    with Store(seeded_db) as store:
        first = store.conn.execute(
            "SELECT group_concat(id) FROM headlines GROUP BY story_id ORDER BY 1"
        ).fetchall()
        done, stories = store.restory()
        assert done == store.headline_count()
        again = store.conn.execute(
            "SELECT group_concat(id) FROM headlines GROUP BY story_id ORDER BY 1"
        ).fetchall()
        assert stories == len(again)
        # a killed run: half the headlines assigned, then a resume finishes the rest
        store.conn.execute("BEGIN")
        from dashboard.store import stories as st

        st.begin_restory(store.conn)
        store.conn.execute("COMMIT")
        batches = st.pending_batches(store.conn, batch=200)
        heads = next(batches)
        with store.transaction():
            st.assign(store.conn, heads)
            st.mark_restory_progress(store.conn, heads)
        done2, _ = store.restory(fresh=False)
        assert done2 == store.headline_count() - len(heads)
        assert (
            store.conn.execute(
                "SELECT group_concat(id) FROM headlines GROUP BY story_id ORDER BY 1"
            ).fetchall()
            == again
        )
        assert (
            store.conn.execute("SELECT count(*) FROM headlines WHERE story_id IS NULL").fetchone()[
                0
            ]
            == 0
        )
        assert len(first) > 0


def test_score_against_an_independent_count():
    rows = [{"story": s, "title": t} for s, t in [("a", "1"), ("a", "2"), ("a", "3"), ("b", "4")]]
    # found: {1,2}, {3,4}: pairs found 2, right 1; labelled pairs 3, found 1
    report = story_eval.score(rows, [1, 1, 2, 2])
    assert (report.precision, report.recall) == (0.5, pytest.approx(1 / 3))
    # B-cubed precision: 1, 1, 1/2, 1/2 -> 0.75; recall: 2/3, 2/3, 1/3, 1 -> 2/3
    assert report.bcubed_precision == 0.75
    assert report.bcubed_recall == pytest.approx(2 / 3)


def test_labelled_sets_are_well_formed_and_disjoint():
    seen = {}
    for name in ("stories.csv", "stories_holdout.csv"):
        with (DATA / name).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        stories = {r["story"] for r in rows}
        seen[name] = stories
        assert len(rows) >= 200 and len(stories) >= 70
    assert not seen["stories.csv"] & seen["stories_holdout.csv"]


def test_evaluate_stories_cli_prints_scores():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "evaluate-stories",
            str(DATA / "stories_holdout.csv"),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    import json

    report = json.loads(out)
    assert report["headlines"] >= 200 and 0 < report["f1"] <= 1
    # precision first: merging two events is worse than missing a paraphrase
    assert report["precision"] >= 0.95
