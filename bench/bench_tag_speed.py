"""`chipwatch tag --csv` on 100,000 realistic headlines: rows/s end to end and in process.

The input is the synthetic demo corpus (titles and summaries in the style of the outlets it
imitates), written once to a temporary CSV. Its 100,000 rows hold about 22,000 distinct
headlines, and tag_csv tags a headline it has met before only once, so the end-to-end run is
repeated on a file whose every row is distinct (the demo rows, each given a number of its
own): the rate for news without repeats. Figures:

  end_to_end   `python -m dashboard tag --csv IN --out OUT` as a subprocess (start-up, taxonomy
               compile, read, tag, write), wall clock, and its CPU time (every process):
               on a shared machine rows per CPU-second move less than rows per second
  end_to_end_distinct  the same on the all-distinct file
  in_process   tag_csv() on the demo file with the default worker choice, wall clock
  one_core     tag_csv() with workers=0, wall clock and CPU time

Run: PYTHONPATH=. python bench/bench_tag_speed.py [ROWS] (make bench runs it too)

Before and after a change, in one run (the machine's load moves both alike):

  PYTHONPATH=. python bench/bench_tag_speed.py [ROWS] --against OTHER_CHECKOUT [--rounds 2]

runs the two end-to-end cases for this checkout and for OTHER_CHECKOUT (a copy of another
commit, e.g. `git worktree add /tmp/before HEAD~3`), alternating, each with its own code,
taxonomy and model, and prints every run's rows per second and per CPU-second.
"""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.config import DEFAULT_TAXONOMY  # noqa: E402
from dashboard.demo import generate  # noqa: E402
from dashboard.tagging.batch import tag_csv  # noqa: E402
from dashboard.tagging.tagger import Tagger  # noqa: E402
from dashboard.tagging.taxonomy import load_taxonomy  # noqa: E402

ROWS = 100_000
TARGET = 20_000  # rows/s end to end on 2 cores


def write_input(path: Path, n: int, distinct: bool = False) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["title", "summary"])
        for i, (_slug, title, summary, _link, _moment) in enumerate(generate(n, seed=11)):
            w.writerow([f"{title} #{i}" if distinct else title, summary])


def _timed(fn) -> tuple[float, float]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall0, time.process_time() - cpu0


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _end_to_end(src: Path, out: Path, root: Path = ROOT) -> tuple[float, float]:
    """Wall clock and CPU time (every process) of `chipwatch tag --csv` run from `root`."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("CHIPWATCH_TAXONOMY", None)  # each checkout tags with its own taxonomy
    cmd = [sys.executable, "-m", "dashboard", "tag", "--csv", str(src), "--out", str(out)]
    cpu0 = _children_cpu()
    wall, _ = _timed(lambda: subprocess.run(cmd, check=True, env=env, capture_output=True))
    return wall, _children_cpu() - cpu0


def run(n: int = ROWS) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        distinct = Path(tmp) / "distinct.csv"
        write_input(src, n)
        write_input(distinct, n, distinct=True)
        e2e, e2e_cpu = _end_to_end(src, out)
        dis, dis_cpu = _end_to_end(distinct, out)
        tagger = Tagger(load_taxonomy(DEFAULT_TAXONOMY))
        auto, _ = _timed(lambda: tag_csv(src, out, tagger))
        one, one_cpu = _timed(lambda: tag_csv(src, out, tagger, workers=0))
    return {
        "rows": n,
        "cores": os.cpu_count(),
        # other work on the machine while measuring: rates are only comparable at low load
        "load_avg_1m_x100": round(os.getloadavg()[0] * 100),
        "end_to_end_per_s": round(n / e2e),
        "end_to_end_per_cpu_s": round(n / e2e_cpu),
        "end_to_end_distinct_per_s": round(n / dis),
        "end_to_end_distinct_per_cpu_s": round(n / dis_cpu),
        "in_process_per_s": round(n / auto),
        "one_core_per_s": round(n / one),
        "one_core_per_cpu_s": round(n / one_cpu),
        "target_per_s": TARGET,
    }


def compare(other: Path, n: int = ROWS, rounds: int = 2) -> list[dict]:
    """End to end, demo and all-distinct files, this checkout and `other` alternately."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        distinct = Path(tmp) / "distinct.csv"
        write_input(src, n)
        write_input(distinct, n, distinct=True)
        for i in range(rounds):
            for name, root in (("this", ROOT), ("other", other)):
                for case, path in (("demo", src), ("distinct", distinct)):
                    wall, cpu = _end_to_end(path, out, root)
                    results.append(
                        {
                            "round": i + 1,
                            "checkout": name,
                            "case": case,
                            "per_s": round(n / wall),
                            "per_cpu_s": round(n / cpu),
                            "load_avg_1m": round(os.getloadavg()[0], 2),
                        }
                    )
    return results


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=ROWS)
    parser.add_argument("--against", type=Path, help="another checkout to time alternately")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.against:
        print(f"this = {ROOT}, other = {args.against.resolve()}")
        for r in compare(args.against.resolve(), args.rows, args.rounds):
            print("  ".join(f"{k} {v}" for k, v in r.items()))
        sys.exit()
    figures = run(args.rows)
    width = max(map(len, figures))
    for key, value in figures.items():
        print(f"{key:<{width}}  {value:>9,}")
