"""Stories in the store: giving each new headline its story, rebuilding them, reading them.

The matching rule lives in dashboard/stories/cluster.py; this module only finds the
candidates (through the story_keys index, inside the time window) and writes the result,
in the transaction of the headlines it assigns.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from dashboard.store.schema import iso, moment
from dashboard.stories import cluster

# Each key reads at most PER_KEY index rows (the newest days first), so a word that ten
# thousand flood titles share costs a bounded look-up, not a scan of the flood.
PER_KEY = 40
_PER_KEY_SQL = (
    "SELECT * FROM (SELECT headline_id FROM story_keys WHERE key = :k{i}"  # noqa: S608
    " AND day BETWEEN :lo AND :hi ORDER BY day DESC LIMIT " + str(PER_KEY) + ")"
)


def _candidates_sql(n: int) -> str:
    """Candidates sharing the most of n keys (bound as :k0 ...) inside the window."""
    union = " UNION ALL ".join(_PER_KEY_SQL.format(i=i) for i in range(n))
    # Only fixed fragments and counts go into the text; keys and times are bound.
    return (
        "SELECT h.id, h.story_id, CAST(strftime('%s', h.published_at) AS INTEGER),"  # noqa: S608
        " h.companies, h.story_terms, h.url, h.title"
        f" FROM (SELECT headline_id, count(*) AS shared FROM ({union})"
        " GROUP BY headline_id ORDER BY shared DESC, headline_id"
        f" LIMIT {cluster.MAX_CANDIDATES}) k"
        " JOIN headlines h ON h.id = k.headline_id"
        " WHERE h.story_id IS NOT NULL AND h.published_at BETWEEN :start AND :stop"
    )


_CANDIDATES_SQL = {n: _candidates_sql(n) for n in range(1, cluster.MAX_KEYS + 2)}


# Candidates already read, by headline and story id with the title they were read with (so
# a headline id seen in another database with another title is read again): a headline is a
# candidate of every later one in its window, and its row does not change once it has a story.
_ITEMS: OrderedDict[tuple[str, int], tuple[str, cluster.Item]] = OrderedDict()
ITEM_CACHE = 20_000  # about 50 MB with their embeddings; the window needs a few thousand


def _candidate_items(rows: list[tuple]) -> list[cluster.Item]:
    out: list[cluster.Item | None] = []
    todo: list[int] = []
    for i, (hid, sid, *_rest, title) in enumerate(rows):
        hit = _ITEMS.get((hid, sid))
        if hit is None or hit[0] != title:
            todo.append(i)
            out.append(None)
        else:
            out.append(hit[1])
    if todo:
        vecs = cluster.vectors([rows[i][6] for i in todo])
        for i, vec in zip(todo, vecs, strict=True):
            hid, sid, at, names, words, url, title = rows[i]
            item = cluster.Item(
                sid, frozenset(words.split()), cluster.split_companies(names), url, at, vec
            )
            _ITEMS[(hid, sid)] = (title, item)
            out[i] = item
        while len(_ITEMS) > ITEM_CACHE:
            _ITEMS.popitem(last=False)  # the oldest read first: restory walks forward in time
    return out  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class NewHeadline:
    id: str
    published_at: str
    source: str
    title: str
    url: str | None
    companies: str  # ';'-joined canonical names


@lru_cache(maxsize=8192)
def _terms(title: str, companies: str) -> frozenset[str]:
    # Each new headline's terms are needed twice in one write (its story_terms column, then
    # assign), and copies of a title recur within a feed: the same frozenset serves them all.
    return cluster.terms(title, cluster.split_companies(companies))


def story_terms(title: str, companies: str) -> str:
    """The headlines.story_terms column of a title naming `companies` (';'-joined)."""
    return " ".join(sorted(_terms(title, companies)))


def assign(conn, heads: Iterable[NewHeadline]) -> dict[str, int]:
    """Give each stored headline (story_id still NULL) its story, oldest first; returns
    {headline id: story id}. Call inside the transaction that inserted them."""
    window = timedelta(hours=cluster.WINDOW_HOURS)
    given: dict[str, int] = {}
    key_rows: list[tuple[str, str, str]] = []
    pending: set[str] = set()  # the keys of key_rows
    heads = sorted(heads, key=lambda x: (x.published_at, x.id))
    vecs = cluster.vectors([h.title for h in heads])  # one batch for the whole feed
    for h, vec in zip(heads, vecs, strict=True):
        names = cluster.split_companies(h.companies)
        words = _terms(h.title, h.companies)
        keys = cluster.keys(words, h.url)
        try:
            at = moment(h.published_at)
        except ValueError:
            at = None
        item = cluster.Item(
            None, words, names, h.url, at.timestamp() if at is not None else None, vec
        )
        story = None
        if keys and at is not None:
            # Earlier headlines of this batch are candidates too: their keys are written
            # before a look-up that reads one of them (not before every look-up).
            if not pending.isdisjoint(keys):
                conn.executemany(
                    "INSERT OR IGNORE INTO story_keys (key, day, headline_id) VALUES (?, ?, ?)",
                    key_rows,
                )
                key_rows, pending = [], set()
            rows = conn.execute(
                _CANDIDATES_SQL[len(keys)],
                {
                    **{f"k{i}": k for i, k in enumerate(keys)},
                    "lo": (at - window).strftime("%Y-%m-%d"),
                    "hi": (at + window).strftime("%Y-%m-%d"),
                    "start": iso(at - window),
                    "stop": iso(at + window),
                },
            ).fetchall()
            story = cluster.choose(item, _candidate_items(rows))
        if story is None:
            story = conn.execute(
                "INSERT INTO stories (lead_id, title, first_seen, last_seen) VALUES (?, ?, ?, ?)",
                (h.id, h.title, h.published_at, h.published_at),
            ).lastrowid
            weight = outlet_weight(1)
        else:
            weight = _join(conn, story, h)
        conn.execute(
            "UPDATE headlines SET story_id = ?, story_weight = ? WHERE id = ?",
            (story, weight, h.id),
        )
        given[h.id] = story
        key_rows += [(k, h.published_at[:10], h.id) for k in keys]
        pending.update(keys)
    if key_rows:
        conn.executemany(
            "INSERT OR IGNORE INTO story_keys (key, day, headline_id) VALUES (?, ?, ?)", key_rows
        )
    return given


def _join(conn, story: int, h: NewHeadline) -> float:
    """Add h to the story's row; returns h's share of the story's weight (outlet_weight)."""
    new_outlet = not conn.execute(
        "SELECT 1 FROM headlines WHERE story_id = ? AND source = ? LIMIT 1", (story, h.source)
    ).fetchone()
    # The lead is the story's earliest headline: a late outlet that dates its copy earlier
    # takes the lead, the story keeps its id.
    conn.execute(
        """UPDATE stories SET headlines = headlines + 1, outlets = outlets + :new,
             lead_id = CASE WHEN :at < first_seen THEN :id ELSE lead_id END,
             title = CASE WHEN :at < first_seen THEN :title ELSE title END,
             first_seen = min(first_seen, :at), last_seen = max(last_seen, :at)
           WHERE id = :story""",
        {
            "new": int(new_outlet),
            "at": h.published_at,
            "id": h.id,
            "title": h.title,
            "story": story,
        },
    )
    if not new_outlet:
        return 0.0
    outlets = conn.execute("SELECT outlets FROM stories WHERE id = ?", (story,)).fetchone()[0]
    return outlet_weight(outlets)


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
            "SELECT id, published_at, source, title, url, companies FROM headlines"
            " WHERE (published_at, id) > (?, ?) AND story_id IS NULL"
            " ORDER BY published_at, id LIMIT ?",
            (*last, batch),
        ).fetchall()
        if not rows:
            return
        yield [NewHeadline(*r) for r in rows]
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


def pending_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM headlines WHERE story_id IS NULL").fetchone()[0]


# -- story weights --------------------------------------------------------------------------
def outlet_weight(k: int) -> float:
    """What the k-th distinct outlet of a story adds to its weight (set by `assign` on each
    headline as it joins): the weights of a story's
    headlines sum to sqrt(outlets), so an event carried by five outlets weighs 2.24, not 5,
    and a second copy from an outlet already counted adds 0 (dashboard.risk)."""
    return math.sqrt(k) - math.sqrt(k - 1) if k >= 1 else 0.0
