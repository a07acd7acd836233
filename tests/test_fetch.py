"""Fetching against a real HTTP server on 127.0.0.1: the everyday cases."""

from __future__ import annotations

import gzip
import threading

import httpx
import pytest

from dashboard.config import USER_AGENT
from dashboard.errors import FetchError
from dashboard.ingest.fetch import FetchRequest, fetch_many, fetch_one
from dashboard.ingest.netguard import check_url
from tests.httpserver import FeedServer, InFlight, closed_port

RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>Chips</title></channel></rss>"
QUICK = {"deadline": 5, "connect_timeout": 2}


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


def get(url: str, **kwargs):
    kwargs.setdefault("settings", QUICK)
    return fetch_one(FetchRequest(url), allow_private=True, **kwargs)


def test_200_brings_back_body_status_and_lower_cased_headers(server):
    url = server.route(
        "/feed.xml",
        body=RSS,
        headers={"Content-Type": "application/rss+xml", "ETag": '"v1"', "X-Chip": "H100"},
    )
    result = get(url)
    assert result.status == 200
    assert result.body == RSS
    assert result.url == url and result.final_url == url
    assert result.headers["content-type"] == "application/rss+xml"
    assert result.headers["x-chip"] == "H100"
    assert result.etag == '"v1"'
    assert not result.not_modified


def test_honest_user_agent_and_encodings_are_sent(server):
    get(server.route("/feed.xml", body=RSS))
    (seen,) = server.requests_to("/feed.xml")
    assert seen.headers["user-agent"] == USER_AGENT
    assert seen.headers["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in seen.headers and "if-modified-since" not in seen.headers


def test_304_on_matching_etag_carries_if_none_match(server):
    url = server.route("/feed.xml", body=RSS, etag='"abc"')
    result = fetch_one(FetchRequest(url, etag='"abc"'), allow_private=True, settings=QUICK)
    assert result.status == 304 and result.not_modified
    assert result.body is None
    assert result.etag == '"abc"'
    assert server.requests_to("/feed.xml")[0].headers["if-none-match"] == '"abc"'


def test_stale_etag_gets_the_full_body(server):
    url = server.route("/feed.xml", body=RSS, etag='"new"')
    result = fetch_one(FetchRequest(url, etag='"old"'), allow_private=True, settings=QUICK)
    assert result.status == 200 and result.body == RSS and result.etag == '"new"'


def test_304_on_matching_last_modified_carries_if_modified_since(server):
    stamp = "Tue, 04 Mar 2025 10:00:00 GMT"
    url = server.route("/feed.xml", body=RSS, last_modified=stamp)
    result = fetch_one(FetchRequest(url, last_modified=stamp), allow_private=True, settings=QUICK)
    assert result.status == 304 and result.body is None
    assert result.last_modified == stamp
    assert server.requests_to("/feed.xml")[0].headers["if-modified-since"] == stamp


@pytest.mark.parametrize(
    ("status", "message"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")]
)
def test_http_errors_are_fetch_errors(server, status, message):
    url = server.route("/feed.xml", status=status, body=b"nope")
    with pytest.raises(FetchError) as caught:
        get(url)
    assert str(caught.value) == message
    assert caught.value.status == status


def test_connection_refused_reads_plainly():
    with pytest.raises(FetchError) as caught:
        get(f"http://127.0.0.1:{closed_port()}/feed.xml")
    assert str(caught.value) == "connection refused"


def test_gzip_body_is_decoded_and_the_headers_say_so(server):
    url = server.route("/feed.xml", body=RSS * 50, gzip=True)
    result = get(url)
    assert result.body == RSS * 50
    assert "content-encoding" not in result.headers
    assert "content-length" not in result.headers


def test_multi_member_gzip_is_decoded_whole(server):
    url = server.route(
        "/feed.xml",
        body=gzip.compress(b"<rss>") + gzip.compress(b"</rss>"),
        headers={"Content-Encoding": "gzip"},
    )
    assert get(url).body == b"<rss></rss>"


def test_chunked_body_without_content_length(server):
    url = server.route("/feed.xml", body=lambda: iter([RSS[:10], RSS[10:]]))
    assert get(url).body == RSS


def test_redirect_then_200_reports_the_final_url(server):
    final = server.route("/new.xml", body=RSS)
    start = server.route("/old.xml", status=301, headers={"Location": "/new.xml"})
    result = get(start)
    assert result.body == RSS
    assert result.url == start and result.final_url == final
    assert [s.path for s in server.requests] == ["/old.xml", "/new.xml"]


def test_conditional_headers_follow_a_redirect(server):
    server.route("/new.xml", body=RSS, etag='"e"')
    start = server.route("/old.xml", status=302, headers={"Location": server.url("/new.xml")})
    result = fetch_one(FetchRequest(start, etag='"e"'), allow_private=True, settings=QUICK)
    assert result.not_modified


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/feed.xml", "javascript:alert(1)", "data:,hello"],
)
def test_other_schemes_are_refused(url):
    with pytest.raises(FetchError) as caught:
        fetch_one(FetchRequest(url), allow_private=True)
    assert "only http and https" in str(caught.value)
    with pytest.raises(FetchError):
        check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url", ["http://[not-a-host/", "http://exa mple.com/", "http:///feed", "http://host:99999/"]
)
def test_a_bad_url_is_an_outcome_not_an_exception(url):
    # Refused before any DNS lookup: nothing here may leave the machine.
    outcomes = list(fetch_many([FetchRequest(url)], allow_private=True))
    assert len(outcomes) == 1 and isinstance(outcomes[0][1], FetchError)
    assert str(outcomes[0][1]).startswith("invalid URL")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.0.0.1/feed", "refused: 10.0.0.1 is a private address (use --allow-private)"),
        ("http://192.168.1.1/", "refused: 192.168.1.1 is a private address (use --allow-private)"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is a link-local address (use --allow-private)",
        ),
        ("http://[::1]:8080/", "refused: ::1 is a loopback address (use --allow-private)"),
        ("http://127.0.0.1/", "refused: 127.0.0.1 is a loopback address (use --allow-private)"),
        ("http://0.0.0.0/", "refused: 0.0.0.0 is an unspecified address (use --allow-private)"),
        ("http://[::ffff:10.1.2.3]/", "is a private address (use --allow-private)"),
        ("http://224.0.0.1/", "refused: 224.0.0.1 is a multicast address"),
    ],
)
def test_check_url_refuses_non_public_literals(url, message):
    with pytest.raises(FetchError) as caught:
        check_url(url, allow_private=False)
    assert message in str(caught.value)
    check_url(url, allow_private=True)  # the user may allow it


def test_check_url_refuses_a_hostname_resolving_to_loopback():
    with pytest.raises(FetchError) as caught:
        check_url("http://localhost:9/feed.xml", allow_private=False)
    message = str(caught.value)
    assert message.startswith("refused: localhost resolves to ")
    assert message.endswith("a loopback address (use --allow-private)")


def test_check_url_lets_a_public_literal_through():
    check_url("https://93.184.215.14/feed.xml", allow_private=False)


def test_fetch_refuses_loopback_by_default(server):
    url = server.route("/feed.xml", body=RSS)
    with pytest.raises(FetchError) as caught:
        fetch_one(FetchRequest(url), settings=QUICK)
    assert "loopback address" in str(caught.value)
    assert server.requests == []


def test_redirect_to_a_private_address_is_refused_before_any_request():
    """A mock transport: the guard must stop the hop without sending to 169.254.169.254."""
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    with pytest.raises(FetchError) as caught:
        fetch_one(FetchRequest("http://93.184.215.14/feed.xml"), client=client)
    assert "169.254.169.254 is a link-local address" in str(caught.value)
    assert asked == ["http://93.184.215.14/feed.xml"]


def test_many_feeds_from_one_host_never_exceed_two_in_flight(server):
    urls = [server.route(f"/f{i}.xml", body=RSS, delay=0.1) for i in range(10)]
    outcomes = list(fetch_many([FetchRequest(u) for u in urls], allow_private=True))
    assert sorted(r.url for r, _ in outcomes) == sorted(urls)
    assert all(o.body == RSS for _, o in outcomes)
    assert server.in_flight.peak == 2


def test_concurrency_caps_the_whole_run():
    shared = InFlight()
    hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    servers = [FeedServer(host, shared=shared).start() for host in hosts]
    try:
        urls = [s.route(f"/f{i}.xml", body=RSS, delay=0.1) for s in servers for i in range(4)]
        outcomes = list(
            fetch_many(
                [FetchRequest(u) for u in urls],
                allow_private=True,
                settings={"concurrency": 3, "per_host": 2},
            )
        )
    finally:
        for s in servers:
            s.stop()
    assert len(outcomes) == 12 and all(o.status == 200 for _, o in outcomes)
    assert shared.peak == 3
    assert all(s.in_flight.peak <= 2 for s in servers)


def test_a_slow_feed_does_not_hold_back_a_fast_one(server):
    gate = threading.Event()
    slow = server.route("/slow.xml", body=b"<rss>slow</rss>", gate=gate)
    fast = server.route("/fast.xml", body=b"<rss>fast</rss>")
    order = []
    for request, outcome in fetch_many(
        [FetchRequest(slow), FetchRequest(fast)], allow_private=True, settings=QUICK
    ):
        order.append(request.url)
        assert outcome.status == 200
        gate.set()  # the slow feed may only finish once the fast one is in our hands
    assert order == [fast, slow]


def test_closing_early_cancels_the_fetches_still_running(server):
    fast = server.route("/fast.xml", body=RSS)
    hung = [server.route(f"/hang{i}.xml", never_answer=True) for i in range(2)]
    outcomes = fetch_many(
        [FetchRequest(u) for u in [*hung, fast]],
        allow_private=True,
        settings={"deadline": 60, "per_host": 3},
    )
    request, _ = next(outcomes)
    assert request.url == fast
    outcomes.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("chipwatch-")]
    # The server notices the hung-up connections; wait on that, not on a clock.
    stop = threading.Event()
    for _ in range(100):
        if server.hung_up == 2:
            break
        stop.wait(0.05)
    assert server.hung_up == 2


def test_every_request_gets_exactly_one_outcome(server):
    good = server.route("/good.xml", body=RSS)
    missing = server.url("/missing.xml")
    bad = "ftp://example.com/feed"
    refused = f"http://127.0.0.1:{closed_port()}/"
    requests = [FetchRequest(u) for u in (good, missing, bad, refused)]
    outcomes = dict(fetch_many(requests, allow_private=True, settings=QUICK))
    assert set(outcomes) == set(requests)
    assert outcomes[requests[0]].body == RSS
    assert [str(outcomes[r]) for r in requests[1:]] == [
        "HTTP 404 Not Found",
        "refused: ftp: URLs are not fetched (only http and https)",
        "connection refused",
    ]


def test_finished_results_wait_for_a_slow_consumer_in_bounded_number(server):
    """With concurrency 1 at most two results wait unread, so a third fetch does not start."""
    urls = [server.route(f"/f{i}.xml", body=RSS) for i in range(8)]
    outcomes = fetch_many(
        [FetchRequest(u) for u in urls], allow_private=True, settings={"concurrency": 1}
    )
    first = [next(outcomes)]
    pause = threading.Event()
    for _ in range(100):  # until the fetcher has filled what it may hold
        if len(server.requests) >= 3:
            break
        pause.wait(0.05)
    pause.wait(0.3)  # room for a fetch that should not happen
    assert len(server.requests) == 3
    rest = list(outcomes)
    assert len(first + rest) == 8 and all(o.body == RSS for _, o in first + rest)


@pytest.mark.parametrize("allow_private", [False, True])
def test_a_name_that_cannot_resolve_reads_plainly(allow_private):
    # A 64-character label fails inside the resolver call itself: no query leaves the machine.
    host = "a" * 64 + ".example"
    with pytest.raises(FetchError) as caught:
        fetch_one(FetchRequest(f"http://{host}/feed.xml"), allow_private=allow_private)
    assert str(caught.value) == f"DNS lookup failed for {host}"
