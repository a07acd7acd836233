"""File-driven tests for dashboard.ingest.parse: one fixture file a case, whole-output assertions."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from dashboard.errors import ParseError
from dashboard.ingest.normalize import canonical_url, dedup_key
from dashboard.ingest.parse import DEMO_GENERATOR, parse
from dashboard.models import ParsedFeed

FEEDS = Path(__file__).parent / "data" / "feeds"
FETCHED = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
NOW = "2025-03-01T12:00:00Z"  # FETCHED as stored when an entry has no usable date


def load(name: str, feed_url: str | None = None, **kwargs) -> ParsedFeed:
    path = FEEDS / name
    kwargs.setdefault("fetched_at", FETCHED)
    return parse(path.read_bytes(), feed_url=feed_url or str(path), **kwargs)


def rows(parsed: ParsedFeed) -> list[tuple]:
    return [
        (h.title, h.summary, h.url, h.published_at, h.published_estimated) for h in parsed.headlines
    ]


def rss(items: str, title: str = "Generated", extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title>{extra}{items}</channel></rss>"
    ).encode()


# feed title, feed link, warning, skipped, headlines (title, summary, url, published_at, estimated)
EXPECTED = {
    "atom03.xml": (
        "Fab Ledger",
        "https://fabledger.example.net/",
        None,
        0,
        [
            (
                "Tool orders rebound",
                "Orders for deposition tools rose.",
                "https://fabledger.example.net/2025/02/tools",
                "2025-02-24T01:00:00Z",
                False,
            ),
            (
                "Only a modified date here",
                "",
                "https://fabledger.example.net/2025/02/modified",
                "2025-02-23T23:30:00Z",
                False,
            ),
        ],
    ),
    "atom10.xml": (
        "Accelerator Watch",
        "https://atom.example.com/",
        None,
        0,
        [
            (
                "TPU v7 details emerge",
                "A leak shows the layout.",
                "https://atom.example.com/blog/posts/tpu-v7/",
                "2025-02-26T16:00:00Z",
                False,
            ),
            (
                'Why <b> tags are literal in type="text"',
                "XHTML content only.",
                "https://mirror.example.com/a/b/c.html",
                "2025-02-25T05:45:00Z",
                False,
            ),
        ],
    ),
    "billion_laughs.xml": (
        "Laughing Stock",
        None,
        "not well-formed XML (line 6): undefined entity; 1 entries kept",
        0,
        [
            ("Bomb &lol9;", "&lol9;&lol9;&lol9;", None, NOW, True),
        ],
    ),
    "bozo_mismatched.xml": (
        "Sloppy Sentinel",
        None,
        "not well-formed XML (line 6): mismatched tag; 3 entries kept",
        0,
        [
            ("Fine entry one", "", None, "2025-02-24T09:00:00Z", False),
            ("Fine entry two", "Has an unclosed bold tag", None, NOW, True),
            ("Entry after the break", "", None, NOW, True),
        ],
    ),
    "dates_far.xml": (
        "Time Travel Today",
        None,
        None,
        0,
        [
            ("Epoch zero", "", None, NOW, True),
            ("Just before 1990", "", None, NOW, True),
            ("Year 2200", "", None, NOW, True),
            ("Three days ahead", "", None, NOW, True),
            ("Forty hours ahead", "", None, "2025-03-03T04:00:00Z", False),
            ("Future published, sane updated", "", None, "2025-02-28T08:00:00Z", False),
            ("First day of 1990", "", None, "1990-01-01T00:00:00Z", False),
        ],
    ),
    "demo_feed.xml": (
        "Chipwatch Demo Wire",
        "https://demo.chipwatch.invalid/wire/",
        None,
        0,
        [
            (
                "Synthetic headline",
                "",
                "https://demo.chipwatch.invalid/wire/1",
                "2025-02-24T09:00:00Z",
                False,
            ),
        ],
    ),
    "demo_feed_atom.xml": (
        "Chipwatch Demo Atom",
        None,
        None,
        0,
        [],
    ),
    "duplicates.xml": (
        "Echo Chamber",
        None,
        None,
        3,
        [
            ("Original with guid", "", "https://echo.example.com/1", NOW, True),
            ("Linked original", "", "https://echo.example.com/2", NOW, True),
            (
                "Micron expands its Boise fab with a second cleanroom, adding capacity for high-bandwidth memory from 2027 onwards…",
                "Micron expands its Boise fab with a second cleanroom, adding capacity for high-bandwidth memory from 2027 onwards according to the filing.",
                None,
                NOW,
                True,
            ),
        ],
    ),
    "empty_feed.xml": (
        "Quiet Quarterly",
        "https://quiet.example.com/",
        None,
        0,
        [],
    ),
    "fragment_guids.xml": (
        "Day Page Log",
        "https://daylog.example.com/",
        None,
        0,
        [
            (
                "First post of the day, about wafer prices.",
                "First post of the day, about wafer prices.",
                "https://daylog.example.com/2025/02/24.html",
                "2025-02-24T19:40:58Z",
                False,
            ),
            (
                "Second post, same page, another anchor.",
                "Second post, same page, another anchor.",
                "https://daylog.example.com/2025/02/24.html",
                "2025-02-24T15:26:03Z",
                False,
            ),
            (
                "A titled post with only an anchored link",
                "",
                "https://daylog.example.com/2025/02/24.html",
                NOW,
                True,
            ),
        ],
    ),
    "guid_feed_a.xml": (
        "Feed A",
        None,
        None,
        0,
        [
            ("Shared story", "", "https://wire.example.com/story/9", NOW, True),
            ("Numbered story", "", "https://a.example.com/123", NOW, True),
        ],
    ),
    "guid_feed_b.xml": (
        "Feed B",
        None,
        None,
        0,
        [
            ("Shared story, other headline", "", "https://wire.example.com/story/9", NOW, True),
            ("A different numbered story", "", "https://b.example.com/123", NOW, True),
        ],
    ),
    "invalid_utf8.xml": (
        "Broken Bytes édition",
        None,
        "invalid UTF-8: 1 bad byte sequence(s) replaced",
        0,
        [
            ("Café chips — one bad byte: � here", "", None, NOW, True),
            ("Second entry naïve", "", None, NOW, True),
        ],
    ),
    "jsonfeed10.json": (
        "Old JSON Feed",
        "https://old.example.io/",
        None,
        0,
        [
            ("Version one item", "", "https://old.example.io/1", "2025-02-01T08:00:00Z", False),
        ],
    ),
    "jsonfeed11.json": (
        "Edge Silicon Journal",
        "https://edge.example.io/",
        None,
        1,
        [
            (
                "RISC-V server chips reach tape-out",
                "Two vendors taped out this month.",
                "https://edge.example.io/p/risc-v",
                "2025-02-20T04:30:00Z",
                False,
            ),
            (
                "No title here, so the start of this text becomes the title of the entry.",
                "No title here, so the start of this text becomes the title of the entry.",
                "https://other.example.com/story",
                "2025-02-21T00:00:00Z",
                False,
            ),
            (
                "Relative link item",
                "Short & plain summary.",
                "https://edge.example.io/p/relative",
                NOW,
                True,
            ),
        ],
    ),
    "latin1_declared_utf8.xml": (
        "Latin Ledger",
        None,
        "encoding override: declared utf-8, read as windows-1252; 1 entries kept",
        0,
        [
            ("Café “smart quotes” in windows-1252", "", None, NOW, True),
        ],
    ),
    "markup_titles.xml": (
        "Markup & Mischief",
        None,
        None,
        0,
        [
            ("Nvidia", "", None, NOW, True),
            ("Intel roadmap slips", "", None, NOW, True),
            ("Why <b> is not bold", "", None, NOW, True),
            ("AT&T & Arm sign deal", "", None, NOW, True),
            ("**Huge** news: [click](javascript:alert(1)) _now_", "", None, NOW, True),
            ("Samsung HBM4 yields up", "", None, NOW, True),
            ("5 < 6 and 7 > 3 in TSMC's plan", "", None, NOW, True),
            ("Tabs and newlines collapse", "Caption été — done", None, NOW, True),
        ],
    ),
    "no_dates.xml": (
        "Undated Digest",
        None,
        None,
        0,
        [
            ("First undated", "", "https://undated.example.com/1", NOW, True),
            ("Second undated", "", "https://undated.example.com/2", NOW, True),
            ("Unparseable date", "", "https://undated.example.com/3", NOW, True),
        ],
    ),
    "no_guid.xml": (
        "No GUID Times",
        "https://noguid.example.com/",
        None,
        0,
        [
            (
                "Linked but no guid",
                "",
                "https://noguid.example.com/a",
                "2025-02-24T09:00:00Z",
                False,
            ),
            ("Neither guid nor link", "", None, "2025-02-24T10:00:00Z", False),
        ],
    ),
    "odd_timezones.xml": (
        "Time Zone Wire",
        None,
        None,
        0,
        [
            ("Kathmandu", "", None, "2025-02-24T04:15:00Z", False),
            ("Newfoundland", "", None, "2025-02-24T13:30:00Z", False),
            ("Eastern", "", None, "2025-02-24T15:00:00Z", False),
            ("Pacific daylight", "", None, "2025-02-24T17:00:00Z", False),
            ("Line Islands across midnight", "", None, "2025-02-23T11:30:00Z", False),
            ("W3C date with colon offset", "", None, "2025-02-24T04:15:00Z", False),
            ("New year in Chatham", "", None, "2024-12-31T10:45:00Z", False),
        ],
    ),
    "relative_links.xml": (
        "Relative Review",
        "https://relative.example.com/section/",
        None,
        0,
        [
            ("Root-relative", "", "https://relative.example.com/2025/root.html", NOW, True),
            ("Path-relative", "", "https://relative.example.com/section/story.html", NOW, True),
            ("Protocol-relative", "", "https://cdn.example.net/x", NOW, True),
            ("Leading space", "", "https://relative.example.com/space", NOW, True),
        ],
    ),
    "rss091.xml": (
        "Silicon Weekly",
        "http://silicon-weekly.example.com/",
        None,
        0,
        [
            (
                "Foundry capacity tightens in Q1",
                "Lead times for advanced nodes grew again.",
                "http://silicon-weekly.example.com/2025/foundry-capacity.html",
                NOW,
                True,
            ),
            (
                "Packaging start-up raises funds",
                "",
                "http://silicon-weekly.example.com/2025/packaging.html",
                NOW,
                True,
            ),
        ],
    ),
    "rss10_rdf.xml": (
        "Wafer Notes",
        "https://wafer.example.org/",
        None,
        0,
        [
            (
                "Export rules widen to lithography parts",
                "New licence requirements cover spare parts.",
                "https://wafer.example.org/notes/1",
                "2025-02-20T08:30:00Z",
                False,
            ),
            (
                "HBM supply sold out through next year",
                "",
                "https://wafer.example.org/notes/2",
                "2025-02-22T07:15:00Z",
                False,
            ),
        ],
    ),
    "rss20.xml": (
        "Compute & Power Daily",
        "https://compute.example.com/",
        None,
        0,
        [
            (
                "Nvidia books more CoWoS capacity",
                "The chipmaker secured extra packaging slots. More inside.",
                "https://compute.example.com/news/cowos",
                "2025-02-25T14:05:00Z",
                False,
            ),
            (
                "Datacenter grid hookups delayed",
                "Utilities say transformers are the bottleneck.",
                "https://compute.example.com/news/grid",
                "2025-02-26T08:00:00Z",
                False,
            ),
        ],
    ),
    "shared_link.xml": (
        "Chip Chat Podcast",
        "https://chipchat.example.fm/show",
        None,
        1,  # the repeated episode; the shared show link alone does not make them duplicates
        [
            (
                "Episode 3: packaging",
                "",
                "https://chipchat.example.fm/show",
                "2025-02-24T06:20:00Z",
                False,
            ),
            (
                "Episode 2: lithography",
                "",
                "https://chipchat.example.fm/show",
                "2025-02-17T06:20:00Z",
                False,
            ),
            (
                "Episode 1: memory",
                "",
                "https://chipchat.example.fm/show",
                "2025-02-10T06:20:00Z",
                False,
            ),
        ],
    ),
    "tracking_params.xml": (
        "Tracker Tribune",
        None,
        None,
        0,
        [
            ("All the trackers", "", "https://news.example.com/story?id=7&page=2", NOW, True),
            ("Default http port and empty path", "", "http://news.example.com/", NOW, True),
            ("Non-default port kept", "", "http://news.example.com:8080/a?b=1", NOW, True),
            ("Only trackers", "", "https://news.example.com/p", NOW, True),
            ("Credentials dropped", "", "https://news.example.com/private", NOW, True),
        ],
    ),
    "unsafe_links.xml": (
        "Unsafe Links",
        None,
        None,
        0,
        [
            ("javascript link", "", None, NOW, True),
            ("JavaScript with case and spaces", "", None, NOW, True),
            ("data link", "", None, NOW, True),
            ("file link", "", None, NOW, True),
            ("mailto link", "", None, NOW, True),
            ("vbscript link", "", None, NOW, True),
            ("ftp link", "", None, NOW, True),
            ("https link", "", "https://safe.example.com/ok", NOW, True),
        ],
    ),
    "wrong_encoding.xml": (
        "Mislabelled Gazette",
        None,
        "encoding override: declared us-ascii, read as utf-8; 1 entries kept",
        0,
        [
            ("Café talk: TSMC’s next node", "", None, NOW, True),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_whole_output(name):
    title, link, warning, skipped, expected_rows = EXPECTED[name]
    parsed = load(name)
    assert (parsed.title, parsed.link, parsed.warning, parsed.skipped) == (
        title,
        link,
        warning,
        skipped,
    )
    assert rows(parsed) == expected_rows
    for headline in parsed.headlines:
        assert re.fullmatch(r"[0-9a-f]{20}", headline.id)
        assert headline.source == (title or headline.source)
    assert len({h.id for h in parsed.headlines}) == len(parsed.headlines)


def test_every_fixture_is_covered():
    errors = {"html_page.xml", "empty.xml", "garbage.xml", "unknown_xml.xml", "bad_json.json"}
    errors |= {"json_not_feed.json"}
    on_disk = {p.name for p in FEEDS.iterdir()}
    assert on_disk == set(EXPECTED) | errors


# --- no feed at all ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("html_page.xml", "no feed found: looks like an HTML page"),
        ("empty.xml", "no feed found: empty document"),
        ("garbage.xml", "no feed found: binary data, not a text document"),
        (
            "unknown_xml.xml",
            "no feed found: unknown XML document (root <inventory>), no RSS, Atom or CDF entries",
        ),
        ("json_not_feed.json", "no feed found: JSON document is not a JSON Feed"),
    ],
)
def test_documents_without_a_feed_raise_parse_error(name, reason):
    with pytest.raises(ParseError) as caught:
        load(name)
    assert str(caught.value) == reason


def test_bad_json_is_a_parse_error_naming_the_position():
    with pytest.raises(ParseError, match=r"^invalid JSON: .*line 3 column 1"):
        load("bad_json.json")


@pytest.mark.parametrize("body", [b"   \n\t ", b"\xef\xbb\xbf", b"\x00" * 64, b"{}", b"[1, 2]"])
def test_degenerate_bodies_raise_parse_error(body):
    with pytest.raises(ParseError):
        parse(body, feed_url="https://example.com/feed")


def test_html_served_as_text_html_is_reported_as_a_page():
    body = (FEEDS / "html_page.xml").read_bytes()
    with pytest.raises(ParseError, match="looks like an HTML page"):
        parse(body, feed_url="https://example.com/", headers={"Content-Type": "text/html"})


def test_valid_feed_with_no_entries_is_not_an_error():
    parsed = load("empty_feed.xml")
    assert (parsed.title, parsed.link, parsed.headlines, parsed.warning) == (
        "Quiet Quarterly",
        "https://quiet.example.com/",
        [],
        None,
    )


def test_truncated_documents_never_raise_anything_but_parse_error():
    for path in sorted(FEEDS.iterdir()):
        body = path.read_bytes()
        for cut in {0, 1, 7, len(body) // 3, len(body) // 2, len(body) - 5}:
            try:
                result = parse(body[: max(cut, 0)], feed_url=str(path), fetched_at=FETCHED)
            except ParseError as exc:
                assert str(exc) and "\n" not in str(exc)
            else:
                assert isinstance(result, ParsedFeed)


# --- identity and duplicates ---------------------------------------------------------------


def test_same_document_parsed_twice_gives_the_same_keys():
    first = load("no_guid.xml", fetched_at=FETCHED)
    again = load("no_guid.xml", fetched_at=FETCHED + timedelta(hours=7))
    assert [h.id for h in first.headlines] == [h.id for h in again.headlines]


def test_undated_entry_without_guid_or_link_keeps_its_key_across_fetches():
    body = rss("<item><title>Undated, unlinked</title></item>")
    keys = {
        parse(body, feed_url="https://x.example/f", fetched_at=FETCHED + timedelta(days=d))
        .headlines[0]
        .id
        for d in range(3)
    }
    assert len(keys) == 1


def test_duplicates_within_a_document_keep_the_first():
    parsed = load("duplicates.xml")
    assert [h.title for h in parsed.headlines][:2] == ["Original with guid", "Linked original"]
    # repeated guid, same canonical link, and an entry with neither title nor summary
    assert parsed.skipped == 3


def test_url_guid_is_global_but_plain_guid_is_per_feed():
    a = load("guid_feed_a.xml", feed_url="https://a.example.com/rss")
    b = load("guid_feed_b.xml", feed_url="https://b.example.com/rss")
    assert a.headlines[0].id == b.headlines[0].id  # same article URL, tracking stripped
    assert a.headlines[1].id != b.headlines[1].id  # "123" in two feeds: two stories


def test_plain_guid_is_namespaced_by_the_feed_url_even_for_the_same_document():
    body = (FEEDS / "guid_feed_a.xml").read_bytes()
    one = parse(body, feed_url="https://one.example/rss", fetched_at=FETCHED)
    two = parse(body, feed_url="https://two.example/rss", fetched_at=FETCHED)
    assert one.headlines[0].id == two.headlines[0].id
    assert one.headlines[1].id != two.headlines[1].id


def test_dedup_key_rules():
    url_guid = dedup_key(feed_url="https://a.example/f", guid="https://x.example/s?utm_source=a")
    assert url_guid == dedup_key(feed_url="https://b.example/f", guid="HTTPS://X.example/s")
    # without a guid the canonical link decides, and matches a URL guid for the same page
    assert url_guid == dedup_key(feed_url="https://c.example/f", url="https://x.example:443/s")
    # an anchor tells posts apart on pages that hold a day's posts
    assert url_guid != dedup_key(feed_url="https://a.example/f", guid="https://x.example/s#a1")
    local = dedup_key(feed_url="https://a.example/f", guid="123")
    assert local != dedup_key(feed_url="https://b.example/f", guid="123")
    assert local == dedup_key(feed_url="https://a.example/f", guid="  123 ")
    text = dedup_key(feed_url="f", source="S", title="T", published_at="2025-01-01T00:00:00Z")
    assert text != dedup_key(feed_url="f", source="S", title="T", published_at="")
    assert all(re.fullmatch(r"[0-9a-f]{20}", k) for k in (url_guid, local, text))


def test_file_feed_identity_does_not_depend_on_how_the_path_is_spelled(monkeypatch):
    monkeypatch.chdir(FEEDS)
    relative = dedup_key(feed_url="guid_feed_a.xml", guid="123")
    absolute = dedup_key(feed_url=str(FEEDS / "guid_feed_a.xml"), guid="123")
    file_url = dedup_key(feed_url=(FEEDS / "guid_feed_a.xml").as_uri(), guid="123")
    assert relative == absolute == file_url


# --- links ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("HTTPS://Example.COM:443/a?b=1#c", None, "https://example.com/a?b=1"),
        ("http://example.com:80", None, "http://example.com/"),
        ("http://example.com:8080/x", None, "http://example.com:8080/x"),
        (
            "https://example.com/?utm_source=a&x=1&UTM_TERM=b&fbclid=c",
            None,
            "https://example.com/?x=1",
        ),
        (
            "https://example.com/?gclid=1&mc_cid=2&mc_eid=3&igshid=4&ref_src=5&cmpid=6",
            None,
            "https://example.com/",
        ),
        ("https://example.com/?a=1&&b=%20c+d", None, "https://example.com/?a=1&b=%20c+d"),
        ("https://user:pw@example.com/p", None, "https://example.com/p"),
        ("https://[2001:db8::1]:443/p", None, "https://[2001:db8::1]/p"),
        ("/a/b", "https://example.com/feed/", "https://example.com/a/b"),
        ("b", "https://example.com/feed/", "https://example.com/feed/b"),
        ("//cdn.example.com/x", "https://example.com/", "https://cdn.example.com/x"),
        ("https://other.example/x", "https://example.com/", "https://other.example/x"),
        ("javascript:alert(1)", None, None),
        ("javascript:alert(1)", "https://example.com/", None),
        (" JavaScript:alert(1)", None, None),
        ("data:text/html,hi", None, None),
        ("file:///etc/passwd", None, None),
        ("mailto:a@example.com", None, None),
        ("ftp://example.com/f", None, None),
        ("https://", None, None),
        ("https://example.com:99999/", None, None),
        ("http://[::1/", None, None),
        ("", None, None),
        (None, None, None),
        ("/relative/without/base", None, None),
        ("/relative", "/not/a/web/base", None),
    ],
)
def test_canonical_url(url, base, expected):
    assert canonical_url(url, base) == expected


def test_relative_links_resolve_against_the_document_url_when_fetched():
    parsed = load("relative_links.xml", feed_url="https://relative.example.com/feeds/rss.xml")
    assert [h.url for h in parsed.headlines] == [
        "https://relative.example.com/2025/root.html",
        "https://relative.example.com/feeds/story.html",
        "https://cdn.example.net/x",
        "https://relative.example.com/space",
    ]


def test_content_location_header_is_the_base_for_relative_links():
    parsed = load(
        "relative_links.xml",
        feed_url="https://feeds.example.org/relay?id=9",
        headers={
            "content-type": "application/rss+xml; charset=utf-8",
            "content-location": "https://relative.example.com/deep/feed.xml",
        },
    )
    assert parsed.headlines[1].url == "https://relative.example.com/deep/story.html"


def test_unsafe_feed_link_is_dropped_too():
    assert load("unsafe_links.xml").link is None


# --- text ----------------------------------------------------------------------------------


def test_huge_title_is_capped_on_a_word_boundary():
    words = " ".join(f"word{i}" for i in range(20000))  # ~128 KB
    assert len(words) > 100_000
    parsed = parse(rss(f"<item><title>{words}</title></item>"), feed_url="f", fetched_at=FETCHED)
    title = parsed.headlines[0].title
    assert len(title) <= 500 and title.endswith("…")
    kept = title[:-1]
    assert words.startswith(kept) and words[len(kept)] == " "
    assert len(kept) > 400


def test_caps_come_from_settings():
    summary = "alpha beta gamma delta epsilon zeta eta theta iota kappa " * 10
    body = rss(f"<item><title>{summary}</title><description>{summary}</description></item>")
    parsed = parse(body, feed_url="f", settings={"title_max": 30, "summary_max": 40})
    headline = parsed.headlines[0]
    assert headline.title == "alpha beta gamma delta…"
    assert headline.summary == "alpha beta gamma delta epsilon zeta eta…"


def test_huge_html_summary_is_capped_after_tag_removal():
    paragraph = "<p>" + "<span class='x'>chip</span> " * 50_000 + "</p>"
    body = rss(f"<item><title>t</title><description><![CDATA[{paragraph}]]></description></item>")
    summary = parse(body, feed_url="f").headlines[0].summary
    assert summary.startswith("chip chip") and summary.endswith("…")
    kept = summary[:-1]
    assert len(summary) <= 2000 and ("chip " * 50_000).startswith(kept + " ")


def test_entry_without_title_takes_the_start_of_its_summary():
    parsed = load("duplicates.xml")
    headline = parsed.headlines[-1]
    assert headline.title.endswith("…") and len(headline.title) <= 120
    assert headline.summary.startswith(headline.title[:-1])


# --- dates ---------------------------------------------------------------------------------


def test_naive_fetched_at_is_taken_as_utc_and_aware_is_converted():
    body = rss("<item><title>undated</title></item>")
    naive = parse(body, feed_url="f", fetched_at=datetime(2025, 3, 1, 12, 0, 0))
    tokyo = timezone(timedelta(hours=9))
    aware = parse(body, feed_url="f", fetched_at=datetime(2025, 3, 1, 21, 0, 0, tzinfo=tokyo))
    assert naive.headlines[0].published_at == aware.headlines[0].published_at == NOW


def test_missing_fetched_at_means_now():
    before = datetime.now(UTC).replace(microsecond=0)
    headline = parse(rss("<item><title>undated</title></item>"), feed_url="f").headlines[0]
    after = datetime.now(UTC)
    stamp = datetime.strptime(headline.published_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert headline.published_estimated and before <= stamp <= after


# --- encodings and warnings ----------------------------------------------------------------


def test_declared_charset_header_that_matches_gives_no_warning():
    parsed = load("wrong_encoding.xml", headers={"content-type": "application/xml; charset=utf-8"})
    assert parsed.warning is None
    assert parsed.headlines[0].title == "Café talk: TSMC’s next node"


def test_feed_served_as_text_html_is_not_warned_about_its_media_type():
    parsed = load("rss20.xml", headers={"Content-Type": "text/html; charset=utf-8"})
    assert parsed.warning is None and len(parsed.headlines) == 2


def test_text_xml_without_charset_reads_utf8_with_an_override_warning():
    parsed = load("wrong_encoding.xml", headers={"content-type": "text/xml"})
    assert parsed.warning == "encoding override: declared us-ascii, read as utf-8; 1 entries kept"
    assert parsed.headlines[0].title == "Café talk: TSMC’s next node"


def test_leading_blank_line_before_the_xml_declaration_is_not_a_warning():
    parsed = parse(b"\n\n" + (FEEDS / "rss20.xml").read_bytes(), feed_url="f")
    assert parsed.warning is None and len(parsed.headlines) == 2


def test_utf16_feed_is_read():
    body = (FEEDS / "rss10_rdf.xml").read_text("utf-8").replace('"utf-8"', '"utf-16"')
    parsed = parse(body.encode("utf-16"), feed_url="f", fetched_at=FETCHED)
    assert rows(parsed) == EXPECTED["rss10_rdf.xml"][4]


# --- JSON Feed and demo --------------------------------------------------------------------


def test_json_feed_demo_generator_and_numeric_ids():
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Demo JSON",
        "generator": DEMO_GENERATOR,
        "items": [{"id": 7, "title": "Seven"}, {"id": 7, "title": "Seven again"}],
    }
    parsed = parse(json.dumps(doc).encode(), feed_url="https://demo.example/feed.json")
    assert parsed.demo
    assert [h.title for h in parsed.headlines] == ["Seven"] and parsed.skipped == 1


def test_demo_flag_from_rss_and_atom_generators_only():
    assert load("demo_feed.xml").demo and load("demo_feed_atom.xml").demo
    assert not load("atom10.xml").demo and not load("rss20.xml").demo


def test_demo_feed_keys_match_the_demo_writer_keys():
    parsed = load("demo_feed.xml")
    link = "https://demo.chipwatch.invalid/wire/1"
    assert parsed.headlines[0].id == dedup_key(guid=link, feed_url="elsewhere", url=link)


# --- source --------------------------------------------------------------------------------


def test_source_falls_back_to_link_domain_then_feed_url():
    untitled = "<item><title>x</title></item>"
    with_link = rss(untitled, title="", extra="<link>https://www.outlet.example/</link>")
    assert parse(with_link, feed_url="f").headlines[0].source == "outlet.example"
    no_link = rss(untitled, title="")
    assert parse(no_link, feed_url="https://FEEDS.example.org/a").headlines[0].source == (
        "feeds.example.org"
    )
    assert parse(no_link, feed_url="/data/feeds/wire.xml").headlines[0].source == "wire.xml"


# --- security ------------------------------------------------------------------------------


def _fields(parsed: ParsedFeed) -> str:
    parts = [parsed.title or "", parsed.link or "", parsed.warning or ""]
    for h in parsed.headlines:
        parts += [h.id, h.source, h.title, h.summary, h.url or "", h.published_at]
    return "\n".join(parts)


@pytest.mark.parametrize("layout", ["multiline", "one-line", "parameter"])
def test_external_entities_never_reach_a_headline(tmp_path, layout):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE-4711")
    uri = secret.as_uri()
    decl = {
        "multiline": f'<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "{uri}">\n]>',
        "one-line": f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]>',
        "parameter": f'<!DOCTYPE rss [\n<!ENTITY % p SYSTEM "{uri}">\n%p;\n]>',
    }[layout]
    body = (
        f'<?xml version="1.0"?>\n{decl}\n<rss version="2.0"><channel><title>X &xxe;</title>'
        f"<item><title>Leak &xxe;</title><description>&xxe;</description>"
        f"<link>https://x.example/&xxe;</link></item></channel></rss>"
    ).encode()
    try:
        parsed = parse(body, feed_url=str(tmp_path / "feed.xml"))
    except ParseError as exc:
        assert "TOP-SECRET" not in str(exc)
    else:
        assert "TOP-SECRET" not in _fields(parsed)


def test_a_body_that_is_a_file_path_is_never_opened(tmp_path):
    secret = tmp_path / "feed.xml"
    secret.write_bytes(rss("<item><title>from disk</title></item>"))
    with pytest.raises(ParseError):
        parse(str(secret).encode(), feed_url="https://example.com/feed")


def test_billion_laughs_stays_small():
    parsed = load("billion_laughs.xml")
    assert len(_fields(parsed)) < 1000


def test_quadratic_entity_blowup_is_refused():
    value = "a" * 10_000
    refs = "&a;" * 50_000  # 150 KB of document, 500 MB if expanded
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "{value}">\n]>\n'
        f'<rss version="2.0"><channel><title>Q</title><item><title>{refs}</title></item>'
        "</channel></rss>"
    ).encode()
    with pytest.raises(ParseError, match="entity bomb"):
        parse(body, feed_url="f")
    with pytest.raises(ParseError, match="entity bomb"):
        parse(body.decode().encode("utf-16"), feed_url="f")


def test_small_internal_entities_still_work():
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY chip "Semiconductor">\n]>\n'
        b'<rss version="2.0"><channel><title>E</title>'
        b"<item><title>&chip; news</title></item></channel></rss>"
    )
    assert parse(body, feed_url="f").headlines[0].title == "Semiconductor news"


# --- volume --------------------------------------------------------------------------------


def test_ten_thousand_entries():
    items = "".join(
        f"<item><title>Story {i} &amp;amp; more</title>"
        f"<link>https://bulk.example.com/{i}?utm_source=rss</link>"
        f"<pubDate>Mon, 24 Feb 2025 {i % 24:02d}:{i % 60:02d}:00 +0000</pubDate>"
        f"<description>&lt;p&gt;Body {i}&lt;/p&gt;</description></item>"
        for i in range(10_000)
    )
    parsed = parse(rss(items, title="Bulk"), feed_url="https://bulk.example.com/feed")
    assert len(parsed.headlines) == 10_000 and parsed.skipped == 0
    assert len({h.id for h in parsed.headlines}) == 10_000
    last = parsed.headlines[-1]
    assert (last.title, last.summary, last.url, last.published_at) == (
        "Story 9999 & more",
        "Body 9999",
        "https://bulk.example.com/9999",
        "2025-02-24T15:39:00Z",
    )


def test_a_lone_angle_bracket_in_html_text_is_kept():
    body = rss(
        "<item><title>x</title><description>&lt;p&gt;5 &lt; 6 and more&lt;/p&gt;</description></item>"
    )
    assert parse(body, feed_url="f").headlines[0].summary == "5 < 6 and more"


def test_entity_bomb_behind_whitespace_padding_is_still_refused():
    value = "b" * 10_000
    body = (
        '<?xml version="1.0"?>' + " " * 70_000 + f'\n<!DOCTYPE rss [\n<!ENTITY b "{value}">\n]>\n'
        '<rss version="2.0"><channel><title>P</title><item><title>'
        + "&b;" * 50_000
        + "</title></item></channel></rss>"
    ).encode()
    with pytest.raises(ParseError, match="entity bomb"):
        parse(body, feed_url="f")


def test_a_story_repeated_in_one_feed_still_matches_its_copy_elsewhere():
    item = "<item><title>Same story</title><link>https://n.example/s?utm_source=a</link></item>"
    twice = parse(rss(item + item, title="A"), feed_url="https://a.example/rss")
    once = parse(rss(item, title="B"), feed_url="https://b.example/rss")
    assert len(twice.headlines) == 1 and twice.skipped == 1
    assert twice.headlines[0].id == once.headlines[0].id


@pytest.mark.parametrize(
    "url",
    [
        "https://demo.chipwatch.invalid/demo-wire/2026/01/02/story-5",
        "http://example.com/a/b.html",
        "http://Example.com/A",
        "https://x.com./p",
        "https://x.com:443/p",
        "https://a.b/c%20d",
        "https://x.com/p?utm_source=1&id=2",
        "https://x.com/p#frag",
        "https://user:pw@x.com/p",
    ],
)
def test_canonical_url_fast_path_agrees_with_the_full_path(url, monkeypatch):
    from dashboard.ingest import normalize

    fast = normalize.canonical_url(url)
    monkeypatch.setattr(normalize, "_PLAIN_URL", re.compile(r"(?!)"))  # never matches
    assert fast == normalize.canonical_url(url)
