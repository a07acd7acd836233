"""The store against real SQLite files: schema, idempotent migration, writes, retag, purge."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime

import pytest

from dashboard.config import ROOT
from dashboard.errors import StoreError
from dashboard.models import Headline
from dashboard.store import SCHEMA_VERSION, Store
from dashboard.store.queries import stale_tags
from dashboard.tagging.retag import retag
from dashboard.tagging.tagger import Tagger
from dashboard.tagging.taxonomy import load_taxonomy


def make(i: int, title: str, day: str = "2026-10-01") -> Headline:
    return Headline(
        id=f"h{i}",
        source="Test Wire",
        title=title,
        summary="",
        url=f"https://example.com/{i}",
        published_at=f"{day}T12:00:00Z",
    )


@pytest.fixture(scope="module")
def tagger():
    taxonomy = load_taxonomy()
    return Tagger(taxonomy), taxonomy.version


def test_schema_created_wal_and_rerun_is_harmless(tmp_path):
    path = tmp_path / "c.db"
    Store(path).close()
    with Store(path) as store:  # second open: migrations do not run twice
        assert store.schema_version == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        names = set(store.db.table_names())
    assert {
        "feeds",
        "headlines",
        "headline_themes",
        "headline_companies",
        "meta",
        "rollup_daily",
        "headlines_fts",
    } <= names
    # Datasette and any other SQLite client see plain tables with an FTS5 index.
    conn = sqlite3.connect(path)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'headlines_fts'").fetchone()[0]
    assert "fts5" in sql.lower() and "content=headlines" in sql.replace('"', "").replace("'", "")


def test_newer_schema_is_refused_and_garbage_file_gets_clear_error(tmp_path):
    path = tmp_path / "c.db"
    with Store(path) as store, store.transaction():
        store.conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer"):
        Store(path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable Chipwatch database"):
        Store(junk)


def test_add_headlines_dedups_and_writes_tags_and_rollups(tmp_path, tagger):
    tag, version = tagger
    with Store(tmp_path / "c.db") as store:
        feed = store.ensure_feed("https://example.com/feed")
        items = [
            make(1, "US tightens export controls on Nvidia AI chips to China"),
            make(2, "TSMC expands CoWoS packaging capacity", "2026-10-02"),
        ]
        with store.transaction():
            first = store.add_headlines(
                feed,
                [(h, tag.tag(h.title)) for h in items],
                tag_version=version,
                fetched_at="2026-10-03T00:00:00Z",
            )
        with store.transaction():
            again = store.add_headlines(
                feed,
                [(h, tag.tag(h.title)) for h in items],
                tag_version=version,
                fetched_at="2026-10-03T00:00:00Z",
            )
        assert (first.new, first.duplicates) == (2, 0)
        assert (again.new, again.duplicates) == (0, 2)
        row = store.conn.execute("SELECT companies, themes FROM headlines WHERE id='h1'").fetchone()
        assert row[0] == "Nvidia" and "geopolitics" in row[1].split(";")
        rollup = dict(
            store.conn.execute(
                "SELECT company || '/' || theme, n FROM rollup_daily WHERE day = '2026-10-01'"
            )
        )
        assert rollup["/"] == 1 and rollup["Nvidia/"] == 1 and rollup["Nvidia/geopolitics"] == 1
        # Full-text index follows inserts.
        hits = store.conn.execute(
            "SELECT count(*) FROM headlines_fts WHERE headlines_fts MATCH 'cowos'"
        ).fetchone()[0]
        assert hits == 1


def test_a_failed_transaction_leaves_nothing_behind(tmp_path, tagger):
    tag, version = tagger
    with Store(tmp_path / "c.db") as store:
        feed = store.ensure_feed("https://example.com/feed")

        def items():
            yield make(1, "Huawei unveils Ascend chip"), tag.tag("Huawei unveils Ascend chip")
            raise RuntimeError("killed mid-feed")

        with pytest.raises(RuntimeError), store.transaction():
            store.add_headlines(feed, items(), tag_version=version, fetched_at="x")
        assert store.headline_count() == 0
        assert store.conn.execute("SELECT count(*) FROM headline_companies").fetchone()[0] == 0


def test_failure_backoff_grows_and_is_capped_then_success_resets(tmp_path):
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with Store(tmp_path / "c.db") as store:
        feed = store.ensure_feed("https://example.com/feed")
        waits = []
        for _ in range(12):
            store.record_failure(feed, "HTTP 500", backoff_base=900, backoff_cap=86400, now=now)
            row = store.feed("https://example.com/feed")
            waits.append((datetime.fromisoformat(row["next_attempt_at"]) - now).total_seconds())
        assert waits[:3] == [900, 1800, 3600]
        assert max(waits) == 86400 and waits[-1] == 86400
        assert row["consecutive_failures"] == 12 and row["last_error"] == "HTTP 500"
        with store.transaction():
            store.record_success(feed, status="ok", http_status=200, etag='"v1"')
        row = store.feed("https://example.com/feed")
        assert row["consecutive_failures"] == 0 and row["next_attempt_at"] is None
        assert row["last_error"] is None and row["etag"] == '"v1"'


def test_retag_follows_a_taxonomy_change_and_purge_removes_demo(tmp_path, tagger):
    tag, version = tagger
    with Store(tmp_path / "c.db") as store:
        feed = store.ensure_feed("https://example.com/feed")
        with store.transaction():
            store.add_headlines(
                feed,
                [(make(1, "Nvidia earnings beat"), tag.tag("x"))],
                tag_version="old",
                fetched_at="x",
                demo=True,
            )
            store.add_headlines(
                feed,
                [(make(2, "Intel posts results"), tag.tag("y"))],
                tag_version="old",
                fetched_at="x",
            )
        assert stale_tags(store, version) == 2
        assert retag(store, taxonomy=load_taxonomy(), batch=1) == (2, 2)
        assert stale_tags(store, version) == 0
        assert (
            store.conn.execute("SELECT companies FROM headlines WHERE id='h1'").fetchone()[0]
            == "Nvidia"
        )
        assert store.get_meta("rollups_dirty") != "1"
        assert store.purge_demo() == 1
        assert [r[0] for r in store.conn.execute("SELECT id FROM headlines")] == ["h2"]
        assert (
            store.conn.execute(
                "SELECT count(*) FROM headline_companies WHERE headline_id='h1'"
            ).fetchone()[0]
            == 0
        )
        assert store.integrity_ok()


def test_incremental_rollups_equal_a_full_rebuild(seeded_db):
    with Store(seeded_db) as store:
        query = "SELECT day, company, theme, n, score_sum FROM rollup_daily ORDER BY 1, 2, 3"
        incremental = store.conn.execute(query).fetchall()
        store.rebuild_rollups()
        rebuilt = store.conn.execute(query).fetchall()
    assert len(incremental) > 500
    # Counts exactly; sums added in another order may differ in the last bits.
    assert [r[:4] for r in incremental] == [r[:4] for r in rebuilt]
    assert [r[4] for r in incremental] == pytest.approx([r[4] for r in rebuilt], abs=1e-9)


def test_a_version_1_file_opens_and_upgrades(tmp_path, tagger):
    import sqlite_utils

    from dashboard.store.schema import MIGRATIONS

    tag, version = tagger
    path = tmp_path / "v1.db"
    # A database exactly as the first Chipwatch release left it, with one headline in it.
    db = sqlite_utils.Database(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    MIGRATIONS[0](db)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.conn.commit()
    db.close()
    with Store(path) as store, store.transaction():
        feed = store.ensure_feed("https://example.com/feed")
    with Store(path, readonly=True) as ro:
        assert ro.schema_version == SCHEMA_VERSION
        indexes = {tuple(i.columns) for i in ro.db["headlines"].indexes}
    assert ("max_score", "published_at", "companies", "themes") in indexes
    with Store(path) as store:  # opening again is harmless
        assert store.schema_version == SCHEMA_VERSION
        with store.transaction():
            h = make(1, "TSMC expands CoWoS packaging capacity")
            store.add_headlines(feed, [(h, tag.tag(h.title))], tag_version=version, fetched_at="x")
        assert store.headline_count() == 1 and store.integrity_ok()


def test_a_version_2_file_gains_each_headlines_scores_and_evidence(seeded_db, tmp_path, tagger):
    """A file as version 2 wrote it (evidence JSON on the tag rows, none on the headline)
    migrates to the rows a fresh write gives: the same pages and the same CSV rows."""
    from dashboard.filters import Filters
    from dashboard.store import queries
    from tests import oldschema

    tag, _version = tagger
    themes = ["geopolitics", "hardware_autonomy", "supply_chain", "energy"]

    n = len(themes)

    def untold(rows):
        # A file from before directions has none until `chipwatch retag`, and none of its
        # stories until `chipwatch restory`: head, scores, risk, evidence (no story, no correction).
        return [r[: 5 + n] + r[5 + 2 * n : 7 + 2 * n] for r in rows]

    def undirected(page):
        return page.drop(columns=[c for c in page.columns if "direction" in c])

    with Store(seeded_db, readonly=True) as ro:
        told = [
            r[:-3] for r in queries.export_rows(ro, Filters(), themes)
        ]  # without story_id, story_outlets, corrections
        expected = untold(told)
        page = queries.headlines(ro, Filters(), sort="score", limit=100)
    assert sum(1 for r in expected if r[-1]) > 300  # most seeded headlines carry evidence
    assert sum(1 for r in told if r[-1]) > 100  # and many a direction cue
    old = oldschema.build(seeded_db, tmp_path / "v2.db", 2, tag)
    with Store(old, readonly=True) as ro:  # even a reader's open upgrades it first
        assert ro.schema_version == SCHEMA_VERSION
        assert "evidence" not in ro.db["headline_themes"].columns_dict
        assert untold(queries.export_rows(ro, Filters(), themes)) == expected
        assert undirected(queries.headlines(ro, Filters(), sort="score", limit=100)).equals(
            undirected(page)
        )
        assert ro.integrity_ok()
    with Store(old) as rw:
        assert rw.get_meta("restory") == "pending"
        done, _ = rw.restory(fresh=False)
        assert done == rw.headline_count() > 0 and rw.get_meta("restory") is None
        # Every headline carrying a theme is due for retag, which brings its directions.
        carried = rw.conn.execute("SELECT count(*) FROM headlines WHERE themes != ''").fetchone()
        assert queries.stale_tags(rw, tag.taxonomy.version) == carried[0] > 300
        retag(rw, taxonomy=tag.taxonomy)
        assert [r[:-3] for r in queries.export_rows(rw, Filters(), themes)] == told
        assert queries.headlines(rw, Filters(), sort="score", limit=100).equals(page)


def test_a_readonly_open_of_an_old_file_upgrades_it(tmp_path):
    import sqlite_utils

    from dashboard.store.schema import MIGRATIONS

    path = tmp_path / "c.db"
    db = sqlite_utils.Database(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    for migrate in MIGRATIONS[:3]:
        migrate(db)
    db.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    db.conn.commit()
    db.close()
    with Store(path, readonly=True) as ro:
        assert ro.schema_version == SCHEMA_VERSION
        assert ro.db["fetch_log"].exists()
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            ro.conn.execute("DELETE FROM feeds")  # the reader's own connection stays read-only


def test_an_old_file_that_cannot_be_written_is_refused_with_what_to_run(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    with Store(path) as store, store.transaction():
        store.conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")

    def cannot_write(self):
        exc = sqlite3.OperationalError("attempt to write a readonly database")
        exc.sqlite_errorcode = 8  # SQLITE_READONLY
        raise exc

    # As root in CI a chmod does not stop SQLite writing; fail the writer's first write.
    monkeypatch.setattr(Store, "_tune_writer", cannot_write)
    with pytest.raises(StoreError) as err:
        Store(path, readonly=True)
    message = str(err.value)
    assert "\n" not in message and "older" in message and "readonly database" in message
    assert f"chipwatch --db {path} feeds list" in message


def test_every_open_refuses_a_newer_file_and_a_missing_one(tmp_path):
    path = tmp_path / "c.db"
    with Store(path) as store, store.transaction():
        store.conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    for readonly in (False, True):
        with pytest.raises(StoreError, match="schema version 99 is newer"):
            Store(path, readonly=readonly)
    with pytest.raises(StoreError, match="no such database"):
        Store(tmp_path / "missing.db", readonly=True)
    assert not (tmp_path / "missing.db").exists()


def test_repeated_ids_within_one_write_are_duplicates(tmp_path, tagger):
    tag, version = tagger
    with Store(tmp_path / "c.db") as store:
        feed = store.ensure_feed("https://example.com/feed")
        first = make(1, "Huawei unveils Ascend chip")
        again = make(1, "Huawei unveils Ascend chip, updated")
        other = make(2, "Samsung starts HBM4 production")
        got = store.add_headlines(
            feed,
            [(h, tag.tag(h.title)) for h in (first, again, other)],
            tag_version=version,
            fetched_at="x",
        )  # outside any transaction: it opens its own
        assert (got.new, got.duplicates) == (2, 1)
        title = store.conn.execute("SELECT title FROM headlines WHERE id = 'h1'").fetchone()[0]
        assert title == first.title
        rollup = store.conn.execute(
            "SELECT n FROM rollup_daily WHERE day = '2026-10-01' AND company = '' AND theme = ''"
        ).fetchone()[0]
        assert rollup == 2


def test_retag_after_an_edit_rewrites_only_what_changed(seeded_db, tmp_path, monkeypatch):
    """A threshold edit flips some headlines' carried themes: retag rewrites exactly those, the
    rollups move by the difference (equal to a rebuild), and a second run changes nothing."""
    from dashboard.tagging.retag import RetagResult

    text = (ROOT / "data" / "taxonomy.toml").read_text()
    edited = tmp_path / "taxonomy.toml"
    changed = text.replace("threshold = 0.47", "threshold = 0.6", 1)  # supply chain's
    assert changed != text, "the shipped taxonomy no longer has this threshold: update the test"
    edited.write_text(changed)
    monkeypatch.setenv("CHIPWATCH_TAXONOMY", str(edited))
    taxonomy = load_taxonomy()
    q = "SELECT headline_id, theme, score, carried FROM headline_themes ORDER BY 1, 2"
    with Store(seeded_db) as store:
        before = store.conn.execute(q).fetchall()
        result = retag(store, taxonomy=taxonomy, batch=97)
        after = store.conn.execute(q).fetchall()
        assert isinstance(result, RetagResult)
        assert result.checked == store.headline_count() == stale_tags(store, "none")
        flipped = {b[0] for b, a in zip(before, after, strict=True) if b != a}
        assert 0 < result.changed == len(flipped) < result.checked
        # Only supply-chain rows whose rule score lies under the new threshold change: they
        # drop the theme, or keep it on the learned opinion alone, at its higher probability.
        changes = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
        assert all(
            b[1] == "supply_chain"
            and b[3] == 1
            and 0.47 <= b[2] < 0.6
            and (a[3] == 0 or a[2] > b[2])
            for b, a in changes
        )
        assert any(a[3] == 0 for _b, a in changes)
        rollups = "SELECT day, company, theme, n, score_sum FROM rollup_daily ORDER BY 1, 2, 3"
        incremental = store.conn.execute(rollups).fetchall()
        store.rebuild_rollups()
        rebuilt = store.conn.execute(rollups).fetchall()
        assert [r[:4] for r in incremental] == [r[:4] for r in rebuilt]
        assert [r[4] for r in incremental] == pytest.approx([r[4] for r in rebuilt], abs=1e-9)
        assert retag(store, taxonomy=taxonomy, everything=True) == (result.checked, 0)
        assert store.conn.execute(q).fetchall() == after
        assert_rows_match_fresh_tags(store, taxonomy)
        # A weight edit moves scores: the rows' scores and evidence follow.
        edited.write_text(
            re.sub(r'^("[^"\n]+"\s*=\s*)([01]?\.\d+)', r"\g<1>0.35", text, flags=re.M)
        )
        heavy = load_taxonomy()
        assert retag(store, taxonomy=heavy).changed > result.changed
        assert_rows_match_fresh_tags(store, heavy)


def assert_rows_match_fresh_tags(store, taxonomy):
    """Every headline row's tag columns, and its theme rows with their directions, are what
    tagging it afresh gives."""
    from dashboard.store.shape import tag_rows

    tagger = Tagger(taxonomy)
    rows = store.conn.execute(
        "SELECT id, title, summary, published_at, companies, themes, max_score,"
        " theme_scores, evidence_text, theme_directions, direction_evidence FROM headlines"
    ).fetchall()
    stored: dict[str, set] = {}
    for row in store.conn.execute(
        "SELECT headline_id, theme, score, carried, published_at, direction FROM headline_themes"
    ):
        stored.setdefault(row[0], set()).add(tuple(row))
    assert rows
    directed = 0
    for hid, title, summary, published, *columns in rows:
        fresh = tag_rows(hid, published, tagger.tag(title, summary))
        assert tuple(columns) == fresh.columns
        assert stored.get(hid, set()) == set(fresh.themes)
        directed += any(r[5] for r in fresh.themes)
    assert directed > 50  # the seeded news carries directions to compare


def test_a_later_retag_takes_over_and_the_earlier_one_stops(seeded_db, tmp_path, monkeypatch):
    """Two retags must not both apply their differences (the rollups would move twice): the
    later claim wins, the earlier run's next write fails with a clear error, nothing moves."""
    from dashboard.store.shape import tag_rows
    from dashboard.tagging.retag import plan_retag

    text = (ROOT / "data" / "taxonomy.toml").read_text()
    edited = tmp_path / "taxonomy.toml"
    changed = text.replace("threshold = 0.47", "threshold = 0.6", 1)  # supply chain's
    assert changed != text, "the shipped taxonomy no longer has this threshold: update the test"
    edited.write_text(changed)
    taxonomy = load_taxonomy(edited)
    tagger = Tagger(taxonomy)
    rollups = "SELECT day, company, theme, n FROM rollup_daily ORDER BY 1, 2, 3"
    with Store(seeded_db) as first, Store(seeded_db) as second:
        mine = first.begin_retag()
        work = next(first.retag_batches(taxonomy.version, everything=True))
        shaped = [tag_rows(r[1], r[4], tagger.tag(r[2], r[3])) for r in work.rows]
        plan = plan_retag(work, shaped, taxonomy.version)
        assert plan.changed > 0
        second.begin_retag()
        before = first.conn.execute(rollups).fetchall()
        with pytest.raises(StoreError, match="another retag started"):
            first.write_retag(plan, mine)
        assert first.conn.execute(rollups).fetchall() == before
        assert stale_tags(first, taxonomy.version) == first.headline_count()
        # The run that took over finishes the job, and the rollups equal a rebuild.
        assert retag(second, taxonomy=taxonomy).checked == second.headline_count()
        incremental = second.conn.execute(rollups).fetchall()
        second.rebuild_rollups()
        assert second.conn.execute(rollups).fetchall() == incremental
