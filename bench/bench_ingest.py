"""Ingest against bare parsing: the whole pipeline (parse, normalize, tag with direction, stories,
store) over generated feed files against feedparser.parse of the same bytes, for many small
feeds (200 x 250 items) and a few big ones (6 x 8,000). Target: ratio <= 1.3 for both.

The same ingest without story matching (no candidate look-up, no key index, no title
embedding: every headline a story of its own) gives what stories cost. Target (issue 13):
at most 15 % more than without."""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import feedparser
import numpy as np

from dashboard import demo
from dashboard.ingest import ingest, pipeline
from dashboard.store import Store
from dashboard.stories import cluster

CASES = ((200, 250), (6, 8000))  # feeds, items each


def measure(tmp: Path, feeds: int, items: int) -> dict:
    folder = tmp / f"feeds-{feeds}"
    files = demo.write_feeds(folder, feeds * items, feeds=feeds)
    bodies = [p.read_bytes() for p in files]
    started = time.perf_counter()
    entries = sum(len(feedparser.parse(b).entries) for b in bodies)
    bare = time.perf_counter() - started
    full = _ingest(tmp / f"bench-{feeds}.db", folder, entries)
    with _without_matching():
        bare_stories = _ingest(tmp / f"bench-{feeds}-unmatched.db", folder, entries)
    return {
        "feeds": feeds,
        "entries": entries,
        "mb": round(sum(map(len, bodies)) / 1e6, 1),
        "feedparser_s": round(bare, 2),
        "ingest_s": round(full, 2),
        "ratio": round(full / bare, 3),
        "entries_per_s": round(entries / full),
        "target_ratio": 1.3,
        "unmatched_s": round(bare_stories, 2),
        "stories_cost_pct": round(100 * (full / bare_stories - 1), 1),
        "target_pct": 15,
    }


def _ingest(path: Path, folder: Path, entries: int) -> float:
    with Store(path) as store:
        started = time.perf_counter()
        report = ingest(store, [str(folder)], settings={"parse_workers": 2})
        took = time.perf_counter() - started
    assert report.new == entries, report.summary()
    return took


@contextmanager
def _without_matching():
    """Every headline a story of its own, found without a look-up or an embedding (the
    forked workers inherit the patch)."""
    zero = np.zeros(256, dtype=np.float32)
    with (
        mock.patch.object(cluster, "keys", lambda words, url=None: []),
        mock.patch.object(cluster, "vectors", lambda titles: [zero] * len(titles)),
        mock.patch.object(pipeline, "load_model", lambda: None),
    ):
        yield


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
