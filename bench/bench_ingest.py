"""Ingest against bare parsing: the whole pipeline (parse, normalize, tag, store) over generated
feed files against feedparser.parse of the same bytes. Target: ratio <= 1.3."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import feedparser

from dashboard import demo
from dashboard.ingest import ingest
from dashboard.store import Store

FEEDS, ITEMS = 200, 250


def run() -> dict:
    from run import table

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "feeds"
        files = demo.write_feeds(folder, FEEDS * ITEMS, feeds=FEEDS)
        bodies = [p.read_bytes() for p in files]
        started = time.perf_counter()
        entries = sum(len(feedparser.parse(b).entries) for b in bodies)
        bare = time.perf_counter() - started
        with Store(Path(tmp) / "bench.db") as store:
            started = time.perf_counter()
            report = ingest(store, [str(folder)], settings={"parse_workers": 2})
            full = time.perf_counter() - started
        assert report.new == entries, report.summary()
    figures = {
        "feeds": FEEDS,
        "entries": entries,
        "feedparser_s": round(bare, 2),
        "ingest_s": round(full, 2),
        "ratio": round(full / bare, 3),
        "entries_per_s": round(entries / full),
        "target_ratio": 1.3,
    }
    table([figures])
    return figures


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    run()
