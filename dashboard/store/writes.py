"""The SQLite store: opening a file, feed rows, headline writes, retag writes, purge.

All of Chipwatch's SQL lives in this package. Values always travel as bound parameters.
The connection runs in autocommit mode and every write happens inside an explicit
``BEGIN IMMEDIATE`` transaction (``Store.transaction``), so one feed is stored whole or
not at all, whatever kills the process.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import sqlite_utils

from dashboard.errors import StoreError
from dashboard.models import Correction, Headline, RetagBatch, RetagPlan
from dashboard.store import feedback, stories
from dashboard.store.schema import (
    BUSY_TIMEOUT_MS,
    MIGRATIONS,
    MMAP_BYTES,
    ROLLUP_SQL,
    SCHEMA_VERSION,
    WAL_CHECKPOINT_PAGES,
    WRITE_CACHE_KIB,
    add_rollup_cells,
    iso,
    utcnow,
)
from dashboard.store.shape import TagRows, tag_rows
from dashboard.store.sql import stored_tags

if TYPE_CHECKING:
    from dashboard.tagging.tagger import Tags


# SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN: the file (or its folder) is not ours to write.
_CANNOT_WRITE = (3, 8, 14)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


@dataclass(frozen=True, slots=True)
class WriteResult:
    new: int
    duplicates: int


class Store:
    """One Chipwatch database file. Opening it creates or upgrades the schema."""

    def __init__(self, path: str | Path, *, readonly: bool = False):
        """readonly=True never writes through this connection, but an older file is still
        upgraded first (through a short-lived writer), or refused when it cannot be: every
        open either sees the current schema or raises StoreError with one line."""
        self.path = Path(path)
        try:
            if readonly:
                self._open_readonly()
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._connect(str(self.path), uri=False)
                self._tune_writer()
                self._migrate()
                if self.get_meta("rollups_dirty") == "1":
                    self.rebuild_rollups()
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise StoreError(
                f"{self.path}: not a usable Chipwatch database ({_one_line(exc)})"
            ) from exc
        except BaseException:
            self._close_quietly()
            raise

    def _connect(self, target: str, *, uri: bool = True) -> None:
        conn = sqlite3.connect(
            target,
            uri=uri,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        self.conn = conn
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Index probes by headline id land all over a large file: reading the pages
        # through a memory map instead of a read() each makes them about a third cheaper.
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        self.db = sqlite_utils.Database(conn)

    def _tune_writer(self) -> None:
        conn = self.conn
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # Writes touch index pages all over a large file (retag, bulk loads): a
        # bigger page cache than SQLite's 2 MB default keeps them from re-reading.
        conn.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
        # Each checkpoint ends in an fsync; at SQLite's default (every 1,000 pages,
        # 4 MB of log) they were a quarter of an ingest's store time.
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")

    def _open_readonly(self) -> None:
        if not self.path.is_file():
            raise StoreError(
                f"{self.path}: no such database; create it with `chipwatch --db {self.path}"
                " ingest` (or `demo --bundled`)"
            )
        self._connect(f"file:{quote(str(self.path))}?mode=ro")
        current = self.schema_version
        self._refuse_newer(current)
        if current == SCHEMA_VERSION:
            return
        # An older file: upgrade it through a writer (which waits for, or skips, another
        # process's upgrade), then read it as usual. Reading an old file with today's
        # queries would fail halfway with "no such column".
        self.conn.close()
        try:
            Store(self.path).close()
        except StoreError as exc:
            code = getattr(exc.__cause__, "sqlite_errorcode", 0) & 0xFF
            if code not in _CANNOT_WRITE:
                raise
            raise StoreError(
                f"{self.path}: schema version {current} is older than this Chipwatch"
                f" ({SCHEMA_VERSION}) and cannot be upgraded here ({_one_line(exc.__cause__)});"
                f" run `chipwatch --db {self.path} feeds list` as a user who may write it"
            ) from exc
        self._connect(f"file:{quote(str(self.path))}?mode=ro")
        self._refuse_newer(self.schema_version)

    def _refuse_newer(self, current: int) -> None:
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {current} is newer than this Chipwatch "
                f"({SCHEMA_VERSION}); upgrade Chipwatch to open it"
            )

    def _close_quietly(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions and meta ---------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; rolled back on any exception. Nests as one."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            stories.forget_cache()  # ids it cached may be given again
            raise
        self.conn.execute("COMMIT")

    def get_meta(self, key: str) -> str | None:
        if not self.db["meta"].exists():
            return None
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _migrate(self) -> None:
        with self.transaction():
            self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            current = int(self.get_meta("schema_version") or 0)
            self._refuse_newer(current)
            for version in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version - 1](self.db)
                self._set_meta("schema_version", str(version))

    @property
    def schema_version(self) -> int:
        return int(self.get_meta("schema_version") or 0)

    # -- feeds ---------------------------------------------------------------------------
    def ensure_feed(self, url: str, title: str | None = None, *, demo: bool = False) -> int:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO feeds (url, title, added_at, is_demo) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET title = coalesce(feeds.title, excluded.title)",
                (url, title, utcnow(), int(demo)),
            )
            return self.conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()[0]

    def feed(self, url: str) -> dict | None:
        cur = self.conn.execute("SELECT * FROM feeds WHERE url = ?", (url,))
        row = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], row, strict=True)) if row else None

    def remove_feed(self, url: str) -> bool:
        with self.transaction():
            return self.conn.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount > 0

    def feeds(self) -> list[dict]:
        """The health table: one row a feed with its headline count."""
        cur = self.conn.execute(
            """SELECT f.*, (SELECT count(*) FROM headlines h WHERE h.feed_id = f.id) AS headlines
               FROM feeds f ORDER BY f.is_demo, lower(coalesce(f.title, f.url))"""
        )
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def record_success(
        self,
        feed_id: int,
        *,
        status: str,
        http_status: int | None = None,
        title: str | None = None,
        site_url: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        warning: str | None = None,
        demo: bool | None = None,
        now: str | None = None,
    ) -> None:
        """status is 'ok' or 'not_modified'. Call inside the feed's transaction."""
        now = now or utcnow()
        self.conn.execute(
            """UPDATE feeds SET last_attempt_at = :now, last_ok_at = :now, last_status = :status,
                 http_status = :http_status, title = coalesce(:title, title),
                 site_url = coalesce(:site_url, site_url),
                 etag = CASE WHEN :status = 'ok' THEN :etag ELSE coalesce(:etag, etag) END,
                 last_modified = CASE WHEN :status = 'ok' THEN :last_modified
                                      ELSE coalesce(:last_modified, last_modified) END,
                 last_error = NULL, last_warning = :warning, consecutive_failures = 0,
                 next_attempt_at = NULL, is_demo = coalesce(:demo, is_demo)
               WHERE id = :id""",
            {
                "now": now,
                "status": status,
                "http_status": http_status,
                "title": title,
                "site_url": site_url,
                "etag": etag,
                "last_modified": last_modified,
                "warning": warning,
                "demo": None if demo is None else int(demo),
                "id": feed_id,
            },
        )

    def record_failure(
        self,
        feed_id: int,
        error: str,
        *,
        http_status: int | None = None,
        backoff_base: float = 900,
        backoff_cap: float = 86400,
        now: datetime | None = None,
    ) -> None:
        """Record a failed attempt; the next attempt waits base * 2^(failures-1), capped."""
        moment = now or datetime.now(UTC)
        with self.transaction():
            row = self.conn.execute(
                "SELECT consecutive_failures FROM feeds WHERE id = ?", (feed_id,)
            ).fetchone()
            failures = (row[0] if row else 0) + 1
            wait = min(backoff_cap, backoff_base * 2 ** min(failures - 1, 30))
            self.conn.execute(
                """UPDATE feeds SET last_attempt_at = ?, last_status = 'failed', http_status = ?,
                     last_error = ?, consecutive_failures = ?, next_attempt_at = ? WHERE id = ?""",
                (
                    iso(moment),
                    http_status,
                    error,
                    failures,
                    iso(moment + timedelta(seconds=wait)),
                    feed_id,
                ),
            )

    # -- headlines -----------------------------------------------------------------------
    def add_headlines(
        self,
        feed_id: int | None,
        items: Iterable[tuple[Headline, Tags | TagRows]],
        *,
        tag_version: str,
        fetched_at: str,
        demo: bool = False,
        rollups: bool = True,
        prepared: Sequence[stories.Prepared] | None = None,
    ) -> WriteResult:
        """Insert new headlines with their tags; known ids are counted as duplicates.

        Tags may come as a Tagger's Tags or already shaped by tag_rows. Call inside the
        feed's transaction (one is opened otherwise). The daily rollups are incremented for
        the new rows in the same transaction. With rollups=False (bulk loads) the caller
        rebuilds them once at the end; they are marked dirty first, so a crash in between
        cannot leave them stale. prepared: stories.prepare of the items' titles, in their
        order, when the caller has it (computed where they were tagged).
        """
        new = dup = 0
        counts: dict[tuple[str, str, str], list] = {}
        conn = self.conn
        items = list(items)
        heads: list[tuple] = []
        fresh: list[stories.NewHeadline] = []
        themes: list[tuple] = []
        companies: list[tuple] = []
        cells: list[tuple] = []  # each new headline's rollup cells, once its story is known
        with self.transaction():  # the known ids below stay true until the inserts
            if not rollups:
                self._set_meta("rollups_dirty", "1")
            known = {
                r[0]
                for r in conn.execute(
                    "SELECT id FROM headlines WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps([h.id for h, _tags in items]),),
                )
            }
            for i, (h, tags) in enumerate(items):
                if h.id in known:
                    dup += 1
                    continue
                known.add(h.id)
                new += 1
                rows = tags if isinstance(tags, TagRows) else tag_rows(h.id, h.published_at, tags)
                prep = prepared[i] if prepared is not None else None
                heads.append(
                    (
                        h.id,
                        feed_id,
                        h.source,
                        h.title,
                        h.summary,
                        h.url,
                        h.published_at,
                        int(h.published_estimated),
                        fetched_at,
                        int(demo),
                        *rows.columns,
                        tag_version,
                    )
                )
                fresh.append(
                    stories.NewHeadline(
                        h.id, h.published_at, h.source, h.title, h.url, rows.columns[0], prep
                    )
                )
                themes += rows.themes
                companies += rows.companies
                if rollups:
                    cells.append((h.id, h.published_at[:10], rows.companies, rows.themes))
            fresh = stories.with_prepared(fresh)
            # Each row is written once, with its story (found before the insert).
            given = stories.assign(conn, fresh, stored=False)
            # One statement a table for the whole feed: per-headline statements cost more in
            # call overhead than the rows cost SQLite.
            conn.executemany(
                """INSERT INTO headlines (id, feed_id, source, title, summary, url,
                     published_at, published_estimated, fetched_at, is_demo,
                     companies, themes, max_score, theme_scores, evidence_text,
                     theme_directions, direction_evidence, tag_version, story_terms,
                     story_id, story_weight)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    (*row, stories.terms_column(nh.prepared), *given[nh.id])
                    for row, nh in zip(heads, fresh, strict=True)
                ],
            )
            stories.store_vectors(conn, fresh)
            self._insert_tag_rows(themes, companies)
            for hid, day, head_companies, head_themes in cells:
                add_rollup_cells(counts, day, head_companies, head_themes, 1, given[hid][1])
            if counts:
                self._add_rollups(counts)
        return WriteResult(new, dup)

    def _insert_tag_rows(self, themes: list[tuple], companies: list[tuple]) -> None:
        if themes:
            self.conn.executemany(
                "INSERT INTO headline_themes"
                " (headline_id, theme, score, carried, published_at, direction)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                themes,
            )
        if companies:
            self.conn.executemany(
                "INSERT INTO headline_companies (headline_id, company, alias, published_at)"
                " VALUES (?, ?, ?, ?)",
                companies,
            )

    def rebuild_rollups(self) -> None:
        """Recompute every daily rollup (after bulk loads, retag and purge)."""
        with self.transaction():
            days = [
                r[0]
                for r in self.conn.execute(
                    "SELECT DISTINCT substr(published_at, 1, 10) FROM headlines"
                )
            ]
            self.conn.execute("DELETE FROM rollup_daily")
            if days:
                self.conn.execute(ROLLUP_SQL, {"days": json.dumps(days)})
            self._set_meta("rollups_dirty", "0")

    # -- stories ---------------------------------------------------------------------------
    def restory(self, *, fresh: bool = True, batch: int = 5000, progress=None) -> tuple[int, int]:
        """(Re)build the stories of stored headlines, oldest first, one transaction a batch.
        fresh=True forgets every story first; fresh=False resumes a killed run (or assigns
        headlines stored before stories existed). Returns (headlines assigned, stories)."""
        starting = fresh or self.get_meta("restory") != "pending"
        if starting:
            with self.transaction():
                stories.begin_restory(self.conn)
        # A run that starts from nothing finds every candidate among the headlines it has
        # assigned (stories.assign); a resumed one reads the key index as ingest does.
        memory: dict | None = {} if starting else None
        total = stories.pending_count(self.conn)
        done = 0
        for heads in stories.pending_batches(self.conn, batch):
            with self.transaction():
                stories.assign(self.conn, heads, memory)
                stories.mark_restory_progress(self.conn, heads)
                # Risk weighs headlines by their story: the rollups follow at the end.
                self._set_meta("rollups_dirty", "1")
            done += len(heads)
            if progress:
                progress(done, total)
        with self.transaction():
            stories.finish_restory(self.conn)
        if self.get_meta("rollups_dirty") == "1":
            self.rebuild_rollups()
        return done, self.conn.execute("SELECT count(*) FROM stories").fetchone()[0]

    def headline_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM headlines").fetchone()[0]

    # -- retag and purge -------------------------------------------------------------------
    _RETAG_COLUMNS = (
        "rowid, id, title, summary, published_at, companies, themes, max_score,"
        " theme_scores, evidence_text, theme_directions, direction_evidence, story_weight"
    )

    def retag_batches(
        self, version: str, *, batch: int = 5000, everything: bool = False
    ) -> Iterator[RetagBatch]:
        """Stored headlines to re-score, in rowid order, with their stored tag rows.

        Only those tagged by another taxonomy version, or every one with everything=True.
        """
        last_rowid = 0
        corrected = feedback.any_feedback(self.conn)
        while True:
            rows = self.conn.execute(
                f"SELECT {self._RETAG_COLUMNS} FROM headlines"  # noqa: S608 (a constant)
                " WHERE rowid > :last AND (:all OR tag_version IS NOT :version)"
                " ORDER BY rowid LIMIT :batch",
                {"last": last_rowid, "all": int(everything), "version": version, "batch": batch},
            ).fetchall()
            if not rows:
                return
            yield self._retag_batch(rows, corrected)
            last_rowid = rows[-1][0]

    def _retag_batch(self, rows: list[tuple], corrected: bool = True) -> RetagBatch:
        ids = [r[1] for r in rows]
        # The theme rows follow from the row's own columns (see plan_retag); the company
        # rows hold the alias that matched, which only they record.
        return RetagBatch(
            rows,
            stored_tags(self.conn, "headline_companies", "company, alias, published_at", ids),
            feedback.corrections_for(self.conn, ids) if corrected else {},
        )

    def tag_batch(self, ids: list[str]) -> RetagBatch:
        """These headlines as a retag batch (to re-apply their corrections)."""
        rows = self.conn.execute(
            f"SELECT {self._RETAG_COLUMNS} FROM headlines"  # noqa: S608 (a constant)
            " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY rowid",
            (json.dumps(ids),),
        ).fetchall()
        return self._retag_batch(rows)

    # -- analysts' corrections (store/feedback.py) ------------------------------------------
    def give_feedback(
        self,
        correction: Correction,
        *,
        headline: str | None = None,
        story: int | None = None,
        comment: str = "",
    ) -> tuple[int | None, list[str]]:
        """Record an act on a headline or on every headline of a story (call inside the
        transaction that re-applies it): (its id or None for a repeat, the headlines)."""
        with self.transaction():
            ids = feedback.targets(self.conn, headline=headline, story=story)
            fid = feedback.record(
                self.conn, correction, ids, story=story, comment=comment, at=utcnow()
            )
        return fid, ids

    def retract_feedback(self, fid: int, *, by: str) -> list[str]:
        with self.transaction():
            return feedback.retract(self.conn, fid, by=by, at=utcnow())

    def feedback_acts(self, **kw) -> list[dict]:
        return feedback.acts(self.conn, **kw)

    def corrected_headlines(self) -> list[tuple]:
        return feedback.corrected_headlines(self.conn)

    def standing_corrections(self, ids: list[str]) -> dict[str, list[Correction]]:
        return feedback.corrections_for(self.conn, ids)

    def correction_notes(self, ids: list[str]) -> dict[str, str]:
        return feedback.correction_notes(self.conn, ids)

    def begin_retag(self) -> str:
        """Claim retagging for this run; returns the token write_retag checks. A retag
        started later takes the claim over, and this one's next write stops with an error:
        two runs must not both apply their differences to the same rows. A killed run's
        claim is simply taken over by the next."""
        token = uuid.uuid4().hex
        with self.transaction():
            self._set_meta("retag_token", token)
        return token

    def write_retag(self, plan: RetagPlan, token: str) -> None:
        """Apply one batch's plan_retag result in one transaction: the tag rows that changed,
        the headline rows whose tag columns changed, the new version on every row of the
        batch, and the rollups moved by the difference. A kill loses at most this batch; a
        re-run resumes with the rows still stale."""
        with self.transaction():
            if self.get_meta("retag_token") != token:
                raise StoreError(
                    "another retag started while this one ran and carries on with the job"
                )
            self.write_tags(plan)

    def write_tags(self, plan: RetagPlan) -> None:
        """Apply a plan_retag result (in the caller's transaction, or one of its own)."""
        conn = self.conn
        with self.transaction():
            conn.executemany(
                "DELETE FROM headline_themes WHERE headline_id = ? AND theme = ?",
                plan.deletes["headline_themes"],
            )
            conn.executemany(
                "DELETE FROM headline_companies WHERE headline_id = ? AND company = ?",
                plan.deletes["headline_companies"],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO headline_themes"
                " (headline_id, theme, score, carried, published_at, direction)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                plan.upserts["headline_themes"],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO headline_companies"
                " (headline_id, company, alias, published_at) VALUES (?, ?, ?, ?)",
                plan.upserts["headline_companies"],
            )
            conn.executemany(
                "UPDATE headlines SET companies = ?, themes = ?, max_score = ?,"
                " theme_scores = ?, evidence_text = ?, theme_directions = ?,"
                " direction_evidence = ?, tag_version = ? WHERE rowid = ?",
                plan.heads,
            )
            conn.executemany(
                "UPDATE headlines SET tag_version = ? WHERE rowid = ? AND tag_version IS NOT ?",
                [(plan.version, rowid, plan.version) for rowid in plan.versioned],
            )
            self._add_rollups(plan.counts)

    def _add_rollups(self, counts: dict[tuple[str, str, str], list]) -> None:
        """Add in-memory increments (negative ones too) to the daily rollups; cells that
        fall to zero headlines are removed, so the table equals a rebuild."""
        self.conn.executemany(
            """INSERT INTO rollup_daily (day, company, theme, n, score_sum)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (company, theme, day) DO UPDATE SET
                 n = n + excluded.n, score_sum = score_sum + excluded.score_sum""",
            [
                (day, company, theme, n, total)
                for (day, company, theme), (n, total) in counts.items()
                if n or total
            ],
        )
        self.conn.executemany(
            "DELETE FROM rollup_daily WHERE company = ? AND theme = ? AND day = ? AND n = 0",
            [(company, theme, day) for (day, company, theme), (n, _) in counts.items() if n < 0],
        )

    def finish_retag(self, version: str) -> None:
        with self.transaction():
            self._set_meta("taxonomy_version", version)
        if self.get_meta("rollups_dirty") == "1":
            self.rebuild_rollups()

    def purge_demo(self) -> int:
        """Remove demo headlines, their tags and demo feeds. Returns headlines removed."""
        with self.transaction():
            self.conn.execute(
                "DELETE FROM headline_themes"
                " WHERE headline_id IN (SELECT id FROM headlines WHERE is_demo = 1)"
            )
            self.conn.execute(
                "DELETE FROM headline_companies"
                " WHERE headline_id IN (SELECT id FROM headlines WHERE is_demo = 1)"
            )
            self.conn.execute(
                "DELETE FROM story_keys"
                " WHERE headline_id IN (SELECT id FROM headlines WHERE is_demo = 1)"
            )
            removed = self.conn.execute("DELETE FROM headlines WHERE is_demo = 1").rowcount
            self.conn.execute(
                "DELETE FROM stories WHERE NOT EXISTS"
                " (SELECT 1 FROM headlines h WHERE h.story_id = stories.id)"
            )
            self.conn.execute(
                "DELETE FROM feeds WHERE is_demo = 1"
                " AND NOT EXISTS (SELECT 1 FROM headlines h WHERE h.feed_id = feeds.id)"
            )
        self.rebuild_rollups()
        return removed

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def open_store(path: str | Path | None = None, *, readonly: bool = False) -> Store:
    from dashboard.config import db_path

    return Store(db_path(path), readonly=readonly)
