"""Stories in the store: giving each new headline its story, rebuilding them, reading them.

The matching rule lives in dashboard/stories/cluster.py; this module only finds the
candidates (through the story_keys index, inside the time window) and their stories' spans
and leads, and writes the result, in the transaction of the headlines it assigns.
"""

from __future__ import annotations

import json
import math
import struct
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from dashboard.store.schema import moment
from dashboard.stories import cluster

# Each key reads at most PER_KEY index rows (the newest days first; this batch's own
# headlines of the key count first), so a word that ten thousand flood titles share costs a
# bounded look-up, not a scan of the flood.
PER_KEY = 40
_PER_KEY_SQL = (
    "SELECT * FROM (SELECT headline_id, story_id, at FROM story_keys"
    " WHERE key = :k{i} AND day BETWEEN :lo AND :hi ORDER BY day DESC LIMIT :n{i})"
)


def _candidates_sql(n: int) -> str:
    """Candidates sharing the most of n keys (bound as :k0 ...) inside the window, from the
    key index alone: (headline id, story id, epoch seconds, keys shared)."""
    union = " UNION ALL ".join(_PER_KEY_SQL.format(i=i) for i in range(n))
    # Only fixed fragments and counts go into the text; keys and times are bound.
    return (
        "SELECT headline_id, story_id, at, count(*)"  # noqa: S608
        f" FROM ({union}) WHERE at BETWEEN :start AND :stop"
        " GROUP BY headline_id ORDER BY count(*) DESC, headline_id"
        f" LIMIT {cluster.MAX_CANDIDATES}"
    )


_CANDIDATES_SQL = {n: _candidates_sql(n) for n in range(1, cluster.MAX_KEYS + 2)}


# Candidates already read, by headline and story id: a headline is a candidate of every later
# one in its window, and what the matcher reads of it (terms, companies, link, title
# embedding) does not change once it has a story. Kept for one connection at a time, so two
# databases with the same headline ids never share an entry.
_ITEMS: OrderedDict[tuple[str, int], cluster.Item] = OrderedDict()
_OWNER: list = [None]  # the connection the cached items were read from
# A steady watch needs the window's few thousand; a first ingest of many feeds that each go
# back months asks, feed after feed, for every headline of those months (200 feeds of 250:
# 50,000, about 1.4 KB each with its embedding, 70 MB). Fewer than that and each feed reads
# back the ones the feeds before it evicted: 11 rows a headline, half the cost of matching.
ITEM_CACHE = 60_000


# Each story's span (its first and last headlines' times, epoch seconds), for the matcher's
# span rule, and its lead headline's id, for the lead rule; kept for the same connection as
# _ITEMS.
_SPANS: dict[int, list[int]] = {}
_LEADS: dict[int, str] = {}


def forget_cache() -> None:
    """Drop what the matcher cached: after a rolled-back write its story ids may be given
    again to other stories."""
    _ITEMS.clear()
    _SPANS.clear()
    _LEADS.clear()
    _OWNER[0] = None


def _own_cache(conn) -> None:
    if _OWNER[0] is not conn:
        forget_cache()
        _OWNER[0] = conn
    if len(_SPANS) > ITEM_CACHE * 4:
        _SPANS.clear()
        _LEADS.clear()


def _spans(conn, items: list[cluster.Item]) -> dict[int, list[int]]:
    """The candidates' stories' spans (and leads), read for those not known yet."""
    missing = list({i.story for i in items if i.story not in _SPANS or i.story not in _LEADS})
    if missing:
        for sid, first, last, lead in conn.execute(
            "SELECT id, CAST(strftime('%s', first_seen) AS INTEGER),"
            " CAST(strftime('%s', last_seen) AS INTEGER), lead_id FROM stories"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(missing),),
        ):
            _SPANS[sid] = [first, last]
            _LEADS[sid] = lead
    return _SPANS


def _lead_of(conn):
    """A story's lead headline (known after `_spans`), cached like candidates and read only
    when not: the matcher asks for one story a headline at most. A lead is its story's
    earliest headline, so its time is the story's first."""

    def lead(story: int) -> cluster.Item | None:
        hid, span = _LEADS.get(story), _SPANS.get(story)
        if hid is None or span is None:
            return None
        found = _candidate_items(conn, [(hid, story, span[0])])
        return found[0] if found else None

    return lead


def _remember(hid: str, item: cluster.Item) -> None:
    _ITEMS[(hid, item.story)] = item
    while len(_ITEMS) > ITEM_CACHE:
        _ITEMS.popitem(last=False)  # the oldest first: restory and ingest walk forward in time


def _candidate_items(conn, rows: list[tuple]) -> list[cluster.Item]:
    """The matcher's items for candidates (headline id, story id, at, ...); headline rows
    are read only for those not cached."""
    missing = [r[0] for r in rows if (r[0], r[1]) not in _ITEMS]
    if missing:
        found = conn.execute(
            "SELECT h.id, h.companies, h.story_terms, h.url, h.title, v.vec"
            " FROM json_each(?) j JOIN headlines h ON h.id = j.value"
            " LEFT JOIN story_vecs v ON v.rowid = h.rowid",
            (json.dumps(missing),),
        ).fetchall()
        # Headlines stored before embeddings were (schema 11) are embedded here, rounded as
        # a stored one is.
        old = [r[4] for r in found if r[5] is None]
        embedded = (unpack(pack(v)) for v in (cluster.vectors(old) if old else ()))
        vecs = [unpack(r[5]) if r[5] is not None else next(embedded) for r in found]
        stories = {r[0]: (r[1], r[2]) for r in rows}
        for (hid, names, words, url, _title, _blob), vec in zip(found, vecs, strict=True):
            sid, at = stories[hid]
            _remember(
                hid,
                cluster.Item(
                    sid, frozenset(words.split()), cluster.split_companies(names), url, at, vec
                ),
            )
    return [item for r in rows if (item := _ITEMS.get((r[0], r[1]))) is not None]


def _prune(pending: dict, keys: list[str], lo: int) -> None:
    """Drop a key's pending entries from before the window: they are in time order and none
    is later than the headline asking, so what remains is inside the window."""
    for k in keys:
        queue = pending.get(k)
        while queue and queue[0][2] < lo:
            queue.popleft()


def _with_pending(rows: list[tuple], pending: dict, keys: list[str]) -> list[tuple]:
    """The stored candidates merged with this batch's earlier headlines (not yet in the key
    index, pruned to the window), ranked as the index ranks them: most keys shared, then
    headline id."""
    counts = Counter([e for k in keys for e in pending.get(k, ())])
    if not counts:
        return rows
    merged = [*rows, *[(*entry, n) for entry, n in counts.items()]]
    merged.sort(key=itemgetter(0))
    merged.sort(key=itemgetter(3), reverse=True)  # stable: ties stay in id order
    return merged[: cluster.MAX_CANDIDATES]


@dataclass(frozen=True, slots=True)
class NewHeadline:
    id: str
    published_at: str
    source: str
    title: str
    url: str | None
    companies: str  # ';'-joined canonical names
    prepared: Prepared | None = None  # what `prepare` gives for its title, when known
    vec_stored: bool = False  # its embedding is in story_vecs already


class Prepared(NamedTuple):
    """What the matcher reads of a new headline's title, which depends on its text alone:
    computed where it was tagged (a worker process), so the writing process only looks up
    candidates and decides."""

    terms: frozenset[str]
    vec: np.ndarray  # the title's embedding as stored (unpack(blob))
    blob: bytes  # as the story_vecs table keeps it


def prepare(titles: list[str], companies: list[str]) -> list[Prepared]:
    """The Prepared of each title naming `companies` (';'-joined), embedded in one batch."""
    out = []
    for t, c, raw in zip(titles, companies, cluster.vectors(titles), strict=True):
        blob = pack(raw)
        out.append(Prepared(_terms(t, c), unpack(blob), blob))
    return out


def with_prepared(heads: list[NewHeadline]) -> list[NewHeadline]:
    """heads, each with its Prepared (those without one prepared in one batch)."""
    todo = [h for h in heads if h.prepared is None]
    if not todo:
        return heads
    done = dict(
        zip(
            [h.id for h in todo],
            prepare([h.title for h in todo], [h.companies for h in todo]),
            strict=True,
        )
    )
    return [replace(h, prepared=done[h.id]) if h.prepared is None else h for h in heads]


# A title's embedding is stored with its headline (table story_vecs), so a candidate read
# back from the table is not embedded again (0.15 ms a title, the most of what reading a
# candidate cost): 8-bit components scaled by the largest, 260 bytes. Every path reads the
# unpacked vector, the one a fresh matcher uses too, so stored and new candidates compare
# alike (cosines move by about 0.001 against the unrounded embedding).
def pack(vec: np.ndarray) -> bytes:
    top = float(np.abs(vec).max()) if vec.size else 0.0
    scale = top / 127 if top > 0 else 1.0
    return struct.pack("<f", scale) + np.rint(vec / scale).astype(np.int8).tobytes()


def store_vectors(conn, heads: list[NewHeadline]) -> None:
    """Keep the prepared embeddings of these stored headlines (story_vecs)."""
    conn.executemany(
        "INSERT OR REPLACE INTO story_vecs (rowid, vec) SELECT rowid, ? FROM headlines WHERE id = ?",
        [(h.prepared.blob, h.id) for h in heads],
    )


def unpack(blob: bytes) -> np.ndarray:
    (scale,) = struct.unpack_from("<f", blob)
    vec = np.frombuffer(blob, dtype=np.int8, offset=4).astype(np.float32) * scale
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec


@lru_cache(maxsize=8192)
def _terms(title: str, companies: str) -> frozenset[str]:
    # Each new headline's terms are needed twice in one write (its story_terms column, then
    # assign), and copies of a title recur within a feed: the same frozenset serves them all.
    return cluster.terms(title, cluster.split_companies(companies))


def terms_column(prepared: Prepared) -> str:
    """The headlines.story_terms column of a prepared title."""
    return " ".join(sorted(prepared.terms))


def assign(
    conn, heads: Iterable[NewHeadline], window_keys: dict | None = None, *, stored: bool = True
) -> dict[str, tuple[int, float]]:
    """Give each headline its story, oldest first; returns {headline id: (story id, weight)}
    (the weight is the headline's share of its story's, outlet_weight). Call inside the
    transaction that writes them.

    stored: the headlines are in the table already, story_id still NULL (restory), and
    their rows are updated here (story_terms too: a restory after a change of the matcher's
    terms leaves every row with the terms it now reads); otherwise (ingest) the caller
    inserts them with what this returns, so a new row is written once, with its story.

    window_keys: a fresh restory's memory of the keys of every headline it assigned, kept
    between its batches (pass the same dict each time). A fresh restory walks forward in time
    and every headline before it in the window is one it assigned, so its candidates come
    from memory alone and the key index is only written."""
    window = timedelta(hours=cluster.WINDOW_HOURS)
    given: dict[str, tuple[int, float]] = {}
    key_rows: list[tuple] = []
    # The outlets each story has gained in this call, and the stories it opened: its own
    # headlines are not in the table (or not linked to their story) until the end.
    outlets: dict[int, set[str]] = {}
    opened: set[int] = set()
    # The assigned headlines by key, the newest PER_KEY a key (a flood of one title stays
    # bounded): candidates for the later ones before their keys reach the index.
    pending: dict[str, deque] = window_keys if window_keys is not None else {}
    _own_cache(conn)
    lead_of = _lead_of(conn)
    heads = with_prepared(sorted(heads, key=lambda x: (x.published_at, x.id)))
    for h in heads:
        names = cluster.split_companies(h.companies)
        words, vec, _blob = h.prepared
        keys = cluster.keys(words, h.url)
        try:
            at = moment(h.published_at)
        except ValueError:
            at = None
        stamp = int(at.timestamp()) if at is not None else None
        item = cluster.Item(None, words, names, h.url, stamp, vec)
        story = None
        if keys and at is not None:
            lo, hi = at - window, at + window
            start, stop = int(lo.timestamp()), int(hi.timestamp())
            _prune(pending, keys, start)
            rows = (
                []
                if window_keys is not None
                else conn.execute(
                    _CANDIDATES_SQL[len(keys)],
                    {
                        **{f"k{i}": k for i, k in enumerate(keys)},
                        **{f"n{i}": PER_KEY - len(pending.get(k, ())) for i, k in enumerate(keys)},
                        "lo": lo.date().isoformat(),
                        "hi": hi.date().isoformat(),
                        "start": start,
                        "stop": stop,
                    },
                ).fetchall()
            )
            rows = _with_pending(rows, pending, keys)
            items = _candidate_items(conn, rows)
            story = cluster.choose(item, items, spans=_spans(conn, items), lead_of=lead_of)
        if story is None:
            story = conn.execute(
                "INSERT INTO stories (lead_id, title, first_seen, last_seen) VALUES (?, ?, ?, ?)",
                (h.id, h.title, h.published_at, h.published_at),
            ).lastrowid
            weight = outlet_weight(1)
            opened.add(story)
            outlets[story] = {h.source}
            _LEADS[story] = h.id
            if stamp is not None:
                _SPANS[story] = [stamp, stamp]
        else:
            weight = _join(conn, story, h, outlets, opened)
            span = _SPANS.get(story)
            if span is not None and stamp is not None:
                if stamp < span[0]:
                    _LEADS[story] = h.id  # as _join made it the lead
                span[0], span[1] = min(span[0], stamp), max(span[1], stamp)
        given[h.id] = (story, weight)
        if stamp is not None:
            _remember(h.id, replace(item, story=story))
            key_rows += [(k, h.published_at[:10], h.id, story, stamp) for k in keys]
            for k in keys:
                pending.setdefault(k, deque(maxlen=PER_KEY)).append((h.id, story, stamp))
    if stored and given:
        prepared = {h.id: h.prepared for h in heads}
        conn.executemany(
            "UPDATE headlines SET story_id = ?, story_weight = ?, story_terms = ? WHERE id = ?",
            [
                (story, weight, terms_column(prepared[hid]), hid)
                for hid, (story, weight) in given.items()
            ],
        )
        store_vectors(conn, [h for h in heads if not h.vec_stored])
    if key_rows:
        conn.executemany(_INSERT_KEYS, key_rows)
    return given


_INSERT_KEYS = (
    "INSERT OR IGNORE INTO story_keys (key, day, headline_id, story_id, at) VALUES (?, ?, ?, ?, ?)"
)


def _join(
    conn, story: int, h: NewHeadline, outlets: dict[int, set[str]], opened: set[int]
) -> float:
    """Add h to the story's row; returns h's share of the story's weight (outlet_weight).
    outlets and opened: what this call of assign has done so far (see there)."""
    seen = outlets.setdefault(story, set())
    new_outlet = h.source not in seen and (
        story in opened
        or not conn.execute(
            "SELECT 1 FROM headlines WHERE story_id = ? AND source = ? LIMIT 1",
            (story, h.source),
        ).fetchone()
    )
    seen.add(h.source)
    # The lead is the story's earliest headline: a late outlet that dates its copy earlier
    # takes the lead, the story keeps its id.
    ((count,),) = conn.execute(
        """UPDATE stories SET headlines = headlines + 1, outlets = outlets + :new,
             lead_id = CASE WHEN :at < first_seen THEN :id ELSE lead_id END,
             title = CASE WHEN :at < first_seen THEN :title ELSE title END,
             first_seen = min(first_seen, :at), last_seen = max(last_seen, :at)
           WHERE id = :story RETURNING outlets""",
        {
            "new": int(new_outlet),
            "at": h.published_at,
            "id": h.id,
            "title": h.title,
            "story": story,
        },
    ).fetchall()
    return outlet_weight(count) if new_outlet else 0.0


# -- restory --------------------------------------------------------------------------------
def begin_restory(conn) -> None:
    """Forget every story so the headlines can be assigned again (one transaction)."""
    conn.execute(
        "UPDATE headlines SET story_id = NULL, story_weight = 1.0 WHERE story_id IS NOT NULL"
    )
    conn.execute("DELETE FROM story_keys")
    conn.execute("DELETE FROM stories")
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('restory', 'pending') "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    conn.execute("DELETE FROM meta WHERE key = 'restory_at'")


def pending_batches(conn, batch: int = 5000) -> Iterator[list[NewHeadline]]:
    """Headlines without a story in (published_at, id) order, from where the last batch
    stopped (meta restory_at), so a killed restory resumes."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'restory_at'").fetchone()
    last = json.loads(row[0]) if row else ["", ""]
    while True:
        rows = conn.execute(
            # The date index, not the story one: "story_id IS NULL" holds for every headline
            # at the start, and walking them by story id then sorting cost 0.5 s a batch at 1M.
            "SELECT id, published_at, source, title, url, companies, v.vec FROM headlines h"
            " LEFT JOIN story_vecs v ON v.rowid = h.rowid"
            " WHERE (published_at, id) > (?, ?) AND +story_id IS NULL"
            " ORDER BY published_at, id LIMIT ?",
            (*last, batch),
        ).fetchall()
        if not rows:
            return
        yield [
            NewHeadline(
                *r[:6],
                Prepared(_terms(r[3], r[5]), unpack(r[6]), r[6]) if r[6] is not None else None,
                vec_stored=r[6] is not None,
            )
            for r in rows
        ]
        last = [rows[-1][1], rows[-1][0]]


def mark_restory_progress(conn, heads: list[NewHeadline]) -> None:
    last = heads[-1]
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('restory_at', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (json.dumps([last.published_at, last.id]),),
    )


def finish_restory(conn) -> None:
    conn.execute("DELETE FROM meta WHERE key IN ('restory', 'restory_at')")


def story_ids(conn) -> dict[str, int]:
    """Every headline's story id, by headline id (what the evaluations score)."""
    return dict(conn.execute("SELECT id, story_id FROM headlines"))


def pending_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM headlines WHERE story_id IS NULL").fetchone()[0]


# -- story weights --------------------------------------------------------------------------
def outlet_weight(k: int) -> float:
    """What the k-th distinct outlet of a story adds to its weight (set by `assign` on each
    headline as it joins): the weights of a story's
    headlines sum to sqrt(outlets), so an event carried by five outlets weighs 2.24, not 5,
    and a second copy from an outlet already counted adds 0 (dashboard.risk)."""
    return math.sqrt(k) - math.sqrt(k - 1) if k >= 1 else 0.0
