"""The SQLite store: schema and migrations, feed rows, headline writes, retag, purge.

All of Chipwatch's SQL lives in this package. Values always travel as bound parameters.
The connection runs in autocommit mode and every write happens inside an explicit
``BEGIN IMMEDIATE`` transaction (``Store.transaction``), so one feed is stored whole or
not at all, whatever kills the process.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import sqlite_utils

from dashboard.errors import StoreError
from dashboard.models import Headline
from dashboard.store.sql import stored_tags

if TYPE_CHECKING:
    from dashboard.tagging import Tags

SCHEMA_VERSION = 3
BUSY_TIMEOUT_MS = 30_000
# Bounded so the dashboard's resident memory stays small however large the file grows.
MMAP_BYTES = 128 * 2**20
WRITE_CACHE_KIB = 128 * 1024
WAL_CHECKPOINT_PAGES = 10_000  # about 40 MB of log between checkpoints


def utcnow() -> str:
    return iso(datetime.now(UTC))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class WriteResult:
    new: int
    duplicates: int


# Each migration brings the schema from version N-1 to N; they run in order, once.
def _migrate_1(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS feeds (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            title TEXT,
            site_url TEXT,
            added_at TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            last_attempt_at TEXT,
            last_ok_at TEXT,
            last_status TEXT,
            http_status INTEGER,
            last_error TEXT,
            last_warning TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            is_demo INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS headlines (
            id TEXT PRIMARY KEY,
            feed_id INTEGER REFERENCES feeds(id),
            source TEXT NOT NULL,
            title TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            url TEXT,
            published_at TEXT NOT NULL,
            published_estimated INTEGER NOT NULL DEFAULT 0,
            fetched_at TEXT NOT NULL,
            is_demo INTEGER NOT NULL DEFAULT 0,
            companies TEXT NOT NULL DEFAULT '',
            themes TEXT NOT NULL DEFAULT '',
            max_score REAL NOT NULL DEFAULT 0,
            tag_version TEXT
        )"""
    )
    # published_at is repeated on the tag rows so that "theme/company within a date window"
    # is answered from one covering index without touching the headlines table.
    db.execute(
        """CREATE TABLE IF NOT EXISTS headline_themes (
            headline_id TEXT NOT NULL REFERENCES headlines(id),
            theme TEXT NOT NULL,
            score REAL NOT NULL,
            carried INTEGER NOT NULL,
            evidence TEXT NOT NULL DEFAULT '[]',
            published_at TEXT NOT NULL,
            PRIMARY KEY (headline_id, theme)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS headline_companies (
            headline_id TEXT NOT NULL REFERENCES headlines(id),
            company TEXT NOT NULL,
            alias TEXT NOT NULL,
            published_at TEXT NOT NULL,
            PRIMARY KEY (headline_id, company)
        ) WITHOUT ROWID"""
    )
    # Daily rollups keep the dashboard's aggregates cheap at millions of rows. company '' and
    # theme '' mean "all"; rows are rebuilt for the days a write touches (same transaction).
    db.execute(
        """CREATE TABLE IF NOT EXISTS rollup_daily (
            day TEXT NOT NULL,
            company TEXT NOT NULL,
            theme TEXT NOT NULL,
            n INTEGER NOT NULL,
            score_sum REAL NOT NULL,
            PRIMARY KEY (company, theme, day)
        ) WITHOUT ROWID"""
    )
    for table, cols in [
        ("headlines", ["published_at"]),
        ("headlines", ["source", "published_at"]),
        ("headlines", ["feed_id"]),
        ("headlines", ["tag_version"]),
        ("headlines", ["is_demo"]),
        ("headline_themes", ["theme", "carried", "published_at", "score"]),
        ("headline_companies", ["company", "published_at"]),
        ("rollup_daily", ["day"]),
    ]:
        db[table].create_index(cols, if_not_exists=True)
    if not db["headlines_fts"].exists():
        # Triggers are our own (below) so that retag, which rewrites tag columns only,
        # does not rewrite the full-text index.
        db["headlines"].enable_fts(["title", "summary"], tokenize="porter", create_triggers=False)
    db.executescript(
        """
        CREATE TRIGGER IF NOT EXISTS headlines_ai AFTER INSERT ON headlines BEGIN
          INSERT INTO headlines_fts (rowid, title, summary) VALUES (new.rowid, new.title, new.summary);
        END;
        CREATE TRIGGER IF NOT EXISTS headlines_ad AFTER DELETE ON headlines BEGIN
          INSERT INTO headlines_fts (headlines_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, old.summary);
        END;
        CREATE TRIGGER IF NOT EXISTS headlines_au AFTER UPDATE OF title, summary ON headlines BEGIN
          INSERT INTO headlines_fts (headlines_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, old.summary);
          INSERT INTO headlines_fts (rowid, title, summary) VALUES (new.rowid, new.title, new.summary);
        END;
        """
    )


def _migrate_2(db: sqlite_utils.Database) -> None:
    # Pages sorted by score walk this index from the top and stop after one page, instead
    # of sorting every matching headline; published_at breaks ties in the same walk. The tag
    # columns let a company or theme filter reject rows in the index, without reading them.
    db["headlines"].create_index(
        ["max_score", "published_at", "companies", "themes"], if_not_exists=True
    )
    # Rollup rows of one theme for every company (company lists, timelines by company with a
    # theme filter) without walking every company's rows in the primary key.
    db["rollup_daily"].create_index(["theme", "day"], if_not_exists=True)


def _migrate_3(db: sqlite_utils.Database) -> None:
    # Each headline carries its theme scores and readable evidence, so a page or a CSV
    # extract reads one row per headline instead of looking up its tag rows: a 100,000-row
    # extract took 0.7 s for that look-up and 0.6 s for formatting the evidence. The tag
    # rows keep what the filters need (theme, score, carried).
    db.execute("ALTER TABLE headlines ADD COLUMN theme_scores TEXT NOT NULL DEFAULT '{}'")
    db.execute("ALTER TABLE headlines ADD COLUMN evidence_text TEXT NOT NULL DEFAULT ''")
    rows = db.execute(
        "SELECT headline_id, theme, score, evidence FROM headline_themes"
        " ORDER BY headline_id, theme"
    )
    update = "UPDATE headlines SET theme_scores = ?, evidence_text = ? WHERE id = ?"
    batch: list[tuple] = []
    for hid, group in itertools.groupby(rows, key=lambda r: r[0]):
        tags = [(t, s, [(e[0], e[1]) for e in json.loads(ev)]) for _h, t, s, ev in group]
        batch.append((*_derived(tags), hid))
        if len(batch) == 10_000:
            db.conn.executemany(update, batch)
            batch = []
    db.conn.executemany(update, batch)
    # The readable text replaces the tag rows' evidence JSON, which nothing reads any more.
    db.execute("ALTER TABLE headline_themes DROP COLUMN evidence")
    # Newest-first walks order by (published_at, id): with id in the date index they read no
    # headline row until a page is chosen (two companies, page 200 at 1M: 282 -> 168 ms).
    db["headlines"].create_index(["published_at", "id"], if_not_exists=True)
    db.execute("DROP INDEX IF EXISTS idx_headlines_published_at")


MIGRATIONS: Sequence[Callable[[sqlite_utils.Database], None]] = (
    _migrate_1,
    _migrate_2,
    _migrate_3,
)

_ROLLUP_SQL = """
WITH h AS (
  SELECT h.id, substr(h.published_at, 1, 10) AS day
  FROM json_each(:days) d
  JOIN headlines h ON h.published_at > d.value || 'T' AND h.published_at < d.value || 'U'
),
t AS (
  SELECT h.day, h.id, ht.theme, ht.score FROM h
  JOIN headline_themes ht ON ht.headline_id = h.id AND ht.carried = 1
),
c AS (
  SELECT h.day, h.id, hc.company FROM h JOIN headline_companies hc ON hc.headline_id = h.id
)
INSERT INTO rollup_daily (day, company, theme, n, score_sum)
SELECT day, '', '', count(*), 0 FROM h GROUP BY day
UNION ALL SELECT day, '', theme, count(*), sum(score) FROM t GROUP BY day, theme
UNION ALL SELECT day, company, '', count(*), 0 FROM c GROUP BY day, company
UNION ALL SELECT c.day, c.company, t.theme, count(*), sum(t.score)
  FROM c JOIN t ON t.id = c.id GROUP BY c.day, c.company, t.theme
"""


class Store:
    """One Chipwatch database file. Opening it creates or upgrades the schema."""

    def __init__(self, path: str | Path, *, readonly: bool = False):
        self.path = Path(path)
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if readonly:
                uri = f"file:{self.path}?mode=ro"
                conn = sqlite3.connect(
                    uri,
                    uri=True,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
            else:
                conn = sqlite3.connect(
                    self.path,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Index probes by headline id land all over a large file: reading the pages
            # through a memory map instead of a read() each makes them about a third cheaper.
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            self.conn = conn
            self.db = sqlite_utils.Database(conn)
            if not readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                # Writes touch index pages all over a large file (retag, bulk loads): a
                # bigger page cache than SQLite's 2 MB default keeps them from re-reading.
                conn.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
                # Each checkpoint ends in an fsync; at SQLite's default (every 1,000 pages,
                # 4 MB of log) they were a quarter of an ingest's store time.
                conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
                self._migrate()
                if self.get_meta("rollups_dirty") == "1":
                    self.rebuild_rollups()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable Chipwatch database ({exc})") from exc

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
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: schema version {current} is newer than this Chipwatch "
                    f"({SCHEMA_VERSION}); upgrade Chipwatch"
                )
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
    ) -> WriteResult:
        """Insert new headlines with their tags; known ids are counted as duplicates.

        Tags may come as a Tagger's Tags or already shaped by tag_rows. Call inside the
        feed's transaction (one is opened otherwise). The daily rollups are incremented for
        the new rows in the same transaction. With rollups=False (bulk loads) the caller
        rebuilds them once at the end; they are marked dirty first, so a crash in between
        cannot leave them stale.
        """
        new = dup = 0
        counts: dict[tuple[str, str, str], list] = {}
        conn = self.conn
        items = list(items)
        heads: list[tuple] = []
        themes: list[tuple] = []
        companies: list[tuple] = []
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
            for h, tags in items:
                if h.id in known:
                    dup += 1
                    continue
                known.add(h.id)
                new += 1
                rows = tags if isinstance(tags, TagRows) else tag_rows(h.id, h.published_at, tags)
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
                themes += rows.themes
                companies += rows.companies
                if rollups:
                    _add(counts, h.published_at[:10], rows.companies, rows.themes, 1)
            # One statement a table for the whole feed: per-headline statements cost more in
            # call overhead than the rows cost SQLite.
            conn.executemany(
                """INSERT INTO headlines (id, feed_id, source, title, summary, url,
                     published_at, published_estimated, fetched_at, is_demo,
                     companies, themes, max_score, theme_scores, evidence_text, tag_version)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                heads,
            )
            self._insert_tag_rows(themes, companies)
            if counts:
                self._add_rollups(counts)
        return WriteResult(new, dup)

    def _insert_tag_rows(self, themes: list[tuple], companies: list[tuple]) -> None:
        if themes:
            self.conn.executemany(
                "INSERT INTO headline_themes (headline_id, theme, score, carried, published_at)"
                " VALUES (?, ?, ?, ?, ?)",
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
                self.conn.execute(_ROLLUP_SQL, {"days": json.dumps(days)})
            self._set_meta("rollups_dirty", "0")

    def headline_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM headlines").fetchone()[0]

    def headline_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT id FROM headlines")}

    # -- retag and purge -------------------------------------------------------------------
    def stale_count(self, version: str) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM headlines WHERE tag_version IS NOT ?", (version,)
        ).fetchone()[0]

    def retag_batches(
        self, version: str, *, batch: int = 5000, everything: bool = False
    ) -> Iterator[RetagBatch]:
        """Stored headlines to re-score, in rowid order, with their stored tag rows.

        Only those tagged by another taxonomy version, or every one with everything=True.
        """
        last_rowid = 0
        while True:
            rows = self.conn.execute(
                "SELECT rowid, id, title, summary, published_at, companies, themes, max_score,"
                " theme_scores, evidence_text FROM headlines"
                " WHERE rowid > :last AND (:all OR tag_version IS NOT :version)"
                " ORDER BY rowid LIMIT :batch",
                {"last": last_rowid, "all": int(everything), "version": version, "batch": batch},
            ).fetchall()
            if not rows:
                return
            ids = [r[1] for r in rows]
            # The theme rows follow from the row's own columns (see plan_retag); the company
            # rows hold the alias that matched, which only they record.
            yield RetagBatch(
                rows,
                stored_tags(self.conn, "headline_companies", "company, alias, published_at", ids),
            )
            last_rowid = rows[-1][0]

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
        conn = self.conn
        with self.transaction():
            if self.get_meta("retag_token") != token:
                raise StoreError(
                    "another retag started while this one ran and carries on with the job"
                )
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
                " (headline_id, theme, score, carried, published_at) VALUES (?, ?, ?, ?, ?)",
                plan.upserts["headline_themes"],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO headline_companies"
                " (headline_id, company, alias, published_at) VALUES (?, ?, ?, ?)",
                plan.upserts["headline_companies"],
            )
            conn.executemany(
                "UPDATE headlines SET companies = ?, themes = ?, max_score = ?,"
                " theme_scores = ?, evidence_text = ?, tag_version = ? WHERE rowid = ?",
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
            removed = self.conn.execute("DELETE FROM headlines WHERE is_demo = 1").rowcount
            self.conn.execute(
                "DELETE FROM feeds WHERE is_demo = 1"
                " AND NOT EXISTS (SELECT 1 FROM headlines h WHERE h.feed_id = feeds.id)"
            )
        self.rebuild_rollups()
        return removed

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


class TagRows(NamedTuple):
    """One headline's tags as the store writes them, shaped where the tagging ran (a worker
    process) so the writing process only compares and inserts plain tuples."""

    # The headline row's tag columns: companies, themes, max_score, theme_scores (JSON
    # object), evidence_text (see _derived).
    columns: tuple[str, str, float, str, str]
    themes: tuple[tuple, ...]  # headline_themes rows, every theme scoring above zero
    companies: tuple[tuple, ...]  # headline_companies rows


def tag_rows(headline_id: str, published_at: str, tags: Tags) -> TagRows:
    # A retag runs this for every stored headline, so the common cases stay short.
    scored = [(t, s) for t, s in tags.scores.items() if s > 0]
    companies = tags.companies
    company_rows = tuple((headline_id, m.name, m.alias, published_at) for m in companies)
    names = ";".join([m.name for m in companies]) if companies else ""
    if not scored:  # most headlines speak to no theme
        return TagRows((names, "", 0.0, "{}", ""), (), company_rows)
    carried = tags.themes
    evidence = tags.evidence
    return TagRows(
        (
            names,
            ";".join(carried),
            max(tags.scores.values()),
            *_derived(
                [(t, s, [(e.term, e.where) for e in evidence.get(t, ())]) for t, s in scored]
            ),
        ),
        tuple((headline_id, t, s, int(t in carried), published_at) for t, s in scored),
        company_rows,
    )


def _derived(tags: list[tuple[str, float, list[tuple[str, str]]]]) -> tuple[str, str]:
    """A headline's theme_scores and evidence_text columns from its tag rows, given as
    (theme, score, [(term, where), ...]): '{"theme": score, ...}' and
    'theme: term (where), term (where); theme: ...' (themes in alphabetical order)."""
    tags = sorted(tags)
    evidence = "; ".join(
        [
            f"{theme}: " + ", ".join([f"{term} ({where})" for term, where in terms])
            for theme, _score, terms in tags
            if terms
        ]
    )
    # Theme ids are [a-z][a-z0-9_]* (taxonomy.py) and scores finite floats, whose repr is
    # what json.dumps writes: the same text, at a third of the cost.
    return "{" + ", ".join([f'"{theme}": {score!r}' for theme, score, _ in tags]) + "}", evidence


class RetagBatch(NamedTuple):
    """Headlines to re-score (rowid, id, title, summary, published_at, then the tag columns
    of TagRows.columns) with their stored headline_companies rows by headline id."""

    rows: list[tuple]
    companies: dict[str, list[tuple]]


def _stored_themes(row: tuple) -> set[tuple]:
    """A RetagBatch row's headline_themes rows, rebuilt from its tag columns: the store writes
    both from the same TagRows, and theme_scores holds every theme scoring above zero."""
    hid, published_at, carried, scores = row[1], row[4], row[6].split(";"), json.loads(row[8])
    return {(hid, t, s, int(t in carried), published_at) for t, s in scores.items()}


class RetagPlan(NamedTuple):
    """The writes that bring one RetagBatch to its new tags (see plan_retag)."""

    version: str
    changed: int  # headlines whose tags differ from the stored ones
    deletes: dict[str, list[tuple]]  # table -> (headline_id, key) rows to remove
    upserts: dict[str, list[tuple]]  # table -> rows to insert or replace
    heads: list[tuple]  # (*TagRows.columns, version, rowid) for changed columns
    versioned: list[int]  # rowids that only take the new version
    counts: dict[tuple[str, str, str], list]  # rollup increments, negative ones included


def plan_retag(batch: RetagBatch, shaped: list[TagRows], version: str) -> RetagPlan:
    """Compare a batch's new tags (from tag_rows) with its stored ones. Pure, so it runs in
    the worker that tagged the batch: the writing process gets only the difference. A
    typical taxonomy edit changes few headlines, and a weight edit moves scores but rarely
    companies; every row written also moves its index entries, so only changed rows are."""
    deletes: dict[str, list[tuple]] = {"headline_themes": [], "headline_companies": []}
    upserts: dict[str, list[tuple]] = {"headline_themes": [], "headline_companies": []}
    heads: list[tuple] = []
    versioned: list[int] = []
    counts: dict[tuple[str, str, str], list] = {}
    changed = 0
    for row, new in zip(batch.rows, shaped, strict=True):
        rowid, hid, published_at, columns = row[0], row[1], row[4], row[5:10]
        was_companies = set(batch.companies.get(hid, ()))
        new_companies = set(new.companies)
        same_columns = new.columns == columns
        # Equal columns mean equal theme rows, which follow from them (_stored_themes).
        if same_columns and new_companies == was_companies:
            versioned.append(rowid)
            continue
        changed += 1
        was_themes, new_themes = _stored_themes(row), set(new.themes)
        for table, was, now in (
            ("headline_themes", was_themes, new_themes),
            ("headline_companies", was_companies, new_companies),
        ):
            upserts[table] += now - was
            kept = {r[1] for r in now}
            deletes[table] += [(hid, r[1]) for r in was if r[1] not in kept]
        if same_columns:
            versioned.append(rowid)
        else:
            heads.append((*new.columns, version, rowid))
        day = published_at[:10]
        _add(counts, day, was_companies, was_themes, -1)
        _add(counts, day, new.companies, new.themes, 1)
    return RetagPlan(version, changed, deletes, upserts, heads, versioned, counts)


def _add(counts: dict, day: str, companies: Iterable[tuple], themes: Iterable[tuple], sign: int):
    """Add (sign=1) or take away (-1) one headline's rollup cells, the rows _ROLLUP_SQL would
    give it, to in-memory increments; companies and themes are its tag table rows."""
    carried = [(r[1], r[2]) for r in themes if r[3]]
    keys = [("", "", 0.0)] + [("", t, s) for t, s in carried]
    for row in companies:
        keys.append((row[1], "", 0.0))
        keys += [(row[1], t, s) for t, s in carried]
    for company, theme, score in keys:
        cell = counts.setdefault((day, company, theme), [0, 0.0])
        cell[0] += sign
        cell[1] += sign * score


def open_store(path: str | Path | None = None, *, readonly: bool = False) -> Store:
    from dashboard.config import db_path

    return Store(db_path(path), readonly=readonly)
