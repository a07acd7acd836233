"""Run every benchmark in bench/, print each one's table, write bench/results.json.

Each bench_*.py module exposes run() -> dict of figures. `make bench` calls this script;
BENCH_ONLY=name1,name2 runs a subset.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def machine() -> dict:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    return {
        # A fixed pure-Python loop: this machine is shared, and figures from two runs compare
        # only as far as this one does (the README gives it for its figures).
        "python_loop_s": _loop_seconds(),
        "cpus": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _loop_seconds() -> float:
    started = time.perf_counter()
    sum(i * i for i in range(10**7))
    return round(time.perf_counter() - started, 2)


def main() -> int:
    only = {n for n in os.environ.get("BENCH_ONLY", "").split(",") if n}
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    results = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for name in names:
        if only and name.removeprefix("bench_") not in only and name not in only:
            continue
        print(f"\n== {name}", flush=True)
        started = time.perf_counter()
        results[name] = importlib.import_module(name).run()
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
        _save(results, partial=bool(only))  # after each bench: a later failure keeps these
    print(f"\nwrote {HERE / 'results.json'}")
    return 0


def _save(results: dict, *, partial: bool) -> None:
    out = HERE / "results.json"
    if partial and out.exists():  # a partial run updates, it does not erase the others
        results = {**json.loads(out.read_text()), **results}
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")


def table(rows: list[dict]) -> None:
    """Print rows of figures as an aligned table."""
    if not rows:
        return
    cols = list(rows[0])
    widths = {c: max(len(str(c)), *(len(_fmt(r.get(c))) for r in rows)) for c in cols}
    print("  ".join(str(c).ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(widths[c]) for c in cols))


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"
    return "" if value is None else str(value)


if __name__ == "__main__":
    raise SystemExit(main())
