"""Every real-world feed in the shared corpus yields a ParsedFeed or a ParseError with a reason.

The corpus lives beside the repo (../shared/corpus/feeds, also in CI) or where CHIPWATCH_CORPUS
points; it is read in place, never copied in.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dashboard.errors import ParseError
from dashboard.ingest.parse import parse
from dashboard.models import ParsedFeed

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "feeds"
FETCHED = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


def corpus_dir() -> Path | None:
    for candidate in (os.environ.get("CHIPWATCH_CORPUS"), DEFAULT_CORPUS):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def corpus_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower() not in (".md", ".txt")
    )


@pytest.fixture(scope="module")
def corpus():
    root = corpus_dir()
    if root is None:
        pytest.skip("no feed corpus (../shared/corpus/feeds or CHIPWATCH_CORPUS)")
    files = corpus_files(root)
    if not files:
        pytest.skip(f"feed corpus at {root} is empty")
    return root, files


def test_every_corpus_file_parses_or_reports_a_reason(corpus):
    root, files = corpus
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    total_headlines = 0
    for path in files:
        try:
            parsed = parse(path.read_bytes(), feed_url=str(path), fetched_at=FETCHED)
        except ParseError as exc:
            reason = str(exc)
            assert reason and "\n" not in reason, path
            counts["reported"] += 1
            reasons[reason.split(":")[0]] += 1
            continue
        assert isinstance(parsed, ParsedFeed), path
        counts["with headlines" if parsed.headlines else "without headlines"] += 1
        counts["warned"] += parsed.warning is not None
        total_headlines += len(parsed.headlines)
        for h in parsed.headlines:
            assert h.title and len(h.title) <= 500 and len(h.summary) <= 2000, path
            assert h.url is None or h.url.startswith(("http://", "https://")), path
            assert datetime.strptime(h.published_at, ISO_UTC) <= datetime(2025, 3, 3, 12), path
        assert len({h.id for h in parsed.headlines}) == len(parsed.headlines), path

    print(
        f"\ncorpus {root}: {len(files)} files; {counts['with headlines']} with headlines, "
        f"{counts['without headlines']} feeds without entries, {counts['reported']} reported "
        f"as ParseError; {total_headlines} headlines; {counts['warned']} kept with a warning; "
        f"reasons: {dict(reasons)}"
    )
    assert counts["with headlines"] + counts["without headlines"] + counts["reported"] == len(files)
    # Most of the corpus is real, well-formed feeds: a parser that reported them all would
    # still "add up", so demand that the bulk yields headlines.
    assert counts["with headlines"] > len(files) // 2
    assert total_headlines > len(files)


def test_corpus_parse_is_stable(corpus):
    """The same bytes parsed twice give the same headlines, ids included."""
    _, files = corpus
    for path in files[:: max(len(files) // 60, 1)]:
        body = path.read_bytes()
        try:
            first = parse(body, feed_url=str(path), fetched_at=FETCHED)
        except ParseError as exc:
            with pytest.raises(ParseError) as again:
                parse(body, feed_url=str(path), fetched_at=FETCHED)
            assert str(again.value) == str(exc)
            continue
        second = parse(body, feed_url=str(path), fetched_at=FETCHED)
        assert first.headlines == second.headlines, path


def test_chipwatch_corpus_env_var_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("CHIPWATCH_CORPUS", str(tmp_path))
    assert corpus_dir() == tmp_path
    monkeypatch.setenv("CHIPWATCH_CORPUS", str(tmp_path / "missing"))
    assert corpus_dir() == (DEFAULT_CORPUS if DEFAULT_CORPUS.is_dir() else None)
