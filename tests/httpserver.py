"""A real HTTP server on a loopback address for tests that care about sockets.

Routes are declared, not coded: status, headers, body, delay, trickle, gzip, conditional
answers, never-answer, reset and raw bytes. The server records every request it saw and how
many were in flight at once, so tests can assert what the client really sent. Other tests
serve feed files the same way: `server.route("/x.xml", body=path.read_bytes())`.

    with FeedServer() as server:
        url = server.route("/feed.xml", body=b"<rss/>", headers={"Content-Type": "text/xml"})
        ...
        assert server.requests[0].headers["user-agent"].startswith("Chipwatch/")
"""

from __future__ import annotations

import gzip as gzip_module
import os
import select
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

# A gate nobody opens lets the request go on after this long, so a test fails, not hangs.
GATE_WAIT = 10.0


@dataclass
class Route:
    status: int = 200
    body: bytes | Callable[[], Iterable[bytes]] = b""  # a callable streams a body never held whole
    headers: dict[str, str] = field(default_factory=dict)
    content_length: bool | int = True  # True: the real length; False: chunked; int: announce this
    delay: float = 0.0  # seconds before the response starts
    trickle: float | None = None  # seconds between single bytes of the body
    gzip: bool = False  # compress the body and say so
    etag: str | None = None  # answer 304 when If-None-Match carries it
    last_modified: str | None = None  # answer 304 when If-Modified-Since carries it
    never_answer: bool = False  # read the request, then stay silent until the client gives up
    reset_after: int | None = None  # send this many response bytes, then reset the connection
    gate: threading.Event | None = None  # hold the answer until the test opens the gate
    raw: bytes | None = None  # send these bytes verbatim instead of an HTTP response, then close
    # Decide (status, headers, body) at request time: scripted feeds that change with a clock.
    script: Callable[[], tuple[int, dict[str, str], bytes]] | None = None


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]  # lower-cased names


class InFlight:
    """Counts requests being answered at once; may be shared by several servers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def __enter__(self) -> InFlight:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self.now -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args) -> None:  # tests read the records, not stderr
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}
        owner._record(Seen(path, headers))
        route = owner.routes.get(path)
        with owner.in_flight, owner.shared or InFlight():
            try:
                self._answer(route, headers, owner)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up, as a capped fetch should

    def _answer(self, route: Route | None, headers: dict[str, str], owner: FeedServer) -> None:
        if route is None:
            self._send(404, {"Content-Type": "text/plain"}, b"not found")
            return
        if route.gate is not None:
            route.gate.wait(GATE_WAIT)
        if route.delay:
            owner._stop.wait(route.delay)
        if route.never_answer:
            self._hold(owner)
            return
        if route.raw is not None:
            self.close_connection = True
            self.wfile.write(route.raw)
            return
        if route.script is not None:
            status, scripted, body = route.script()
            self._send(status, scripted, body)
            return
        fresh = (route.etag and headers.get("if-none-match") == route.etag) or (
            route.last_modified and headers.get("if-modified-since") == route.last_modified
        )
        validators = {"ETag": route.etag, "Last-Modified": route.last_modified}
        validators = {k: v for k, v in validators.items() if v}
        if fresh:
            self._send(304, validators, b"")
            return
        body = route.body
        if route.gzip and isinstance(body, bytes):
            body = gzip_module.compress(body)
        out = {**validators, **route.headers}
        if route.gzip:
            out["Content-Encoding"] = "gzip"
        self._send(route.status, out, body, route)

    def _send(self, status, headers, body, route: Route | None = None) -> None:
        route = route or Route()
        chunks = [body] if isinstance(body, bytes) else body()
        length = route.content_length
        if length is True and not isinstance(body, bytes):
            length = False
        head = [f"HTTP/1.1 {status} {_phrase(status)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if length is True:
            head.append(f"Content-Length: {len(body)}")
        elif length is False:
            head.append("Transfer-Encoding: chunked")
        else:
            head.append(f"Content-Length: {length}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        budget = route.reset_after
        if budget is not None and budget <= len(raw):
            self._reset()
            return
        self.wfile.write(raw)
        sent = len(raw)
        if status == 304:
            return
        for chunk in chunks:
            framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if length is False else chunk
            if budget is not None and sent + len(framed) >= budget:
                self.wfile.write(framed[: budget - sent])
                self._reset()
                return
            if route.trickle is not None:
                for i in range(len(framed)):
                    self.wfile.write(framed[i : i + 1])
                    if self.server.owner._stop.wait(route.trickle):
                        self.close_connection = True
                        return
            else:
                self.wfile.write(framed)
            sent += len(framed)
        if length is False:
            self.wfile.write(b"0\r\n\r\n")
        elif length is not True:
            self.close_connection = True  # an announced length may be a lie: end it here

    def _hold(self, owner: FeedServer) -> None:
        """Say nothing; note when the client hangs up."""
        self.close_connection = True
        while not owner._stop.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable:
                try:
                    data = self.connection.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    owner._hung_up()
                    return

    def _reset(self) -> None:
        # SO_LINGER 0 turns close() into a TCP RST; detach so no buffered file keeps it open.
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(self.connection.detach())


def _phrase(status: int) -> str:
    return _Handler.responses.get(status, ("Unknown",))[0]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FeedServer

    tls: ssl.SSLContext | None = None

    def finish_request(self, request, client_address) -> None:
        # The TLS handshake runs in the request's own thread, so a client that rejects the
        # certificate cannot stall the accept loop.
        if self.tls is not None:
            request = self.tls.wrap_socket(request, server_side=True)
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address) -> None:  # a reset socket is expected here
        pass


class FeedServer:
    """ThreadingHTTPServer on host:0 with a route table and request records."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        shared: InFlight | None = None,
        tls: tuple[str, str] | None = None,  # (certfile, keyfile): serve https
    ) -> None:
        self.host = host
        self.scheme = "https" if tls else "http"
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.in_flight = InFlight()
        self.shared = shared
        self.hung_up = 0  # never-answer connections the client closed
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.owner = self
        if tls:
            self._httpd.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._httpd.tls.load_cert_chain(*tls)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def route(self, path: str, **kwargs) -> str:
        self.routes[path] = Route(**kwargs)
        return self.url(path)

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.requests if seen.path == path]

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def _hung_up(self) -> None:
        with self._lock:
            self.hung_up += 1

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, then released), for connection-refused cases."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@pytest.fixture
def feed_server():
    with FeedServer() as server:
        yield server
