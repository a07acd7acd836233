"""Fetching from servers that stall, trickle, reset, lie about sizes or loop redirects."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import socket
import subprocess
import tracemalloc

import pytest

from dashboard.errors import FetchError
from dashboard.ingest import netguard as fetch  # the rebinding tests patch the guard's _kind
from dashboard.ingest.fetch import FetchRequest, fetch_one
from dashboard.ingest.netguard import _GuardedBackend
from tests.httpserver import FeedServer

MiB = 1024 * 1024
SMALL = {"deadline": 1, "connect_timeout": 1, "max_bytes": MiB}


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


def failure(url: str, settings=SMALL, **kwargs) -> str:
    with pytest.raises(FetchError) as caught:
        fetch_one(FetchRequest(url), allow_private=True, settings=settings, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message and "Error(" not in message
    return message


def test_a_server_that_never_answers_is_ended_by_the_deadline(server):
    url = server.route("/feed.xml", never_answer=True)
    assert failure(url) == "timed out after 1 s (deadline)"


def test_a_trickle_of_one_byte_a_second_is_ended_by_the_deadline(server):
    url = server.route("/feed.xml", body=b"<rss>" + b" " * 100 + b"</rss>", trickle=0.5)
    assert failure(url, {**SMALL, "deadline": 1.5}) == "timed out after 1.5 s (deadline)"
    assert server.requests_to("/feed.xml")  # it did start answering


def test_a_host_that_never_accepts_hits_the_connect_timeout():
    # A listen backlog of 0 filled by one connection makes the kernel drop further SYNs.
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        filler.connect(listener.getsockname())
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
        assert failure(url, {**SMALL, "connect_timeout": 0.3, "deadline": 5}) == (
            "connect timed out after 0.3 s"
        )


def test_a_reset_before_any_answer_reads_plainly(server):
    url = server.route("/feed.xml", body=b"<rss/>", reset_after=0)
    assert failure(url) == "connection reset by the server"


def test_a_reset_in_the_middle_of_the_body_reads_plainly(server):
    url = server.route("/feed.xml", body=b"x" * 200_000, reset_after=100_000)
    assert failure(url) == "connection reset by the server"


def test_a_body_shorter_than_announced_is_a_failure(server):
    url = server.route("/feed.xml", body=b"<rss/>", content_length=500)
    assert failure(url) == "connection closed by the server before the response was complete"


def test_an_announced_oversized_body_is_refused_before_reading(server):
    url = server.route("/feed.xml", body=lambda: iter([b"x" * 65536] * 64), content_length=4 * MiB)
    assert failure(url) == "body exceeds 1 MiB cap (Content-Length: 4194304)"


def test_an_unannounced_oversized_body_is_cut_off_while_streaming(server):
    url = server.route("/feed.xml", body=lambda: iter([b"x" * 65536] * 64), content_length=False)
    assert failure(url) == "body exceeds 1 MiB cap"


def test_a_body_exactly_at_the_cap_is_accepted(server):
    url = server.route("/feed.xml", body=b"y" * MiB)
    result = fetch_one(FetchRequest(url), allow_private=True, settings=SMALL)
    assert len(result.body) == MiB


def test_the_default_cap_is_ten_mib(server):
    url = server.route("/feed.xml", body=lambda: iter([b"x" * MiB] * 11), content_length=False)
    assert failure(url, {"deadline": 10}) == "body exceeds 10 MiB cap"


def test_a_gzip_bomb_is_capped_after_decompression_with_bounded_memory(server):
    bomb = gzip.compress(b"\0" * (64 * MiB), compresslevel=9)
    assert len(bomb) < MiB // 4  # small on the wire, so only the decoded size can trip the cap
    url = server.route("/feed.xml", body=bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        message = failure(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == "body exceeds 1 MiB cap"
    assert peak < 16 * MiB  # inflating the bomb whole would take 64 MiB


def test_a_huge_body_keeps_memory_bounded(server):
    chunk = b"z" * 65536
    url = server.route("/feed.xml", body=lambda: iter([chunk] * 4096), content_length=False)
    tracemalloc.start()
    try:
        message = failure(url, {**SMALL, "deadline": 10})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == "body exceeds 1 MiB cap"
    assert peak < 16 * MiB  # the body offered was 256 MiB


def test_garbage_declared_as_gzip_is_a_clear_failure(server):
    url = server.route("/feed.xml", body=b"not gzip at all", headers={"Content-Encoding": "gzip"})
    assert failure(url) == "body is not valid compressed data"


def test_truncated_gzip_is_a_clear_failure(server):
    url = server.route(
        "/feed.xml", body=gzip.compress(b"<rss>" * 1000)[:-20], headers={"Content-Encoding": "gzip"}
    )
    assert failure(url) == "compressed body ended early"


def test_an_unrequested_encoding_is_refused(server):
    url = server.route("/feed.xml", body=b"\x8b\x00", headers={"Content-Encoding": "br"})
    assert failure(url) == "unsupported Content-Encoding: br"


def test_a_redirect_loop_is_ended(server):
    url = server.route("/a.xml", status=302, headers={"Location": "/b.xml"})
    server.route("/b.xml", status=302, headers={"Location": "/a.xml"})
    assert failure(url) == "redirect loop or more than 5 redirects"
    assert len(server.requests) == 2


def test_more_than_five_redirects_are_not_followed(server):
    for i in range(7):
        server.route(f"/r{i}.xml", status=307, headers={"Location": f"/r{i + 1}.xml"})
    server.route("/r7.xml", body=b"<rss/>")
    assert failure(server.url("/r0.xml")) == "redirect loop or more than 5 redirects"
    assert len(server.requests) == 6  # the first request and five redirects, no more


def test_five_redirects_are_followed(server):
    for i in range(5):
        server.route(f"/r{i}.xml", status=308, headers={"Location": f"/r{i + 1}.xml"})
    server.route("/r5.xml", body=b"<rss/>")
    result = fetch_one(FetchRequest(server.url("/r0.xml")), allow_private=True, settings=SMALL)
    assert result.body == b"<rss/>" and result.final_url == server.url("/r5.xml")


def test_a_redirect_to_a_file_url_is_refused(server):
    url = server.route("/feed.xml", status=302, headers={"Location": "file:///etc/passwd"})
    assert failure(url) == "refused: file: URLs are not fetched (only http and https)"


def test_a_redirect_without_location_is_a_failure(server):
    url = server.route("/feed.xml", status=302)
    assert failure(url) == "HTTP 302 Found without a Location header"


def test_the_connect_time_guard_refuses_loopback_even_past_the_url_check(server):
    """What DNS rebinding would exploit: the address checked is the address connected to."""

    async def connect():
        await _GuardedBackend().connect_tcp("localhost", server.port, timeout=1)

    with pytest.raises(FetchError) as caught:
        asyncio.run(connect())
    assert "loopback address" in str(caught.value)
    assert server.requests == []


def test_dns_rebinding_between_check_and_connect_is_refused(server, monkeypatch):
    """The host looks public when checked, then turns loopback: the connection is refused."""
    url = server.route("/feed.xml", body=b"<rss/>")
    real = fetch._kind
    looks = iter([None])  # the first look says public, later looks tell the truth
    monkeypatch.setattr(fetch, "_kind", lambda address: next(looks, real(address)))
    with pytest.raises(FetchError) as caught:
        fetch_one(FetchRequest(url), settings=SMALL)
    assert str(caught.value).startswith("refused: 127.0.0.1 is a loopback address")
    assert server.requests == []


def test_the_guarded_connection_really_fetches_from_a_public_looking_host(server, monkeypatch):
    """With 127.0.0.1 deemed public, the guarded pool must connect and bring the body back."""
    url = server.route("/feed.xml", body=b"<rss>guarded</rss>")
    real = fetch._kind
    monkeypatch.setattr(fetch, "_kind", lambda a: None if a == "127.0.0.1" else real(a))
    result = fetch_one(FetchRequest(url), settings=SMALL)
    assert result.body == b"<rss>guarded</rss>"
    assert len(server.requests) == 1


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def test_an_untrusted_certificate_reads_plainly(self_signed):
    with FeedServer(tls=self_signed) as tls_server:
        url = tls_server.route("/feed.xml", body=b"<rss/>")
        message = failure(url)
    assert message.startswith("TLS certificate rejected: ")
    assert "self-signed" in message or "self signed" in message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "malformed HTTP response: illegal status line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nxx", "malformed HTTP response"),
        (
            b"HTTP/1.1 200 OK\r\n" + b"X-Filler: padding\r\n" * 50_000 + b"\r\n",
            "malformed HTTP response: headers too large",
        ),
        (b"", "connection closed by the server before the response was complete"),
    ],
)
def test_responses_that_are_not_http_read_plainly(server, raw, message):
    assert failure(server.route("/feed.xml", raw=raw)).startswith(message)


def test_a_redirect_to_javascript_is_refused(server):
    url = server.route("/feed.xml", status=302, headers={"Location": "javascript:alert(1)"})
    assert failure(url) == "invalid redirect Location"
    assert len(server.requests) == 1


def test_a_dns_answer_that_turns_private_after_the_check_is_refused_at_connect(server, monkeypatch):
    """DNS rebinding, with a real resolver call patched: the name answers a public address
    when the URL is checked, then 127.0.0.1. Only the connect-time guard (a private httpx
    hook, see netguard.guarded_transport) stands between that and a request to loopback:
    without it installed this test fails with the loopback server's body."""
    url = server.route("/feed.xml", body=b"<rss>internal</rss>")
    url = url.replace("127.0.0.1", "rebind.example")
    real = socket.getaddrinfo
    answers = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in ("rebind.example", b"rebind.example"):
            return real(host, port, *args, **kwargs)
        address = "93.184.215.14" if not answers else "127.0.0.1"
        answers.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(FetchError) as caught:
        fetch_one(FetchRequest(url), settings=SMALL)
    assert str(caught.value) == (
        "refused: rebind.example resolves to 127.0.0.1, a loopback address (use --allow-private)"
    )
    assert answers[0] == "93.184.215.14" and "127.0.0.1" in answers[1:]
    assert server.requests == []
    # The same name with private hosts allowed reaches the server: the refusal above was the
    # guard's, not a broken connection.
    result = fetch_one(FetchRequest(url), allow_private=True, settings=SMALL)
    assert result.body == b"<rss>internal</rss>"
