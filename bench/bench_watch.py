"""The watcher over a simulated day: 500 feeds on loopback, a driven clock.

Feeds publish at their own pace (a tenth every 20 min, 30 % every 2 h, 40 % every 8 h, a fifth
once in 3 days), each showing its last 10 entries and answering 304 to a matching ETag, as
publishers do. They are served from 20 loopback addresses by a process of their own, which
reads the simulated time from shared memory. Figures: fetches in the day against fixed 60-min
polling (500 x 24), the delay from an entry's publication to its arrival in the store (median
and 90th percentile, simulated minutes; fixed hourly polling would give 30 and 54), entries
not yet stored when the day ends, and the watcher's memory and open files after 100 and 1,000 cycles.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import resource
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FEEDS, HOSTS, KEEP = 500, 20, 10
START = datetime(2026, 6, 1, tzinfo=UTC)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
CYCLES = 1000
MIX = ((0.1, 20 * 60), (0.3, 2 * 3600), (0.4, 8 * 3600), (0.2, 3 * 86400))  # share, period


def periods() -> list[tuple[float, float]]:
    """(period, phase) in seconds for each feed: deterministic."""
    rng = random.Random(42)
    out = []
    for share, period in MIX:
        out += [(period, rng.uniform(0, period)) for _ in range(round(share * FEEDS))]
    return out[:FEEDS]


def published(i: int, now: float) -> list[tuple[int, float]]:
    """Feed i's last KEEP entries at `now` (seconds since EPOCH): (number, time)."""
    period, phase = periods()[i]
    last = int((now - phase) // period)
    return [(k, phase + k * period) for k in range(last, max(last - KEEP, -1), -1)]


def body(i: int, items: list[tuple[int, float]]) -> bytes:
    entries = "".join(
        f"<item><title>Feed {i} item {k}: Nvidia and TSMC expand AI chip packaging</title>"
        f"<guid isPermaLink='false'>f{i}-{k}</guid><link>https://example.com/{i}/{k}</link>"
        f"<pubDate>{format_datetime(EPOCH + timedelta(seconds=t), usegmt=True)}</pubDate></item>"
        for k, t in items
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>Feed {i}</title>"
        f"<link>https://example.com/{i}</link>{entries}</channel></rss>"
    ).encode()


def _serve(clock, conn) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            i = int(self.path[2:-4])  # /f{i}.xml
            items = published(i, clock.value)
            etag = f'"{items[0][0] if items else -1}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = body(i, items)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    urls = []
    servers = []
    for h in range(HOSTS):
        server = ThreadingHTTPServer((f"127.0.0.{h + 1}", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    for i in range(FEEDS):
        host, port = servers[i % HOSTS].server_address[:2]
        urls.append(f"http://{host}:{port}/f{i}.xml")
    conn.send(urls)
    conn.recv()


def _memory() -> tuple[float, int]:
    """(current RSS in MB, open file descriptors) of this process."""
    with open("/proc/self/status") as fh:
        rss = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
    return rss / 1024, len(os.listdir("/proc/self/fd"))


def simulate(urls, clock_value, db: Path, *, min_interval, max_interval, cycles=None):
    from dashboard.ingest.watch import DrivenClock, Watcher
    from dashboard.store import Store

    class SharedClock(DrivenClock):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            clock_value.value = (self.moment - EPOCH).total_seconds()

    clock = SharedClock(START)
    clock_value.value = (START - EPOCH).total_seconds()
    samples = {}
    started = time.perf_counter()
    with Store(db) as store:
        for url in urls:
            store.ensure_feed(url)
        watcher = Watcher(
            store,
            clock=clock,
            min_interval=min_interval,
            max_interval=max_interval,
            allow_private=True,
            settings={"concurrency": 16},
            rng=random.Random(1),
        )
        fetches = 0
        while clock.now() < START + DAY or (cycles and watcher.cycles < cycles):
            fetches += watcher.cycle().fetched if clock.now() < START + DAY else 0
            if watcher.cycles in (100, cycles):
                samples[watcher.cycles] = _memory()
            due = watcher.next_due()
            clock.sleep((due - clock.now()).total_seconds() if due else 60)
        wall = time.perf_counter() - started
        rows = store.conn.execute("SELECT id, published_at, fetched_at FROM headlines").fetchall()
    return fetches, rows, samples, wall, watcher.cycles


def delays(rows) -> tuple[list[float], int]:
    """Minutes from publication to store for the entries published during the day, and how
    many of those were not in the store when the simulated day ended (published after the
    feed's last fetch of the day, mostly)."""
    start, end = START.strftime("%Y-%m-%dT%H:%M:%SZ"), (START + DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    stored = [
        (datetime.fromisoformat(f) - datetime.fromisoformat(p)).total_seconds() / 60
        for _id, p, f in rows
        if start <= p < end
    ]
    expected = 0
    for i in range(FEEDS):
        period, phase = periods()[i]
        lo = (START - EPOCH).total_seconds()
        hi = (START + DAY - EPOCH).total_seconds()
        first = max(0, int((lo - phase) // period) + 1)
        last = int((hi - phase) // period)
        expected += max(0, last - first + 1 - (phase + last * period >= hi))
    return stored, expected - len(stored)


def run() -> dict:
    from run import table

    ctx = multiprocessing.get_context("spawn")
    clock_value = ctx.Value("d", 0.0, lock=False)
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(clock_value, theirs), daemon=True)
    server.start()
    urls = ours.recv()
    rows_out = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for label, lo, hi, cycles in (
                ("adaptive 5 min-24 h", 300.0, 86400.0, CYCLES),
                ("fixed 60 min", 3600.0, 3600.0, None),
            ):
                db = Path(tmp) / f"{lo:g}.db"
                fetches, rows, samples, wall, ran = simulate(
                    urls, clock_value, db, min_interval=lo, max_interval=hi, cycles=cycles
                )
                stored, missed = delays(rows)
                qs = statistics.quantiles(stored, n=10) if len(stored) > 1 else [0] * 9
                row = {
                    "policy": label,
                    "feeds": FEEDS,
                    "fetches_in_day": fetches,
                    "fixed_60min_fetches": FEEDS * 24,
                    "median_delay_min": round(statistics.median(stored), 1),
                    "p90_delay_min": round(qs[8], 1),
                    "entries_stored": len(stored),
                    "not_stored_by_day_end": missed,
                    "cycles": ran,
                    "wall_s": round(wall, 1),
                }
                if cycles:
                    (rss100, fd100), (rss1k, fd1k) = samples[100], samples[cycles]
                    row |= {
                        "rss_mb_at_100": round(rss100, 1),
                        "rss_mb_at_1000": round(rss1k, 1),
                        "fds_at_100": fd100,
                        "fds_at_1000": fd1k,
                        "peak_rss_mb": round(
                            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
                        ),
                    }
                rows_out.append(row)
                print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    finally:
        ours.send("done")
        server.join(10)
    table(
        [{k: v for k, v in r.items() if not k.startswith(("rss", "fds", "peak"))} for r in rows_out]
    )
    return {"runs": rows_out}


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    sys.path.insert(0, str(Path(__file__).parent.parent))
    run()
