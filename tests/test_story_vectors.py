"""Each headline's title embedding is stored beside it (schema 11, story_vecs), so a candidate read back from
the table is not embedded again; headlines stored before have none and still match."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.models import Headline
from dashboard.store import Store
from dashboard.store import stories as st
from dashboard.stories import cluster


@pytest.fixture(scope="module")
def tagger():
    from dashboard.tagging.tagger import Tagger
    from dashboard.tagging.taxonomy import load_taxonomy

    return Tagger(load_taxonomy())


FIRST = Headline(
    "a1", "A", "Netherlands seizes control of chipmaker Nexperia", "", None, "2025-10-12T20:00:00Z"
)
OTHER = Headline(
    "a2", "A", "EU probe finds Nvidia antitrust breach", "", None, "2025-10-13T09:00:00Z"
)
LATER = Headline(
    "b1",
    "B",
    "Dutch government seizes control of Nexperia chipmaker",
    "",
    None,
    "2025-10-13T07:00:00Z",
)


def _add(store, tagger, heads):
    store.add_headlines(
        None, [(h, tagger.tag(h.title)) for h in heads], tag_version="t", fetched_at="x"
    )


def _as_a_new_process():
    """What a new `chipwatch ingest` process knows: nothing cached."""
    st.forget_cache()
    with cluster._cache_lock:
        cluster._cache.clear()


@pytest.fixture
def embedded(monkeypatch):
    """The titles embedded from here on."""
    seen: list[str] = []
    real = cluster.vectors

    def counting(titles):
        seen.extend(titles)
        return real(titles)

    monkeypatch.setattr(cluster, "vectors", counting)
    return seen


def test_pack_keeps_the_direction_in_260_bytes():
    rng = np.random.default_rng(3)
    vec = rng.normal(size=256).astype(np.float32)
    vec /= np.linalg.norm(vec)
    blob = st.pack(vec)
    back = st.unpack(blob)
    assert len(blob) == 260
    assert float(back @ vec) > 0.999 and abs(float(np.linalg.norm(back)) - 1) < 1e-6
    assert not st.unpack(st.pack(np.zeros(256, dtype=np.float32))).any()  # no evidence stays none
    # what a new headline is matched with is what is stored, not the unrounded embedding
    (prep,) = st.prepare([FIRST.title], [""])
    assert np.array_equal(prep.vec, st.unpack(prep.blob))


def test_a_stored_candidate_is_read_not_embedded_again(tmp_path, tagger, embedded):
    with Store(tmp_path / "s.db") as store:
        _add(store, tagger, [FIRST, OTHER])
        assert store.conn.execute(
            "SELECT count(*) FROM headlines h JOIN story_vecs v ON v.rowid = h.rowid"
            " WHERE length(v.vec) = 260"
        ).fetchone() == (2,)
        _as_a_new_process()
        embedded.clear()
        _add(store, tagger, [LATER])
        s = dict(store.conn.execute("SELECT id, story_id FROM headlines"))
    assert s["b1"] == s["a1"] != s["a2"]
    assert embedded == [LATER.title]  # the candidate's embedding came from its row


def test_headlines_stored_before_embeddings_still_match_and_restory_stores_theirs(
    tmp_path, tagger, embedded
):
    with Store(tmp_path / "s.db") as store:
        _add(store, tagger, [FIRST, OTHER])
        store.conn.execute("DELETE FROM story_vecs")  # as schema 10 left them
        _as_a_new_process()
        embedded.clear()
        _add(store, tagger, [LATER])
        s = dict(store.conn.execute("SELECT id, story_id FROM headlines"))
        assert s["b1"] == s["a1"] != s["a2"]
        assert FIRST.title in embedded  # no stored embedding: embedded when read
        store.conn.execute("DELETE FROM story_vecs")
        store.restory()
        assert store.conn.execute(
            "SELECT count(*) FROM headlines WHERE rowid NOT IN (SELECT rowid FROM story_vecs)"
        ).fetchone() == (0,)
        again = dict(store.conn.execute("SELECT id, story_id FROM headlines"))
        assert again["b1"] == again["a1"] != again["a2"]
        # and a restory of headlines that have theirs embeds nothing
        embedded.clear()
        store.restory()
    assert embedded == []


def test_a_deleted_headline_takes_its_embedding_with_it(tmp_path, tagger):
    with Store(tmp_path / "s.db") as store:
        _add(store, tagger, [FIRST, OTHER])
        store.conn.execute("DELETE FROM headlines WHERE id = 'a1'")
        left = store.conn.execute("SELECT rowid FROM story_vecs").fetchall()
        assert left == store.conn.execute("SELECT rowid FROM headlines").fetchall()
