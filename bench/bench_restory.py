"""`restory` at 1,000,000 headlines (target <= 10 min): a copy of the benchmark database is
restoried for the first CHIPWATCH_BENCH_RESTORY_HEADLINES headlines (default 50,000, oldest
first as restory goes), the time a headline is extrapolated to all of them; forgetting the old
stories, which starts a restory, and the rollup rebuild that ends it are timed in full. The copy is deleted afterwards; the benchmark
database itself is not touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from dashboard.store import Store, stories

BIG = Path(os.environ.get("CHIPWATCH_BENCH_DB", "/tmp/chipwatch-bench-1m.db"))
SAMPLE = int(os.environ.get("CHIPWATCH_BENCH_RESTORY_HEADLINES", "50000"))


class _Enough(Exception):
    pass


def run() -> dict:
    from run import table

    if not BIG.exists():
        raise SystemExit(f"{BIG} is missing: run `BENCH_ONLY=load python bench/run.py` first")
    with tempfile.TemporaryDirectory(dir=BIG.parent) as tmp:
        copy = Path(tmp) / "restory.db"
        shutil.copy(BIG, copy)
        with Store(copy) as store:
            total = store.headline_count()
            seen = {"done": 0}

            def progress(done: int, _total: int) -> None:
                seen["done"] = done
                if done >= SAMPLE:
                    raise _Enough

            # Forgetting every story is a one-off cost of a restory: timed on its own, not
            # spread over the sampled headlines.
            started = time.perf_counter()
            with store.transaction():
                stories.begin_restory(store.conn)
            forget = time.perf_counter() - started
            started = time.perf_counter()
            with contextlib.suppress(_Enough):
                store.restory(fresh=False, progress=progress)
            assigned = time.perf_counter() - started
            started = time.perf_counter()
            store.rebuild_rollups()
            rollups = time.perf_counter() - started
    per = assigned / max(seen["done"], 1)
    row = {
        "headlines": total,
        "sampled": seen["done"],
        "sample_s": round(assigned, 1),
        "ms_per_headline": round(per * 1000, 2),
        "forget_s": round(forget, 1),
        "rollup_rebuild_s": round(rollups, 1),
        "restory_min_extrapolated": round((forget + per * total + rollups) / 60, 1),
        "target_min": 10,
    }
    table([row])
    return row


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    run()
