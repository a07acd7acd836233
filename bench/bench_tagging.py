"""Tagger throughput on one core: the labelled headlines (tests/data/labels.csv) tagged over and
over for a few seconds, titles alone and titles with summaries. Target: >= 20,000 headlines/s.

Both wall-clock and CPU-time rates are printed: on a shared machine the CPU-time figure is the
one that says what a single core does.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from dashboard.config import DEFAULT_TAXONOMY
from dashboard.tagging.tagger import Tagger
from dashboard.tagging.taxonomy import load_taxonomy

LABELS = Path(__file__).resolve().parent.parent / "tests" / "data" / "labels.csv"
SECONDS = 3.0
TARGET = 20_000


def _rate(tagger: Tagger, rows: list[tuple[str, str]], seconds: float) -> dict:
    tag = tagger.tag
    done = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        for title, summary in rows:
            tag(title, summary)
        done += len(rows)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"headlines": done, "per_s": round(done / wall), "per_cpu_s": round(done / cpu)}


def run(seconds: float = SECONDS) -> dict:
    with LABELS.open(encoding="utf-8") as fh:
        labelled = [(r["title"], r["summary"]) for r in csv.DictReader(fh)]
    started = time.perf_counter()
    tagger = Tagger(load_taxonomy(DEFAULT_TAXONOMY))
    compile_ms = (time.perf_counter() - started) * 1000
    titles = [(title, "") for title, _ in labelled]
    _rate(tagger, labelled, 0.2)  # warm the token cache, as a long-running ingest would
    cases = {
        "titles": _rate(tagger, titles, seconds),
        "titles+summaries": _rate(tagger, labelled, seconds),
    }
    with_summary = sum(1 for _, s in labelled if s)
    figures = {
        "distinct_headlines": len(labelled),
        "with_summary": with_summary,
        "compile_ms": round(compile_ms, 1),
        "titles_per_s": cases["titles"]["per_s"],
        "titles_per_cpu_s": cases["titles"]["per_cpu_s"],
        "mixed_per_s": cases["titles+summaries"]["per_s"],
        "mixed_per_cpu_s": cases["titles+summaries"]["per_cpu_s"],
        "target_per_s": TARGET,
    }
    try:
        from run import table
    except ImportError:  # run as a plain script outside bench/
        table = None
    if table:
        table([{"case": name, **c, "target": TARGET} for name, c in cases.items()])
    return figures


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    result = run()
    print(f"compile {result['compile_ms']} ms; {result['distinct_headlines']} distinct headlines")
