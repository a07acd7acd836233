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
    print("\n== issue 18: figures at 1M (2 cores) against their goals")
    table(issue_rows(json.loads((HERE / "results.json").read_text())))
    return 0


def issue_rows(results: dict) -> list[dict]:
    """One row per line of issue 18's table, from whatever benches have results (a bench not
    run yet says so)."""

    def get(bench: str, *keys, default=None):
        value = results.get(bench)
        for key in keys:
            if not isinstance(value, dict | list):
                return default
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return default
        return value if value is not None else default

    missing = "(not run)"
    pages = get("bench_pages", "pages", default=[])
    cold = max(pages, key=lambda r: r["cold_1M_s"]) if pages else None
    warm = max(pages, key=lambda r: r["warm_1M_s"]) if pages else None
    retags = get("bench_load", "retags", default=[])
    fetch = get("bench_fetch", "runs", default=[])
    default_fetch = next((r for r in fetch if r.get("settings") == "default"), None)
    ingests = get("bench_ingest", "runs", default=[])
    restory = get("bench_restory", "restory_min_extrapolated")
    signals = get("bench_queries", "signals", "p50_ms")
    rows = [
        (
            "any page, cold (first visit of each after start)",
            "<= 3 s",
            f"{cold['cold_1M_s']:.2f} s worst ({cold['page']})" if cold else missing,
        ),
        (
            "any page, warm",
            "<= 1.5 s",
            f"{warm['warm_1M_s']:.2f} s worst ({warm['page']})" if warm else missing,
        ),
        (
            "heatmap cell click -> its stories listed",
            "<= 1 s",
            f"{get('bench_pages', 'cell_click_slowest_s')} s slowest, "
            f"{get('bench_pages', 'cell_click_median_s')} s median"
            if pages
            else missing,
        ),
        (
            "retag of 1M",
            "<= 90 s",
            ", ".join(f"{r['retag_s']} s ({r['taxonomy']})" for r in retags) or missing,
        ),
        (
            "CSV of 100k rows",
            "<= 3 s",
            f"{get('bench_export', 'seconds')} s median" if "bench_export" in results else missing,
        ),
        (
            "fetch 200 x 250 ms at the default settings",
            ">= 15x, <= 2 a host",
            f"{default_fetch['speedup']}x at {default_fetch['concurrency']} at once, at most "
            f"{default_fetch['most_per_host']} a host"
            if default_fetch
            else missing,
        ),
        (
            "ingest vs bare feedparser.parse",
            "<= 1.3 both",
            ", ".join(
                f"{r['ratio']:.2f} ({r['feeds']} x {r['entries'] // r['feeds']:,})" for r in ingests
            )
            or missing,
        ),
        (
            "restory / signals",
            "<= 10 min / <= 1 s",
            f"{restory if restory is not None else missing} min (extrapolated) / "
            f"{f'{signals / 1000:.2f} s' if signals is not None else missing}",
        ),
        (
            "Streamlit RSS after every page",
            "<= 600 MB",
            f"{get('bench_pages', 'peak_rss_mb_1m')} MB" if pages else missing,
        ),
    ]
    return [{"figure": f, "goal": g, "measured": m} for f, g, m in rows]


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
