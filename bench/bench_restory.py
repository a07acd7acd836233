"""`restory` at 1,000,000 headlines (target <= 10 min): a copy of the benchmark database is
restoried for the first CHIPWATCH_BENCH_RESTORY_HEADLINES headlines (default 50,000, oldest
first as restory goes), the time a headline (between the first batch's end and the last's) is
extrapolated to all of them, what the first batch pays once is counted once; forgetting the old
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

            marks: list[tuple[int, float]] = []  # (headlines done, time) after each batch

            def progress(done: int, _total: int) -> None:
                seen["done"] = done
                marks.append((done, time.perf_counter()))
                if done >= SAMPLE:
                    raise _Enough

            # Forgetting every story is a one-off cost of a restory: timed on its own, not
            # spread over the sampled headlines. The run is `chipwatch restory` as it is
            # (fresh: it starts by forgetting, then finds candidates in memory).
            forget_s = {}
            begin = stories.begin_restory

            def timed_begin(conn) -> None:
                t0 = time.perf_counter()
                begin(conn)
                forget_s["s"] = time.perf_counter() - t0

            stories.begin_restory = timed_begin
            started = time.perf_counter()
            try:
                with contextlib.suppress(_Enough):
                    store.restory(fresh=True, progress=progress)
            finally:
                stories.begin_restory = begin
            forget = forget_s["s"]
            assigned = time.perf_counter() - started - forget
            started = time.perf_counter()
            store.rebuild_rollups()
            rollups = time.perf_counter() - started
    # The rate between the first batch's end and the last's: what the first batch alone
    # pays once (counting the headlines to do, loading the embedding model) is counted once.
    (d0, t0), (d1, t1) = marks[0], marks[-1]
    per = (t1 - t0) / max(d1 - d0, 1)
    once = assigned - per * seen["done"]
    row = {
        "headlines": total,
        "sampled": seen["done"],
        "sample_s": round(assigned, 1),
        "ms_per_headline": round(per * 1000, 2),
        "forget_s": round(forget, 1),
        "rollup_rebuild_s": round(rollups, 1),
        "first_batch_extra_s": round(once, 1),
        "restory_min_extrapolated": round((forget + once + per * total + rollups) / 60, 1),
        "target_min": 10,
    }
    table([row])
    return row


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    run()
