"""Time a CSV extract of 100,000 filtered rows from the 1,000,000-headline benchmark database.

python bench/bench_export.py     # reuses CHIPWATCH_BENCH_DB (built by bench_queries.py)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_queries import DB, N, build
from dashboard import export
from dashboard.filters import Filters
from dashboard.store import Store
from dashboard.store import queries as Q

ROWS = int(os.environ.get("CHIPWATCH_BENCH_EXPORT_ROWS", "100000"))
RUNS = 3  # this machine is shared: single runs move by 30 %


def window_with(store, rows: int) -> Filters:
    """The most recent date window holding at least `rows` headlines."""
    last = Q.facets(store)["last_day"]
    lo, hi = 1, 4000
    while lo < hi:
        mid = (lo + hi) // 2
        n = Q.count(store, Filters(date_from=last - timedelta(days=mid - 1), date_to=last))
        lo, hi = (mid + 1, hi) if n < rows else (lo, mid)
    return Filters(date_from=last - timedelta(days=lo - 1), date_to=last)


def run() -> dict:
    if not DB.exists():
        build(DB, N)
    with Store(DB, readonly=True) as store:
        f = window_with(store, ROWS)
        runs = []
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / export.filename(f)
            for _ in range(RUNS):
                start = time.perf_counter()
                n = export.write_csv(store, f, out)
                runs.append(time.perf_counter() - start)
            size = out.stat().st_size
    seconds = statistics.median(runs)
    print(
        f"{n:,} rows ({f.date_from}..{f.date_to}), {size / 1e6:.1f} MB: median of {RUNS} runs"
        f" {seconds:.2f} s = {n / seconds:,.0f} rows/s (best {min(runs):.2f} s, target <= 3 s)"
    )
    return {"rows": n, "seconds": round(seconds, 2), "best_s": round(min(runs), 2), "bytes": size}


if __name__ == "__main__":
    run()
