"""Seeded mutation fuzzing of the parse -> tag -> store path: truncated, bit-flipped and spliced
documents from the real-world corpus and the project's fixtures. No exception escapes the ingestor
and the store stays consistent."""

from __future__ import annotations

import random

import pytest

from dashboard.errors import ParseError
from dashboard.ingest import ingest
from dashboard.ingest.parse import parse
from dashboard.models import ParsedFeed
from dashboard.store import Store
from tests.conftest import CORPUS, DATA

CASES = 600


def seeds() -> list[bytes]:
    files = sorted((DATA / "feeds").glob("*"))
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md")
    return [p.read_bytes() for p in files if p.is_file() and p.stat().st_size < 512 * 1024]


def mutate(rng: random.Random, docs: list[bytes]) -> bytes:
    doc = bytearray(rng.choice(docs))
    op = rng.choice(["truncate", "flip", "splice", "insert", "repeat"])
    if not doc:
        return bytes(doc)
    if op == "truncate":
        return bytes(doc[: rng.randrange(len(doc))])
    if op == "flip":
        for _ in range(rng.randint(1, 20)):
            doc[rng.randrange(len(doc))] = rng.randrange(256)
        return bytes(doc)
    if op == "splice":
        other = rng.choice(docs)
        return bytes(doc[: rng.randrange(len(doc))]) + other[rng.randrange(max(len(other), 1)) :]
    if op == "insert":
        junk = rng.choice(
            [
                b"<",
                b"&",
                b"]]>",
                b"<!ENTITY x 'y'>",
                b"\x00",
                "\u2028".encode(),
                b"<item><title>",
                b"&#xD800;",
                b"<![CDATA[",
                b"\xff\xfe",
            ]
        )
        at = rng.randrange(len(doc))
        return bytes(doc[:at]) + junk * rng.randint(1, 50) + bytes(doc[at:])
    at = rng.randrange(len(doc))
    return bytes(doc[:at]) + bytes(doc[at:]) * rng.randint(2, 5)


@pytest.mark.slow
def test_mutated_documents_never_escape_the_ingestor(tmp_path):
    rng = random.Random(424242)
    docs = seeds()
    assert len(docs) > 20
    folder = tmp_path / "fuzz"
    folder.mkdir()
    parsed = errors = 0
    for i in range(CASES):
        body = mutate(rng, docs)
        (folder / f"case-{i:04d}.xml").write_bytes(body)
        try:
            result = parse(body, feed_url=f"https://fuzz.example/{i}")
        except ParseError as exc:
            errors += 1
            assert str(exc) and "\n" not in str(exc)
        else:
            parsed += 1
            assert isinstance(result, ParsedFeed)
    with Store(tmp_path / "fuzz.db") as store:
        report = ingest(store, [str(folder)])
        assert len(report.outcomes) == CASES and not report.source_errors
        assert all(o.reason for o in report.outcomes if o.status == "failed")
        assert store.integrity_ok()
        q = "SELECT day, company, theme, n FROM rollup_daily ORDER BY 1, 2, 3"
        before = store.conn.execute(q).fetchall()
        store.rebuild_rollups()
        assert store.conn.execute(q).fetchall() == before
        orphans = store.conn.execute(
            "SELECT count(*) FROM headline_themes t LEFT JOIN headlines h ON h.id = t.headline_id"
            " WHERE h.id IS NULL"
        ).fetchone()[0]
        assert orphans == 0
    print(
        f"\nfuzz: {CASES} mutated documents, {parsed} parsed, {errors} refused with a reason, "
        f"{report.new} headlines stored"
    )
