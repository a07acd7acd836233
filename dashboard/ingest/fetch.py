"""HTTP fetching only: bytes, status and headers back, never parsed here.

Every feed gets a connect timeout and a total deadline, a body cap enforced while streaming
(after decompression too), redirects followed one hop at a time so each hop is checked, and
the address guard of dashboard.ingest.netguard, which keeps feeds away from loopback, private and
link-local hosts unless the user allows them. fetch_many() runs the fetches concurrently on an
asyncio loop in a background thread and hands each outcome back as soon as it is ready.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import ssl
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus

import httpx

from dashboard.config import USER_AGENT, Settings
from dashboard.errors import FetchError
from dashboard.ingest.netguard import (
    aresolve_checked,
    guarded_transport,
    one_line,
    split_url,
)
from dashboard.models import FetchResult

__all__ = ["ACCEPT", "REDIRECTS", "FetchRequest", "fetch_many", "fetch_one"]

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_STEP = 64 * 1024  # most bytes one decompression step may produce: a gzip bomb stays small
_DONE = object()


@dataclass(frozen=True)
class FetchRequest:
    url: str
    etag: str | None = None
    last_modified: str | None = None


def _make_client(opts: Mapping, allow_private: bool) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=opts.concurrency, max_keepalive_connections=opts.concurrency
    )
    transport = guarded_transport(limits, allow_private)
    return httpx.AsyncClient(transport=transport, follow_redirects=False)


# --- one feed --------------------------------------------------------------------------------


def _secs(value: float) -> str:
    return f"{value:g}"


def _size(n: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"


def _status_line(response: httpx.Response) -> str:
    try:
        phrase = HTTPStatus(response.status_code).phrase
    except ValueError:
        phrase = one_line(response.reason_phrase, 60)
    return f"HTTP {response.status_code} {phrase}".rstrip()


class _Inflater:
    """gzip/deflate decoding that never produces more than _STEP bytes per step."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._wbits = 16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS
        self._d = zlib.decompressobj(self._wbits)
        self._started = False
        self._produced = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        self._started = self._started or bool(data)
        while data:
            if self._d.eof:
                # A second gzip member continues the body; anything else is trailing junk.
                if self._gzip and data[:2] == b"\x1f\x8b":
                    self._d = zlib.decompressobj(self._wbits)
                else:
                    return
            try:
                out = self._d.decompress(data, _STEP)
            except zlib.error:
                if not self._gzip and not self._produced and self._wbits > 0:
                    # Some servers send raw deflate without the zlib wrapper.
                    self._wbits = -zlib.MAX_WBITS
                    self._d = zlib.decompressobj(self._wbits)
                    continue
                raise FetchError("body is not valid compressed data") from None
            if out:
                self._produced = True
                yield out
            rest = self._d.unused_data if self._d.eof else self._d.unconsumed_tail
            if rest == data and not out:
                raise FetchError("body is not valid compressed data")
            data = rest

    def finish(self) -> bytes:
        if self._started and not self._d.eof:
            raise FetchError("compressed body ended early")
        return self._d.flush() if self._started else b""


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    announced = response.headers.get("content-length", "")
    if announced.strip().isdigit() and int(announced) > cap:
        raise FetchError(f"body exceeds {_size(cap)} cap (Content-Length: {int(announced)})")
    codings = [
        c.strip().lower()
        for c in response.headers.get("content-encoding", "").split(",")
        if c.strip().lower() not in ("", "identity")
    ]
    if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
        raise FetchError(f"unsupported Content-Encoding: {one_line(', '.join(codings), 40)}")
    inflater = _Inflater(codings[0]) if codings else None
    body = bytearray()

    def take(piece: bytes) -> None:
        if len(body) + len(piece) > cap:
            raise FetchError(f"body exceeds {_size(cap)} cap")
        body.extend(piece)

    # aiter_raw, not aiter_bytes: httpx inflates a whole network chunk at once, which lets a
    # small gzip bomb allocate far more than the cap before any check can run.
    async for raw in response.aiter_raw():
        for piece in inflater.feed(raw) if inflater else (raw,):
            take(piece)
    if inflater:
        take(inflater.finish())
    return bytes(body)


_TELLING = (socket.gaierror, ssl.SSLError, ConnectionError)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what caused it, and so on; anyio wraps several attempts in a group."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(getattr(current, "exceptions", ()))
        todo.extend(c for c in (current.__cause__, current.__context__) if c is not None)


def _describe(exc: Exception, opts: Mapping) -> str:
    """A short readable reason for a network failure: no class names, no tracebacks."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timed out after {_secs(opts.connect_timeout)} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {_secs(opts.deadline)} s (deadline)"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return f"invalid URL: {one_line(str(exc))}"
    root = next((c for c in _causes(exc) if isinstance(c, _TELLING)), None)
    if isinstance(root, socket.gaierror):
        try:
            return f"DNS lookup failed for {exc.request.url.host}"
        except (AttributeError, RuntimeError):  # no request attached to this error
            return "DNS lookup failed"
    if isinstance(root, ssl.SSLCertVerificationError):
        return f"TLS certificate rejected: {one_line(root.verify_message or 'verify failed')}"
    if isinstance(root, ssl.SSLError):
        return f"TLS error: {one_line(root.reason or str(root))}"
    if isinstance(root, ConnectionRefusedError) or "refused" in str(exc).lower():
        return "connection refused"
    if isinstance(root, ConnectionResetError | BrokenPipeError):
        return "connection reset by the server"
    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc).lower()
        if "location header" in text:
            return "invalid redirect Location"
        if "disconnect" in text or "closed" in text or "incomplete" in text:
            return "connection closed by the server before the response was complete"
        if "buffer too long" in text:
            return "malformed HTTP response: headers too large"
        # h11 appends the offending bytes as a Python repr; the reader needs only the reason.
        return f"malformed HTTP response: {one_line(str(exc).partition(':')[0], 60)}"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect: {one_line(str(exc), 80) or 'network unreachable'}"
    if isinstance(exc, httpx.ReadError):
        return "connection lost while reading the response"
    return f"network error: {one_line(str(exc), 80) or 'unknown'}"


async def _follow(client: httpx.AsyncClient, request: FetchRequest, opts, allow_private):
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    timeout = httpx.Timeout(opts.deadline, connect=opts.connect_timeout)
    url, seen = request.url, set()
    for _hop in range(opts.max_redirects + 1):
        host, port = split_url(url)
        if not allow_private:
            # Also checked at connect time by our own client; this covers a caller's client
            # and requests that go through a proxy.
            await aresolve_checked(host, port)
        seen.add(url)
        outgoing = client.build_request("GET", url, headers=headers, timeout=timeout)
        try:
            response = await client.send(outgoing, stream=True, follow_redirects=False)
        except httpx.InvalidURL:
            # httpx prepares the next request from Location even when not following it.
            raise FetchError("invalid redirect Location") from None
        try:
            status = response.status_code
            if status in REDIRECTS:
                location = response.headers.get("location", "").strip()
                if not location:
                    raise FetchError(f"{_status_line(response)} without a Location header")
                try:
                    url = str(response.url.join(location))
                except (httpx.InvalidURL, ValueError):
                    raise FetchError("invalid redirect Location") from None
                if url in seen:
                    break
                continue
            if status != 304 and not 200 <= status < 300:
                failure = FetchError(_status_line(response))
                failure.status = status  # the ingest records it on the feed row
                # The watcher honours Retry-After (429, 503) and cache hints on failures too.
                failure.headers = {
                    k.lower(): v
                    for k, v in response.headers.items()
                    if k.lower() in ("retry-after", "cache-control", "expires")
                }
                raise failure
            body = None if status == 304 else await _read_capped(response, opts.max_bytes)
            kept = {
                k.lower(): v
                for k, v in response.headers.items()
                if k.lower() not in ("content-encoding", "content-length")  # body is decoded
            }
            return FetchResult(
                url=request.url,
                final_url=str(response.url),
                status=status,
                body=body,
                headers=kept,
                etag=kept.get("etag") or (request.etag if status == 304 else None),
                last_modified=kept.get("last-modified")
                or (request.last_modified if status == 304 else None),
            )
        finally:
            await response.aclose()
    raise FetchError(f"redirect loop or more than {opts.max_redirects} redirects")


async def _fetch(client, request: FetchRequest, opts, allow_private) -> FetchResult | FetchError:
    try:
        async with asyncio.timeout(opts.deadline):
            return await _follow(client, request, opts, allow_private)
    except TimeoutError:
        return FetchError(f"timed out after {_secs(opts.deadline)} s (deadline)")
    except FetchError as exc:
        return exc
    except httpx.HTTPError as exc:
        return FetchError(_describe(exc, opts))
    except httpx.InvalidURL as exc:
        return FetchError(f"invalid URL: {one_line(str(exc), 80)}")
    except Exception as exc:  # one feed's surprise must not end the run
        return FetchError(f"fetch failed: {one_line(str(exc), 80) or 'unexpected error'}")


# --- many feeds ------------------------------------------------------------------------------


def _host_key(url: str) -> str:
    try:
        return httpx.URL(url).host.lower()
    except (httpx.InvalidURL, TypeError):
        return ""


class _Runner:
    """The asyncio side of fetch_many, living in its own thread."""

    def __init__(self, requests, opts, allow_private, client) -> None:
        self.results: queue.SimpleQueue = queue.SimpleQueue()
        self._requests, self._opts = requests, opts
        self._allow_private, self._client = allow_private, client
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._credit: asyncio.Semaphore | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # a bug, not a feed's failure: let the caller see it
            self.results.put(exc)
        finally:
            self.results.put(_DONE)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            if self._loop is not None and self._task is not None:
                self._loop.call_soon_threadsafe(self._task.cancel)

    def consumed(self) -> None:
        with self._lock:
            if self._loop is not None and self._credit is not None:
                self._loop.call_soon_threadsafe(self._credit.release)

    async def _main(self) -> None:
        with self._lock:
            if self._stopping:
                return
            self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        # Name lookups run in the loop's executor; the default one has cpu+4 threads, fewer
        # than the feeds fetched at once on a small machine.
        self._loop.set_default_executor(
            ThreadPoolExecutor(self._opts.concurrency + 2, thread_name_prefix="chipwatch-dns")
        )
        try:
            # Finished results wait for the consumer; bounding them bounds memory when the
            # caller parses more slowly than feeds arrive.
            self._credit = asyncio.Semaphore(2 * self._opts.concurrency)
            every = asyncio.Semaphore(self._opts.concurrency)
            hosts: dict[str, asyncio.Semaphore] = {}
            client = self._client or _make_client(self._opts, self._allow_private)
            try:
                async with asyncio.TaskGroup() as group:
                    for request in self._requests:
                        key = _host_key(request.url)
                        host = hosts.setdefault(key, asyncio.Semaphore(self._opts.per_host))
                        group.create_task(self._one(client, request, host, every))
            finally:
                if self._client is None:
                    await client.aclose()
        finally:
            with self._lock:
                self._loop = None

    async def _one(self, client, request, host: asyncio.Semaphore, every: asyncio.Semaphore):
        # Host slot first: feeds queued behind a busy host must not hold global slots.
        async with host, every:
            await self._credit.acquire()
            outcome = await _fetch(client, request, self._opts, self._allow_private)
        self.results.put((request, outcome))


def fetch_many(
    requests: Iterable[FetchRequest],
    *,
    settings: Settings | Mapping | None = None,
    allow_private: bool = False,
    client: httpx.AsyncClient | None = None,
) -> Iterator[tuple[FetchRequest, FetchResult | FetchError]]:
    """Fetch feeds concurrently; yield (request, outcome) for each as soon as it completes.

    A feed's failure is its outcome (a FetchError with a one-line reason), never an exception.
    Closing the generator early cancels the fetches still running. A client passed in is used
    as is and not closed; it must not hold connections made on another event loop.
    """
    runner = _Runner(list(requests), Settings.of(settings), allow_private, client)
    thread = threading.Thread(target=runner.run, name="chipwatch-fetch", daemon=True)
    thread.start()
    try:
        while (item := runner.results.get()) is not _DONE:
            if isinstance(item, Exception):
                raise item
            runner.consumed()
            yield item
    finally:
        runner.stop()
        thread.join()


def fetch_one(request: FetchRequest, **kwargs) -> FetchResult:
    """Fetch one feed; raise FetchError when it cannot be fetched."""
    outcomes = fetch_many([request], **kwargs)
    try:
        _, outcome = next(outcomes)
    finally:
        outcomes.close()
    if isinstance(outcome, FetchError):
        raise outcome
    return outcome
