"""The SQL of analysts' corrections (tables `feedback` and `feedback_headlines`, schema 9).

An act is one row (kind, key, value, who, when, an optional comment and story); the
headlines it covers are listed beside it. Acts are never deleted: retracting one stamps it.
"""

# ruff: noqa: S608  (fragments are fixed SQL written here; values are bound parameters)

from __future__ import annotations

import json
import sqlite3

from dashboard.errors import FeedbackError
from dashboard.models import Correction

COMMENT_MAX = 500  # characters kept of a comment; longer ones are cut, never refused


def targets(conn: sqlite3.Connection, *, headline: str | None, story: int | None) -> list[str]:
    """The headlines an act covers: the headline (by id or link), or every headline of the
    story now."""
    if (headline is None) == (story is None):
        raise FeedbackError("a correction names one headline or one story")
    if headline is not None:
        # By id, or by its link (every headline stored under that link).
        ids = [r[0] for r in conn.execute("SELECT id FROM headlines WHERE id = ?", (headline,))]
        ids = ids or [
            r[0] for r in conn.execute("SELECT id FROM headlines WHERE url = ?", (headline,))
        ]
        if not ids:
            raise FeedbackError(f"no headline {headline!r} (removed, or never stored)")
        return ids
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM headlines WHERE story_id = ? ORDER BY published_at, id", (story,)
        )
    ]
    if not ids:
        raise FeedbackError(f"no story {story} (removed, or rebuilt by restory)")
    return ids


def _latest(conn: sqlite3.Connection, hid: str, kind: str, key: str) -> tuple | None:
    return conn.execute(
        "SELECT f.value, f.author FROM feedback_headlines fh JOIN feedback f"
        " ON f.id = fh.feedback_id WHERE fh.headline_id = ? AND f.kind = ? AND f.key = ?"
        " AND f.retracted_at IS NULL ORDER BY f.id DESC LIMIT 1",
        (hid, kind, key),
    ).fetchone()


def record(
    conn: sqlite3.Connection,
    c: Correction,
    ids: list[str],
    *,
    story: int | None,
    comment: str,
    at: str,
) -> int | None:
    """Store one act; None when it repeats, for every headline, the same author's latest
    word on the same thing (a double click)."""
    if all(_latest(conn, hid, c.kind, c.key) == (c.value, c.author) for hid in ids):
        return None
    fid = conn.execute(
        "INSERT INTO feedback (kind, key, value, story_id, comment, author, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (c.kind, c.key, c.value, story, (comment or "")[:COMMENT_MAX], c.author, at),
    ).lastrowid
    conn.executemany(
        "INSERT OR IGNORE INTO feedback_headlines (feedback_id, headline_id) VALUES (?, ?)",
        [(fid, hid) for hid in ids],
    )
    return fid


def retract(conn: sqlite3.Connection, fid: int, *, by: str, at: str) -> list[str]:
    """Stamp an act retracted; the headlines it covered (to re-tag). Retracting twice is
    refused, as is an act that does not exist."""
    row = conn.execute("SELECT retracted_at FROM feedback WHERE id = ?", (fid,)).fetchone()
    if row is None:
        raise FeedbackError(f"no correction #{fid}")
    if row[0] is not None:
        raise FeedbackError(f"correction #{fid} was already retracted on {row[0][:10]}")
    conn.execute(
        "UPDATE feedback SET retracted_at = ?, retracted_by = ? WHERE id = ?", (at, by, fid)
    )
    return [
        r[0]
        for r in conn.execute(
            "SELECT headline_id FROM feedback_headlines WHERE feedback_id = ?", (fid,)
        )
    ]


def any_feedback(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM feedback_headlines LIMIT 1").fetchone() is not None


def corrections_for(conn: sqlite3.Connection, ids: list[str]) -> dict[str, list[Correction]]:
    """The standing corrections of these headlines, oldest first (the order they apply in)."""
    found: dict[str, list[Correction]] = {}
    for hid, kind, key, value, author in conn.execute(
        "SELECT fh.headline_id, f.kind, f.key, f.value, f.author"
        " FROM json_each(?) j JOIN feedback_headlines fh ON fh.headline_id = j.value"
        " JOIN feedback f ON f.id = fh.feedback_id WHERE f.retracted_at IS NULL"
        " ORDER BY fh.headline_id, f.id",
        (json.dumps(ids),),
    ):
        found.setdefault(hid, []).append(Correction(kind, key, value, author))
    return found


def acts(
    conn: sqlite3.Connection,
    *,
    headline: str | None = None,
    story: int | None = None,
    limit: int = 200,
    retracted: bool = True,
) -> list[dict]:
    """Acts newest first, with the number of headlines each covers and the first one's
    title; only those covering a headline, or given on a story, when asked."""
    where, params = ["1"], {"limit": limit}
    if headline is not None:
        where.append("f.id IN (SELECT feedback_id FROM feedback_headlines WHERE headline_id = :h)")
        params["h"] = headline
    if story is not None:
        where.append(
            "f.id IN (SELECT fh.feedback_id FROM feedback_headlines fh JOIN headlines h"
            " ON h.id = fh.headline_id WHERE h.story_id = :s)"
        )
        params["s"] = story
    if not retracted:
        where.append("f.retracted_at IS NULL")
    rows = conn.execute(
        "SELECT f.id, f.kind, f.key, f.value, f.story_id, f.comment, f.author, f.created_at,"
        " f.retracted_at, f.retracted_by,"
        " (SELECT count(*) FROM feedback_headlines fh WHERE fh.feedback_id = f.id),"
        " (SELECT h.title FROM feedback_headlines fh JOIN headlines h"
        "   ON h.id = fh.headline_id WHERE fh.feedback_id = f.id LIMIT 1)"
        f" FROM feedback f WHERE {' AND '.join(where)} ORDER BY f.id DESC LIMIT :limit",
        params,
    ).fetchall()
    keys = ["id", "kind", "key", "value", "story_id", "comment", "author", "created_at"]
    keys += ["retracted_at", "retracted_by", "headlines", "title"]
    return [dict(zip(keys, r, strict=True)) for r in rows]


def corrected_headlines(conn: sqlite3.Connection) -> list[tuple]:
    """(id, title, summary, url, published_at) of every headline with a standing correction,
    oldest first: the analysts' labelled rows."""
    return conn.execute(
        "SELECT h.id, h.title, h.summary, h.url, h.published_at FROM headlines h"
        " WHERE h.id IN (SELECT fh.headline_id FROM feedback_headlines fh JOIN feedback f"
        "  ON f.id = fh.feedback_id WHERE f.retracted_at IS NULL)"
        " ORDER BY h.published_at, h.id"
    ).fetchall()


# A headline's standing corrections packed in one cell, oldest first: fields (kind, key, value,
# author, day) joined by U+001F, corrections by U+001E; tagging.corrections.unpack_notes reads it.
# It names the headline as h.id (the extract's query and correction_notes below).
_ITEM_SQL = (
    "f.kind || char(31) || f.key || char(31) || f.value || char(31) || f.author"
    " || char(31) || substr(f.created_at, 1, 10)"
)
PACKED_SQL = (
    f"(SELECT group_concat(p, char(30)) FROM (SELECT {_ITEM_SQL} AS p"
    " FROM feedback_headlines fh JOIN feedback f ON f.id = fh.feedback_id"
    " WHERE fh.headline_id = h.id AND f.retracted_at IS NULL ORDER BY f.id))"
)


def story_corrections(conn: sqlite3.Connection) -> dict[int, str]:
    """Each story's standing corrections, packed as PACKED_SQL packs a headline's: every act
    on any of its headlines once (an act on the whole story covers them all), oldest first.
    Only stories with a correction are listed; analysts' corrections are few."""
    return dict(
        conn.execute(
            "SELECT story_id, group_concat(p, char(30)) FROM ("
            f" SELECT DISTINCT h.story_id, f.id, {_ITEM_SQL} AS p"
            " FROM feedback f JOIN feedback_headlines fh ON fh.feedback_id = f.id"
            " JOIN headlines h ON h.id = fh.headline_id"
            " WHERE f.retracted_at IS NULL AND h.story_id IS NOT NULL ORDER BY h.story_id, f.id)"
            " GROUP BY story_id"
        ).fetchall()
    )


def correction_notes(conn: sqlite3.Connection, ids: list[str]) -> dict[str, str]:
    """Each corrected headline's standing corrections as one readable cell (see
    tagging.corrections.notes_text)."""
    from dashboard.tagging.corrections import notes_text

    rows = conn.execute(
        f"SELECT h.id, {PACKED_SQL} FROM json_each(?) j JOIN headlines h ON h.id = j.value",
        (json.dumps(ids),),
    )
    return {hid: notes_text(packed) for hid, packed in rows if packed}
