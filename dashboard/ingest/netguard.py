"""The address guard: feeds stay away from loopback, private and link-local hosts unless the
user allows them.

A URL is checked before each hop (check_url, split_url + aresolve_checked) and again when
the connection is made (guarded_transport), so the address connected to is an address checked.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable

import httpcore
import httpx

from dashboard.errors import FetchError, PolicyRefusal

_HOSTNAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?")


def one_line(text: str, limit: int = 160) -> str:
    """`text` on one line of at most `limit` characters, for an error message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_url(url: str) -> tuple[str, int]:
    """Host and port of an http(s) URL, or FetchError saying why it is not fetched."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError(f"invalid URL: {one_line(str(exc))}") from None
    scheme = parsed.scheme.lower()
    if scheme not in ("http", "https"):
        shown = scheme or "schemeless"
        raise FetchError(f"refused: {shown}: URLs are not fetched (only http and https)")
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise FetchError("invalid URL: no host")
    # httpx percent-encodes what cannot be in a host name; such a name is a typo, not a host.
    if _literal(host) is None and not _HOSTNAME.fullmatch(host):
        raise FetchError(f"invalid URL: bad host name {one_line(host, 60)}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise FetchError(f"invalid URL: bad port {parsed.port}")
    return host, parsed.port or (443 if scheme == "https" else 80)


def _kind(address: str) -> str | None:
    """Why an address is not public, or None when it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("non-public", not ip.is_global),
    ):
        if flag:
            return kind
    return None


def _refuse(host: str, addresses: Iterable[str]) -> None:
    for address in addresses:
        kind = _kind(address)
        if kind is None:
            continue
        article = "an" if kind[0] in "aeiou" else "a"
        bare = host.strip("[]")
        what = f"{bare} is" if bare == address else f"{bare} resolves to {address},"
        raise PolicyRefusal(f"refused: {what} {article} {kind} address (use --allow-private)")


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _addresses(host: str, infos: Iterable[tuple]) -> list[str]:
    found = list(dict.fromkeys(str(info[4][0]) for info in infos))
    _refuse(host, found)
    return found


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse non-http(s) URLs and, unless allowed, hosts with any non-public address.

    Resolution only: nothing is sent to the host.
    """
    host, port = split_url(url)
    if not allow_private:
        _resolve_checked(host, port)


def _resolve_checked(host: str, port: int) -> list[str]:
    if (literal := _literal(host)) is not None:
        return _addresses(literal, [(None, None, None, None, (literal,))])
    try:
        return _addresses(host, socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    except (OSError, UnicodeError):
        raise FetchError(f"DNS lookup failed for {host}") from None


async def aresolve_checked(host: str, port: int) -> list[str]:
    """_resolve_checked off the event loop: loop.getaddrinfo is this same executor call."""
    return await asyncio.get_running_loop().run_in_executor(None, _resolve_checked, host, port)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve once, check every address, connect to a checked one.

    The check before each hop alone would leave a gap: DNS could answer differently when the
    connection is made (DNS rebinding). Here the address connected to is the address checked.
    """

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = await aresolve_checked(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # getaddrinfo never answers with an empty list
        raise failure

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise FetchError("refused: unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle takes about 70 ms: once a process, not once a fetch run (the
    watcher starts a run every cycle). An SSLContext may be shared between connections."""
    return httpx.create_ssl_context()


def guarded_transport(limits: httpx.Limits, allow_private: bool) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go only to checked addresses, unless allowed."""
    ssl_context = _ssl_context()
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    if not allow_private:
        # httpx (to 0.29) offers no public hook for the network backend (encode/httpx#3749 is
        # open), so the transport's pool is replaced by one with the same settings plus the
        # guard: pyproject pins httpx below the next minor, and test_fetch_hostile's
        # rebinding test fails if the guard is not in the path. Fail closed, not open.
        if not isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError(
                f"httpx {httpx.__version__}: the connect-time address guard cannot be installed"
            )
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(),
        )
    return transport
