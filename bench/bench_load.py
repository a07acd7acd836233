"""Loading and retagging at scale: `demo --load` of 1,000,000 synthetic headlines (target < 5 min)
and `retag` of all of them (target <= 90 s) after two taxonomy edits: a typical one (one theme's
threshold raised) and a heavy one (every term weight cut by 10 %, so every tagged headline's
scores change); a last retag puts the shipped taxonomy back. The database is kept for the query
and page benches (path: $CHIPWATCH_BENCH_DB, default /tmp/chipwatch-bench-1m.db); set
BENCH_REBUILD=1 to rebuild."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

from dashboard import demo
from dashboard.config import DEFAULT_TAXONOMY
from dashboard.store import Store
from dashboard.tagging.retag import retag
from dashboard.tagging.tagger import Tagger
from dashboard.tagging.taxonomy import load_taxonomy

N = int(os.environ.get("BENCH_HEADLINES", 1_000_000))
DB = Path(os.environ.get("CHIPWATCH_BENCH_DB", "/tmp/chipwatch-bench-1m.db"))
WEIGHT = re.compile(r'^("[^"\n]+"\s*=\s*)([01]?\.\d+)', re.MULTILINE)


def edits(text: str) -> list[tuple[str, str]]:
    typical = text.replace("threshold = 0.47", "threshold = 0.52", 1)  # supply chain
    heavy = WEIGHT.sub(lambda m: f"{m[1]}{round(float(m[2]) * 0.9, 4)}", text)
    assert typical != text and heavy != text
    return [("threshold edit", typical), ("every weight -10 %", heavy), ("shipped taxonomy", text)]


def run() -> dict:
    from run import table

    taxonomy = load_taxonomy()
    tagger = Tagger(taxonomy)
    figures: dict = {"headlines": N}
    rebuild = os.environ.get("BENCH_REBUILD") == "1" or not DB.exists()
    if rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DB}{suffix}").unlink(missing_ok=True)
        with Store(DB) as store:
            started = time.perf_counter()
            loaded = demo.load(store, N, tagger=tagger, version=taxonomy.version)
            figures["load_s"] = round(time.perf_counter() - started, 1)
            figures["loaded"] = loaded
    retags = []
    with tempfile.TemporaryDirectory() as tmp, Store(DB) as store:
        for name, text in edits(DEFAULT_TAXONOMY.read_text()):
            path = Path(tmp) / "taxonomy.toml"
            path.write_text(text)
            edited = load_taxonomy(path)
            started = time.perf_counter()
            result = retag(store, taxonomy=edited, everything=True, settings={"parse_workers": 2})
            seconds = time.perf_counter() - started
            retags.append(
                {
                    "taxonomy": name,
                    "headlines": result.checked,
                    "changed": result.changed,
                    "retag_s": round(seconds, 1),
                    "per_s": round(result.checked / seconds),
                }
            )
    figures["db_mb"] = round(DB.stat().st_size / 2**20)
    figures["targets"] = "load < 300 s, retag <= 90 s"
    table([figures])
    table(retags)
    figures["retags"] = retags
    return figures


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    run()
