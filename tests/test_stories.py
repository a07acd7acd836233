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
    assert cluster.terms("cutting planned") == {"cut", "plan", "~cut"}


def _item(tagger, title: str, at: str, story: int | None = 1) -> cluster.Item:
    from dashboard.ingest.normalize import parse_text_date

    names = frozenset(m.name for m in tagger.tag(title).companies)
    vec = cluster.vectors([title])[0]
    return cluster.Item(story, cluster.terms(title, names), names, None, parse_text_date(at), vec)


def test_similarity_vetoes_disjoint_companies_and_needs_more_than_a_shared_company(tagger):
    a = _item(tagger, "EU probe finds Nvidia antitrust breach", "2025-10-13T09:00:00Z")
    # same company, same hour, a different event: no shared topic term or number, and the
    # embeddings alone do not clear COSINE_GATE
    b = _item(
        tagger, "China regulator bans purchases of Nvidia RTX Pro 6000D", "2025-10-13T10:00:00Z"
    )
    x = cluster.features(a, b)
    assert x[cluster.FEATURES.index("company")] == 1.0
    assert x[cluster.FEATURES.index("cosine")] < cluster.COSINE_GATE
    assert cluster.similarity(a, b) == 0.0
    # the same words under two disjoint watched companies are never one story
    c = cluster.Item(2, a.words, frozenset({"Samsung"}), None, a.at, a.vec)
    assert cluster.probability(cluster.features(a, c)) > cluster.THRESHOLD
    assert cluster.similarity(a, c) == 0.0
    # the same URL is one story whatever the titles
    d = cluster.Item(3, b.words, b.companies, "https://x.example/a", b.at, b.vec)
    e = cluster.Item(4, a.words, a.companies, "https://x.example/a", a.at, a.vec)
    assert cluster.similarity(d, e) == 1.0


def test_topic_terms_leave_out_numbers_companies_and_common_words():
    words = cluster.terms("Nvidia chip sales to China hit by $5.5 billion charge", {"Nvidia"})
    item = cluster.Item(None, words, frozenset({"Nvidia"}))
    assert item.topic == {"hit", "charge"}
    assert item.numbers == {"#5.5"}


def test_evidence_moves_the_probability_the_right_way():
    base = [0.2, 0.4, 1.0, 0.0, 0.0, 1.0, 0.5]
    p = cluster.probability(base)
    for name, value in (("jaccard", 0.5), ("cosine", 0.7), ("topic", 2.0), ("number", 1.0)):
        more = list(base)
        more[cluster.FEATURES.index(name)] = value
        assert cluster.probability(more) > p, name
    later = list(base)
    later[cluster.FEATURES.index("days")] = 1.5
    assert cluster.probability(later) < p


def test_paraphrases_join_while_a_follow_up_and_a_same_day_event_stay_apart(tmp_path, tagger):
    first = (
        "Nvidia scraps its $40 billion takeover of Arm, citing regulatory hurdles in "
        "Washington, London and Brussels"
    )
    paraphrase = (
        "Nvidia officially calls off its attempt to buy chip designer Arm amid regulatory pushback"
    )
    heads = [
        (first, "2022-02-08T07:00:00Z", "A"),
        (paraphrase, "2022-02-08T12:00:00Z", "B"),
        # same day, same company, another event
        ("Nvidia unveils Grace CPU superchip for data centres", "2022-02-08T09:00:00Z", "A"),
        # a follow-up inside the window, naming both companies again
        (
            "Arm's new chief Haas plans job cuts after failed Nvidia sale",
            "2022-02-09T20:00:00Z",
            "B",
        ),
    ]
    with Store(tmp_path / "s.db") as store:
        for n, (title, at, outlet) in enumerate(heads, start=1):
            _add(store, tagger, [_head(n, title, at, outlet)])
        s = _stories(store)
    assert s["id000001"] == s["id000002"]
    assert len({s["id000001"], s["id000003"], s["id000004"]}) == 3
    # the paraphrase is below the title-Jaccard rule alone (>= 0.25 on the titles' own
    # words): cosine, the shared companies and the concept term ("takeover" / "buy") carry it
    a, b = _item(tagger, first, heads[0][1]), _item(tagger, paraphrase, heads[1][1])
    wa, wb = ({w for w in i.words if w[0] != "~"} for i in (a, b))
    assert len(wa & wb) / len(wa | wb) < 0.25 and "~buy" in a.words & b.words


def test_choose_takes_the_most_similar_story_and_the_older_on_a_tie():
    item = cluster.Item(None, frozenset("abcd"), frozenset())
    cands = [
        cluster.Item(7, frozenset("abcx"), frozenset()),
        cluster.Item(5, frozenset("abcy"), frozenset()),
        cluster.Item(9, frozenset("abcd"), frozenset()),
    ]
    assert cluster.choose(item, cands) == 9
    wide = cluster.Item(None, frozenset("abcdef"), frozenset())
    tie = [
        cluster.Item(7, frozenset("abcx"), frozenset()),
        cluster.Item(5, frozenset("defy"), frozenset()),
    ]
    assert cluster.similarity(wide, tie[0]) == cluster.similarity(wide, tie[1])
    assert cluster.choose(wide, tie) == 5
    assert cluster.choose(item, [cluster.Item(3, frozenset("wxyz"), frozenset())]) is None
    # words that two stories share with item are crowded: they single out neither
    assert cluster.crowded(item, cands[:2]) == frozenset("abc")
    assert cluster.choose(item, cands[:2]) is None
    assert cluster.choose(item, cands[:1]) == 7


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
        # the matcher's memory of the lead follows the table's
        from dashboard.store import stories as stored

        assert stored._LEADS[sid] == "id000002"


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
                _head(6, "Update", "2025-01-01T06:00:00Z", "C", url="https://x.example/a"),
            ],
        )
        s = _stories(store)
        assert len({s["id000001"], s["id000002"], s["id000003"]}) == 3  # too short: alone
        assert s["id000004"] == s["id000005"]  # the same URL under two titles
        assert s["id000006"] == s["id000004"]  # ... even when one is too short to match


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
    # file: (headlines, stories) at least; holdout_3 is a small late check
    sizes = {
        "stories.csv": (300, 100),
        "stories_holdout.csv": (200, 70),
        "stories_holdout_2.csv": (200, 70),
        "stories_holdout_3.csv": (80, 30),
        "stories_holdout_4.csv": (150, 50),
        "stories_holdout_5.csv": (110, 40),
        "stories_holdout_6.csv": (150, 50),
        "stories_dense.csv": (200, 50),  # three days of one crowded beat
        "stories_dense_2.csv": (75, 30),  # another crowded week, a late check
    }
    names = tuple(sizes)
    for name in names:
        with (DATA / name).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        stories = {r["story"] for r in rows}
        seen[name] = stories
        assert len(rows) >= sizes[name][0] and len(stories) >= sizes[name][1], name
        assert all(r["outlet"] and r["published"] and r["title"] for r in rows), name
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not seen[a] & seen[b], (a, b)


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


def test_the_matcher_weights_are_the_fit_on_the_tuning_files_only():
    import importlib.util

    spec = importlib.util.spec_from_file_location("sq", ROOT / "bench" / "stories_quality.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    # the held-out batches are never tuned on
    assert set(bench.TUNING).isdisjoint(bench.HELD_OUT) and "stories.csv" in bench.TUNING
    fitted = bench.fit()
    assert tuple(fitted["weights"][f] for f in cluster.FEATURES) == pytest.approx(
        cluster.WEIGHTS, abs=0.002
    )
    assert fitted["bias"] == pytest.approx(cluster.BIAS, abs=0.002)


def test_concepts_let_paraphrases_share_a_topic_term_but_not_short_titles(tagger):
    assert {"~cut", "~capex"} <= cluster.terms("Micron slashes spending as demand slumps")
    assert {"~cut", "~capex"} <= cluster.terms("Micron will cut capex by 30% next year")
    # a concept term is not a word of the title: a one-word title stays too short to match
    one = cluster.Item(1, cluster.terms("Layoffs"), frozenset())
    assert one.size == 1 and cluster.keys(one.words) == []
    a = _item(tagger, "Fire hits part of ASML's Berlin plant", "2022-01-03T14:00:00Z")
    b = _item(tagger, "ASML assesses impact of blaze at Berlin site", "2022-01-03T15:00:00Z")
    assert cluster.similarity(a, b) >= cluster.THRESHOLD
    # generic verbs form no group: "unveils" and "announces" alone join nothing
    assert not {w for w in cluster.terms("Nvidia unveils, announces, launches") if w[0] == "~"}


def test_two_shared_companies_alone_do_not_open_the_gate(tagger):
    # Microsoft and Nvidia meet in several events a day: a cloud deal and a licence
    a = _item(
        tagger, "Microsoft gets US approval to ship Nvidia chips to the UAE", "2025-11-03T16:00Z"
    )
    b = _item(tagger, "IREN lands Microsoft contract for Nvidia GPUs", "2025-11-03T14:00Z")
    assert {"Microsoft", "Nvidia"} <= a.companies & b.companies
    assert not (a.topic & b.topic or a.numbers & b.numbers)
    assert float(a.vec @ b.vec) < cluster.COSINE_GATE
    assert cluster.similarity(a, b) == 0.0


def test_cjk_titles_bring_no_cosine_and_match_on_their_own_words():
    # the English model sees CJK as byte pieces that look alike across unrelated headlines
    assert not cluster.vectors(["韩国芯片出口创新高"])[0].any()
    quake = cluster.Item(1, cluster.terms("日本地震影响半导体工厂生产"), frozenset())
    exports = cluster.Item(2, cluster.terms("韩国芯片出口创新高"), frozenset())
    again = cluster.Item(3, cluster.terms("地震导致日本半导体工厂停产"), frozenset())
    assert cluster.similarity(quake, exports) == 0.0
    assert cluster.similarity(quake, again) >= cluster.THRESHOLD


def test_schema_10_gives_the_key_index_each_headlines_story_and_time(seeded_db):
    """A file of schema 9 (story_keys without story and time) upgrades to the rows a fresh
    write gives, and the next headline finds the same candidates."""
    import sqlite3

    from dashboard.store import SCHEMA_VERSION, Store

    with sqlite3.connect(seeded_db) as c:
        fresh = c.execute("SELECT * FROM story_keys ORDER BY key, day, headline_id").fetchall()
        c.executescript(
            """CREATE TABLE old_keys (key TEXT NOT NULL, day TEXT NOT NULL,
                 headline_id TEXT NOT NULL, PRIMARY KEY (key, day, headline_id)) WITHOUT ROWID;
               INSERT INTO old_keys SELECT key, day, headline_id FROM story_keys;
               DROP TABLE story_keys;
               ALTER TABLE old_keys RENAME TO story_keys;
               CREATE INDEX idx_story_keys_headline_id ON story_keys (headline_id);
               UPDATE meta SET value = '9' WHERE key = 'schema_version';"""
        )
    assert len(fresh) > 1000 and all(r[3] and r[4] for r in fresh)
    with Store(seeded_db) as store:
        assert store.schema_version == SCHEMA_VERSION
        upgraded = store.conn.execute(
            "SELECT * FROM story_keys ORDER BY key, day, headline_id"
        ).fetchall()
    assert upgraded == fresh


def test_a_topic_told_day_after_day_does_not_chain_into_one_story(tmp_path, tagger, monkeypatch):
    """Each day's copy is close to the day before's, so single-link matching chains ten
    days into one story unless a story spans at most WINDOW_HOURS, in whatever order its
    headlines arrive."""
    from dashboard.store import stories as stored

    heads = [
        _head(
            i,
            f"TSMC raises CoWoS advanced packaging output again, day {i} report",
            f"2025-03-{1 + i:02d}T09:00:00Z",
            source=f"Outlet {i % 3}",
        )
        for i in range(10)
    ]

    def spans(path) -> tuple[int, int]:
        with Store(path) as store:
            for h in heads:  # one feed run a headline, as a watcher would store them
                _add(store, tagger, [h])
            return store.conn.execute(
                "SELECT max(strftime('%s', last_seen) - strftime('%s', first_seen)), count(*)"
                " FROM stories"
            ).fetchone()

    longest, n = spans(tmp_path / "s.db")
    assert longest <= cluster.WINDOW_HOURS * 3600 and n >= 10 // 3
    # backfilled: newest first, as a feed file that lists its items newest first is read in
    # several runs; a story still spans the window at most
    heads.reverse()
    longest, n = spans(tmp_path / "backfilled.db")
    assert longest <= cluster.WINDOW_HOURS * 3600 and n >= 10 // 3
    heads.reverse()
    monkeypatch.setattr(stored, "_spans", lambda conn, items: {})  # no span rule
    assert spans(tmp_path / "chained.db") == (9 * 86400, 1)


def test_a_company_name_counts_once_not_as_shared_topic_terms(tagger):
    """'SK Hynix' is one shared company, not two more shared words: two events of one company
    on one day stay apart."""
    fab = _item(tagger, "SK hynix to build new Cheongju fab for AI memory", "2024-04-24T09:00Z")
    profit = _item(tagger, "SK Hynix swings to first-quarter profit", "2024-04-25T00:00Z")
    assert "SK Hynix" in fab.companies & profit.companies
    assert {"sk", "hynix"} <= fab.words and not {"sk", "hynix"} & fab.topic
    assert cluster.similarity(fab, profit) < cluster.THRESHOLD


def test_percentages_that_differ_keep_look_alike_titles_apart(tagger):
    rise = _item(tagger, "Nvidia shares rise 3% as chip stocks rally", "2025-01-15T16:00Z")
    again = _item(tagger, "Nvidia shares rise 5% as chip stocks rally", "2025-01-16T15:00Z")
    assert cluster.vetoed(rise, again) and cluster.similarity(rise, again) == 0.0
    # "per cent" and "pct" are percentages too, and a rounded figure agrees with its source
    assert "#12%" in cluster.terms("Prices up 12 per cent") & cluster.terms("prices up 12 pct")
    a = _item(tagger, "Samsung Q3 profit falls 32% on weak memory", "2023-10-11T00:00Z")
    b = _item(tagger, "Samsung's Q3 operating profit down 31.7 pct", "2023-10-11T01:00Z")
    assert not cluster.vetoed(a, b)
    # a percentage and a plain number are different numbers
    assert cluster.terms("grows 25%") & cluster.terms("adds 25 firms") == frozenset()


def test_in_a_crowded_window_a_headline_joins_only_a_story_whose_lead_it_resembles():
    """item is close to the story's latest member but shares nothing with the lead; a word it
    shares with that member is shared by another story too (the window is crowded)."""
    lead = cluster.Item(1, frozenset("pqrsh"), frozenset())
    member = cluster.Item(1, frozenset("cdefh"), frozenset())
    other = cluster.Item(2, frozenset("cxyz"), frozenset())
    item = cluster.Item(None, frozenset("cdefg"), frozenset())
    assert cluster.similarity(item, member) >= cluster.THRESHOLD
    assert cluster.similarity(item, lead) < cluster.LEAD_THRESHOLD
    assert cluster.choose(item, [member, other]) == 1  # no lead known: single link
    assert cluster.choose(item, [member, other], lead_of={1: lead}.get) is None
    # a quiet window keeps single link: paraphrases chain within one event
    assert cluster.choose(item, [member], lead_of={1: lead}.get) == 1


def test_a_dense_week_keeps_most_events_apart(tagger):
    """Three days of one crowded beat (many events about the same few companies, look-alike
    market-move titles): a held-out set the weights are not fitted on."""
    report = story_eval.evaluate(DATA / "stories_dense.csv", tagger)
    assert report.precision >= 0.75 and report.recall >= 0.3


def test_restory_rewrites_the_terms_the_matcher_reads(tmp_path, tagger):
    """A database written before a change of the terms (here: none at all) gets every row's
    story_terms from restory, as a fresh ingest would write them."""
    from dashboard.store import stories as stored

    heads = [
        _head(1, "Nvidia shares rise 3 per cent as chip stocks rally", "2025-01-15T16:00:00Z"),
        _head(2, "SK hynix to build new Cheongju fab for AI memory", "2025-01-15T17:00:00Z"),
    ]
    with Store(tmp_path / "s.db") as store:
        _add(store, tagger, heads)
        fresh = dict(store.conn.execute("SELECT id, story_terms FROM headlines"))
        with store.transaction():
            store.conn.execute("UPDATE headlines SET story_terms = ''")
        store.restory()
        assert dict(store.conn.execute("SELECT id, story_terms FROM headlines")) == fresh
    assert "#3%" in fresh["id000001"].split()
    (prepared,) = stored.prepare([heads[1].title], ["SK Hynix"])
    assert stored.terms_column(prepared) == fresh["id000002"]
