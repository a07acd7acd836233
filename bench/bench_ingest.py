"""Ingest against bare parsing: the whole pipeline (parse, normalize, tag with direction, stories,
store) over generated feed files against feedparser.parse of the same bytes, for many small
feeds (200 x 250 items) and a few big ones (6 x 8,000). Target: ratio <= 1.3 for both."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import feedparser

from dashboard import demo
from dashboard.ingest import ingest
from dashboard.store import Store

CASES = ((200, 250), (6, 8000))  # feeds, items each


def measure(tmp: Path, feeds: int, items: int) -> dict:
    folder = tmp / f"feeds-{feeds}"
    files = demo.write_feeds(folder, feeds * items, feeds=feeds)
    bodies = [p.read_bytes() for p in files]
    started = time.perf_counter()
    entries = sum(len(feedparser.parse(b).entries) for b in bodies)
    bare = time.perf_counter() - started
    with Store(tmp / f"bench-{feeds}.db") as store:
        started = time.perf_counter()
        report = ingest(store, [str(folder)], settings={"parse_workers": 2})
        full = time.perf_counter() - started
    assert report.new == entries, report.summary()
    return {
        "feeds": feeds,
        "entries": entries,
        "mb": round(sum(map(len, bodies)) / 1e6, 1),
        "feedparser_s": round(bare, 2),
        "ingest_s": round(full, 2),
        "ratio": round(full / bare, 3),
        "entries_per_s": round(entries / full),
        "target_ratio": 1.3,
    }


def run() -> dict:
    from run import table

    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(Path(tmp), feeds, items) for feeds, items in CASES]
    table(rows)
    return {"runs": rows}


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    run()
