"""The schema: its version, the migrations that build it, and the rollup cells.

Each migration brings the schema from version N-1 to N; opening a file runs the missing
ones in order, once (``writes.Store``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

import sqlite_utils

from dashboard.risk import direction_weight, sql_direction_weight
from dashboard.store.shape import derived_columns

SCHEMA_VERSION = 11
BUSY_TIMEOUT_MS = 30_000
# Bounded so the dashboard's resident memory stays small however large the file grows.
MMAP_BYTES = 128 * 2**20
WRITE_CACHE_KIB = 128 * 1024
WAL_CHECKPOINT_PAGES = 10_000  # about 40 MB of log between checkpoints


ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # how every date is stored


def utcnow() -> str:
    return iso(datetime.now(UTC))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


def moment(text: str) -> datetime:
    """iso()'s inverse: a stored date back to an aware UTC datetime (ValueError if malformed).
    fromisoformat, guarded to exactly ISO_FORMAT's shape, is ten times strptime's speed (the
    story matcher parses every headline's date)."""
    if len(text) != 20 or text[10] != "T" or text[19] != "Z":
        raise ValueError(f"not a stored date: {text!r}")
    return datetime.fromisoformat(text)


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
        batch.append((*derived_columns(tags), hid))
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


def _migrate_4(db: sqlite_utils.Database) -> None:
    # The watcher's schedule lives on the feed row, so a restart carries on where it stopped.
    db.execute("ALTER TABLE feeds ADD COLUMN next_due_at TEXT")
    db.execute("ALTER TABLE feeds ADD COLUMN poll_interval REAL")
    # Every fetch's outcome, kept for days and pruned by age and by count (store/watchlog.py);
    # the per-day summary below is what coverage and feed health read, and it is kept longer.
    db.execute(
        """CREATE TABLE IF NOT EXISTS fetch_log (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            outcome TEXT NOT NULL,
            http_status INTEGER,
            new INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )"""
    )
    db["fetch_log"].create_index(["feed_id", "at"], if_not_exists=True)
    db["fetch_log"].create_index(["at"], if_not_exists=True)
    db.execute(
        """CREATE TABLE IF NOT EXISTS feed_days (
            day TEXT NOT NULL,
            feed_id INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            ok INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (day, feed_id)
        ) WITHOUT ROWID"""
    )
    db["feed_days"].create_index(["feed_id", "day"], if_not_exists=True)
    db["feeds"].create_index(["next_due_at"], if_not_exists=True)


def _migrate_5(db: sqlite_utils.Database) -> None:
    # Stories (dashboard/stories): the same event told by several outlets. A headline names
    # its story; the story row holds its lead (earliest headline), its span and its counts.
    # AUTOINCREMENT: a story id is never given twice, even after a purge.
    db.execute(
        """CREATE TABLE IF NOT EXISTS stories (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            lead_id TEXT NOT NULL,
            title TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            headlines INTEGER NOT NULL DEFAULT 1,
            outlets INTEGER NOT NULL DEFAULT 1
        )"""
    )
    db["stories"].create_index(["first_seen"], if_not_exists=True)
    db.execute("ALTER TABLE headlines ADD COLUMN story_id INTEGER")
    # The title's content terms (stories.cluster.terms), space-separated, so a candidate is
    # compared without tokenizing its title again.
    db.execute("ALTER TABLE headlines ADD COLUMN story_terms TEXT NOT NULL DEFAULT ''")
    db["headlines"].create_index(["story_id", "source"], if_not_exists=True)
    # The matcher's candidate index: a headline's distinctive terms by day.
    db.execute(
        """CREATE TABLE IF NOT EXISTS story_keys (
            key TEXT NOT NULL,
            day TEXT NOT NULL,
            headline_id TEXT NOT NULL,
            PRIMARY KEY (key, day, headline_id)
        ) WITHOUT ROWID"""
    )
    db["story_keys"].create_index(["headline_id"], if_not_exists=True)
    # Direction (escalating +1, easing -1, neutral 0) of a carried theme, read by signals.
    db.execute("ALTER TABLE headline_themes ADD COLUMN direction INTEGER NOT NULL DEFAULT 0")
    # What each notification destination was last sent for a signal (signals/notify.py).
    db.execute(
        """CREATE TABLE IF NOT EXISTS notifications (
            signal TEXT NOT NULL,
            destination TEXT NOT NULL,
            level TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try TEXT,
            sent_at TEXT,
            last_error TEXT,
            PRIMARY KEY (signal, destination)
        )"""
    )
    # Headlines stored before stories existed get theirs from `chipwatch restory`, which the
    # first writer open after this migration leaves due (meta restory = pending).
    db.execute(
        "INSERT INTO meta (key, value) SELECT 'restory', 'pending'"
        " WHERE EXISTS (SELECT 1 FROM headlines)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


def _migrate_6(db: sqlite_utils.Database) -> None:
    # Direction is stored beside the scores, in the headline row (what retag compares and
    # rebuilds the tag rows from, like theme_scores) and on the tag rows (what pages, risk and
    # signals filter on): theme_directions holds the carried themes whose direction is not
    # neutral, direction_evidence the cues behind them (models.cue_text).
    db.execute("ALTER TABLE headlines ADD COLUMN theme_directions TEXT NOT NULL DEFAULT '{}'")
    db.execute("ALTER TABLE headlines ADD COLUMN direction_evidence TEXT NOT NULL DEFAULT ''")
    # Headlines carrying a theme were tagged before directions were stored: they are due for
    # `chipwatch retag` (tag_version NULL is "tagged by another taxonomy"), which fills both.
    db.execute("UPDATE headlines SET tag_version = NULL WHERE themes != ''")


def _migrate_7(db: sqlite_utils.Database) -> None:
    # The rollups' score_sum is signed by direction from this version on (dashboard.risk):
    # rebuilt at the first writable open, in the same way as after a bulk load.
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('rollups_dirty', '1')"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


def _migrate_8(db: sqlite_utils.Database) -> None:
    # A headline's share of its story's weight in risk (store/stories.story_weights): the
    # first headline of the k-th outlet of a story adds sqrt(k) - sqrt(k - 1), other copies
    # 0, so a story weighs sqrt(outlets). Headlines without a story weigh 1.
    db.execute("ALTER TABLE headlines ADD COLUMN story_weight REAL NOT NULL DEFAULT 1.0")
    db.execute("UPDATE headlines SET story_weight = 0.0 WHERE story_id IS NOT NULL")
    db.execute(
        """WITH firsts AS (
             SELECT story_id, min(published_at || '|' || id) AS fk FROM headlines
             WHERE story_id IS NOT NULL GROUP BY story_id, source),
           ranked AS MATERIALIZED (
             SELECT fk, row_number() OVER (PARTITION BY story_id ORDER BY fk) AS k FROM firsts)
           UPDATE headlines SET story_weight = sqrt(r.k) - sqrt(r.k - 1) FROM ranked r
           WHERE headlines.published_at || '|' || headlines.id = r.fk"""
    )
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('rollups_dirty', '1')"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


def _migrate_9(db: sqlite_utils.Database) -> None:
    # Analysts' corrections (dashboard/feedback): one row an act (who, when, what), the
    # headlines it covers beside it (a story's members when it was given), so a later restory
    # cannot move it onto other headlines. retag and restory never write these tables; the
    # tag rows carry the corrections applied (tagging/corrections.py). A retracted act keeps
    # its row, with when and by whom.
    db.execute(
        """CREATE TABLE IF NOT EXISTS feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            key TEXT NOT NULL DEFAULT '',
            value TEXT NOT NULL,
            story_id INTEGER,
            comment TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL,
            created_at TEXT NOT NULL,
            retracted_at TEXT,
            retracted_by TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS feedback_headlines (
            feedback_id INTEGER NOT NULL REFERENCES feedback(id),
            headline_id TEXT NOT NULL,
            PRIMARY KEY (headline_id, feedback_id)
        ) WITHOUT ROWID"""
    )
    db["feedback_headlines"].create_index(["feedback_id"], if_not_exists=True)


def _migrate_10(db: sqlite_utils.Database) -> None:
    # The matcher's candidate index carries each headline's story and time (epoch seconds),
    # so finding candidates reads this index alone: the headline rows are read only for
    # candidates the process has not seen yet (store/stories.py). Rebuilt rather than
    # altered: one pass, about a minute for a million headlines.
    db.execute(
        """CREATE TABLE story_keys_new (
            key TEXT NOT NULL,
            day TEXT NOT NULL,
            headline_id TEXT NOT NULL,
            story_id INTEGER NOT NULL,
            at INTEGER NOT NULL,
            PRIMARY KEY (key, day, headline_id)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """INSERT INTO story_keys_new (key, day, headline_id, story_id, at)
           SELECT k.key, k.day, k.headline_id, h.story_id,
                  CAST(strftime('%s', h.published_at) AS INTEGER)
           FROM story_keys k JOIN headlines h ON h.id = k.headline_id
           WHERE h.story_id IS NOT NULL"""
    )
    db.execute("DROP TABLE story_keys")
    db.execute("ALTER TABLE story_keys_new RENAME TO story_keys")
    db["story_keys"].create_index(["headline_id"], if_not_exists=True)


def _migrate_11(db: sqlite_utils.Database) -> None:
    # Each headline's title embedding as the story matcher stores it (store/stories.pack),
    # so a candidate read back is not embedded again: a table of its own, keyed by the
    # headline's rowid (new rows append), so the headline rows the pages scan stay as they
    # were. Headlines stored before have none: embedded when read; restory writes theirs.
    db.execute(
        """CREATE TABLE IF NOT EXISTS story_vecs (
            rowid INTEGER PRIMARY KEY,
            vec BLOB NOT NULL
        )"""
    )
    db.execute(
        """CREATE TRIGGER IF NOT EXISTS story_vecs_ad AFTER DELETE ON headlines BEGIN
             DELETE FROM story_vecs WHERE rowid = old.rowid;
           END"""
    )


MIGRATIONS: Sequence[Callable[[sqlite_utils.Database], None]] = (
    _migrate_1,
    _migrate_2,
    _migrate_3,
    _migrate_4,
    _migrate_5,
    _migrate_6,
    _migrate_7,
    _migrate_8,
    _migrate_9,
    _migrate_10,
    _migrate_11,
)

# A headline's rollup cells: ('', ''), ('', each carried theme), (each company, ''), (each
# company, each carried theme), each counting it once with its theme score signed by its
# direction and weighted by its share of its story (score_sum is the sum of
# risk.direction_weight x score x headlines.story_weight). This template is
# their SQL form (the daily rollups here, a filter's temporary rollups in queries.py);
# add_rollup_cells below is their Python form (incremental writes and retag), and
# tests/test_store.py holds the two equal.
_CELLS_SQL = """
WITH h AS MATERIALIZED ({matches}),
t AS MATERIALIZED (
  SELECT h.day, h.id, ht.theme, ht.score * {weight} * hw.story_weight AS score FROM h
  JOIN headline_themes ht ON ht.headline_id = h.id AND {theme_cond}
  JOIN headlines hw ON hw.id = h.id
),
c AS MATERIALIZED (
  SELECT h.day, h.id, hc.company FROM h JOIN headline_companies hc ON hc.headline_id = h.id
)
INSERT INTO {table} (day, company, theme, n, score_sum)
SELECT day, '', '', count(*), 0 FROM h GROUP BY day
UNION ALL SELECT day, '', theme, count(*), sum(score) FROM t GROUP BY day, theme
UNION ALL SELECT day, company, '', count(*), 0 FROM c GROUP BY day, company
UNION ALL SELECT c.day, c.company, t.theme, count(*), sum(t.score)
  FROM c JOIN t ON t.id = c.id GROUP BY c.day, c.company, t.theme
"""


def rollup_sql(matches: str, table: str, theme_cond: str = "ht.carried = 1") -> str:
    """INSERT of the rollup cells of the headlines `matches` selects as (id, day) into
    `table`; theme_cond picks the tag rows (alias ht) that count. Fragments are fixed SQL
    written by the store, never values."""
    return _CELLS_SQL.format(
        matches=matches,
        table=table,
        theme_cond=theme_cond,
        weight=sql_direction_weight("ht.direction"),
    )


# The cells of every headline published on the days of the JSON array :days.
ROLLUP_SQL = rollup_sql(
    "SELECT h.id, substr(h.published_at, 1, 10) AS day FROM json_each(:days) d"
    " JOIN headlines h ON h.published_at > d.value || 'T' AND h.published_at < d.value || 'U'",
    "rollup_daily",
)


def add_rollup_cells(
    counts: dict,
    day: str,
    companies: Iterable[tuple],
    themes: Iterable[tuple],
    sign: int,
    story_weight: float = 1.0,
):
    """Add (sign=1) or take away (-1) one headline's rollup cells, the rows rollup_sql would
    give it, to in-memory increments; companies and themes are its tag table rows."""
    carried = [(r[1], r[2] * direction_weight(r[5]) * story_weight) for r in themes if r[3]]
    keys = [("", "", 0.0)] + [("", t, s) for t, s in carried]
    for row in companies:
        keys.append((row[1], "", 0.0))
        keys += [(row[1], t, s) for t, s in carried]
    for company, theme, score in keys:
        cell = counts.setdefault((day, company, theme), [0, 0.0])
        cell[0] += sign
        cell[1] += sign * score
