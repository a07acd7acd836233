"""Databases as earlier Chipwatch releases left them, built from the seeded database.

build(seeded, path, version, tagger) writes a file of that schema version holding the same
feeds, headlines, tags and rollups: the migrations up to `version` make the tables, and each
row is written in the shape that release wrote (schema 2: evidence JSON on the tag rows and
none on the headline; schema 3: scores and evidence text on the headline, no watch tables).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import sqlite_utils

from dashboard.store.schema import MIGRATIONS


def _columns(db: sqlite_utils.Database, table: str) -> list[str]:
    return [c.name for c in db[table].columns]


def _copy(src: sqlite3.Connection, db: sqlite_utils.Database, table: str) -> None:
    cols = _columns(db, table)
    rows = src.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()  # noqa: S608
    marks = ", ".join("?" * len(cols))
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"  # noqa: S608
    db.conn.executemany(sql, rows)


def build(seeded: Path, path: Path, version: int, tagger) -> Path:
    assert version in (2, 3), version
    src = sqlite3.connect(seeded)
    db = sqlite_utils.Database(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    for migrate in MIGRATIONS[:version]:
        migrate(db)
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
    tag_version = src.execute("SELECT tag_version FROM headlines LIMIT 1").fetchone()[0]
    for table in ("feeds", "headlines", "headline_companies", "rollup_daily"):
        _copy(src, db, table)
    if version == 3:
        _copy(src, db, "headline_themes")
    else:
        # Version 2 kept each theme's evidence as JSON [term, where, weight] on its tag row.
        heads = src.execute("SELECT id, title, summary, published_at FROM headlines").fetchall()
        for hid, title, summary, published in heads:
            tags = tagger.tag(title, summary)
            for theme, score in tags.scores.items():
                if score > 0:
                    evidence = [[e.term, e.where, e.weight] for e in tags.evidence.get(theme, ())]
                    db.execute(
                        "INSERT INTO headline_themes VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            hid,
                            theme,
                            score,
                            int(theme in tags.themes),
                            json.dumps(evidence),
                            published,
                        ),
                    )
    db.execute("UPDATE headlines SET tag_version = ?", (tag_version,))
    db.conn.commit()
    db.close()
    src.close()
    return path
