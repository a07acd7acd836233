"""Concurrent fetch: 200 feeds served from loopback with 250 ms of latency each. The ingest's wall
time against a sequential fetch of the same feeds. Target (issue 18): >= 15x faster at the
default settings of `chipwatch ingest`, and never more than 2 requests at once to one host.

The feeds are spread over 20 loopback addresses (127.0.0.1-20) because the fetcher allows at
most 2 requests per host at once; the servers count the requests they serve at once, per
address, and the table gives the most any address saw. Run at the default settings (whatever
dashboard.config says), then at 8, 32 and 64 at once (`chipwatch ingest --concurrency N`) with
2 parse workers. The servers run in a process of their own, as a publisher's would: in the
bench's process their threads took the GIL from the ingest being measured.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from dashboard import demo
from dashboard.cli import CLI_SETTINGS
from dashboard.config import Settings
from dashboard.ingest import ingest
from dashboard.store import Store

FEEDS, HOSTS, LATENCY = 200, 20, 0.25


def serve(
    bodies: dict[str, bytes], busiest: dict[str, int] | None = None
) -> tuple[list[ThreadingHTTPServer], list[str]]:
    """Serve bodies from HOSTS loopback addresses; busiest[address] becomes the most requests
    that address served at once."""
    busiest = {} if busiest is None else busiest
    now: dict[str, int] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            host = self.server.server_address[0]
            with lock:
                now[host] = now.get(host, 0) + 1
                busiest[host] = max(busiest.get(host, 0), now[host])
            try:
                self._answer()
            finally:
                with lock:
                    now[host] -= 1

        def _answer(self):
            time.sleep(LATENCY)
            body = bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    servers, urls = [], []
    for h in range(HOSTS):
        server = ThreadingHTTPServer((f"127.0.0.{h + 1}", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    names = sorted(bodies)
    for i, name in enumerate(names):
        host, port = servers[i % HOSTS].server_address[:2]
        urls.append(f"http://{host}:{port}{name}")
    return servers, urls


def _serve_forever(folder: str, conn) -> None:
    bodies = {f"/{p.name}": p.read_bytes() for p in sorted(Path(folder).iterdir())}
    busiest: dict[str, int] = {}
    _servers, urls = serve(bodies, busiest)
    conn.send(urls)
    while conn.recv() == "busiest":  # until the bench is done
        conn.send(dict(busiest))
        busiest.clear()


def run() -> dict:
    from run import table

    with tempfile.TemporaryDirectory() as tmp:
        demo.write_feeds(Path(tmp) / "feeds", FEEDS * 20, feeds=FEEDS)
        ours, theirs = multiprocessing.Pipe()
        server = multiprocessing.get_context("spawn").Process(
            target=_serve_forever, args=(str(Path(tmp) / "feeds"), theirs), daemon=True
        )
        server.start()
        urls = ours.recv()
        try:
            started = time.perf_counter()
            with httpx.Client() as client:
                for url in urls:
                    client.get(url).raise_for_status()
            sequential = time.perf_counter() - started
            rows = []
            ours.send("busiest")
            ours.recv()  # forget the sequential run's
            for concurrency in (None, 8, 32, 64):
                settings = (
                    CLI_SETTINGS  # what `chipwatch ingest` runs with
                    if concurrency is None
                    else {"concurrency": concurrency, "parse_workers": 2}
                )
                with Store(Path(tmp) / f"c{concurrency}.db") as store:
                    started = time.perf_counter()
                    report = ingest(store, urls, allow_private=True, settings=settings)
                    wall = time.perf_counter() - started
                assert report.count("ok") == FEEDS, report.summary()
                ours.send("busiest")
                busiest = ours.recv()
                rows.append(
                    {
                        "settings": "default" if concurrency is None else "",
                        "feeds": FEEDS,
                        "latency_ms": LATENCY * 1000,
                        "concurrency": Settings().concurrency
                        if concurrency is None
                        else concurrency,
                        "sequential_s": round(sequential, 2),
                        "ingest_s": round(wall, 2),
                        "speedup": round(sequential / wall, 1),
                        "most_per_host": max(busiest.values()),
                        "target": "15x, 2 per host",
                    }
                )
        finally:
            ours.send("done")
            server.join(10)
    table(rows)
    return {"runs": rows}


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    run()
