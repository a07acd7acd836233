"""Loading and retagging at scale: `demo --load` of 1,000,000 synthetic headlines (target < 5 min)
and `retag` of all of them (target <= 90 s). The database is kept for the query and page benches
(path: $CHIPWATCH_BENCH_DB, default /tmp/chipwatch-bench-1m.db); set BENCH_REBUILD=1 to rebuild."""

from __future__ import annotations

import os
import time
from pathlib import Path

from dashboard import demo
from dashboard.ingest import retag
from dashboard.store import Store
from dashboard.tagging import Tagger
from dashboard.taxonomy import load_taxonomy

N = int(os.environ.get("BENCH_HEADLINES", 1_000_000))
DB = Path(os.environ.get("CHIPWATCH_BENCH_DB", "/tmp/chipwatch-bench-1m.db"))


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
    with Store(DB) as store:
        count = store.headline_count()
        started = time.perf_counter()
        retag(store, taxonomy=taxonomy, everything=True, settings={"parse_workers": 2})
        figures["retag_s"] = round(time.perf_counter() - started, 1)
        figures["retag_per_s"] = round(count / figures["retag_s"])
    figures["db_mb"] = round(DB.stat().st_size / 2**20)
    figures["targets"] = "load < 300 s, retag <= 90 s"
    table([figures])
    return figures


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    run()
