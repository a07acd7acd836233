"""The feed list: OPML in and out, and how ingest arguments become sources."""

from __future__ import annotations

import pytest

from dashboard.config import DEFAULT_OPML
from dashboard.errors import SourceError
from dashboard.ingest import sources as feeds


def test_bundled_opml_lists_at_least_twenty_real_http_feeds():
    sources = feeds.read_opml(DEFAULT_OPML)
    assert len(sources) >= 20
    assert all(s.kind == "url" and s.location.startswith("https://") for s in sources)


def test_opml_round_trip(tmp_path):
    path = tmp_path / "out.opml"
    feeds.write_opml(path, [("https://a.example/feed", "A & B"), ("https://b.example/rss", None)])
    back = feeds.read_opml(path)
    assert [(s.location, s.title) for s in back] == [
        ("https://a.example/feed", "A & B"),
        ("https://b.example/rss", "https://b.example/rss"),
    ]


@pytest.mark.parametrize(
    "content,reason",
    [
        (b"<opml><body><outline", "unreadable OPML"),
        (b"<rss version='2.0'></rss>", "not an OPML file"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>', "DOCTYPE"),
    ],
)
def test_bad_opml_gets_a_clear_error(tmp_path, content, reason):
    path = tmp_path / "bad.opml"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=reason):
        feeds.read_opml(path)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/feed", "javascript:alert(1)", "data:text/xml,<rss/>"],
)
def test_other_schemes_are_refused(url):
    with pytest.raises(SourceError, match="unsupported URL scheme"):
        feeds.url_source(url)


def test_resolve_mixes_urls_files_folders_opml_and_reports_bad_ones(tmp_path):
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "a.xml").write_text("<rss/>")
    (tmp_path / "dir" / "sub" / "b.atom").write_text("<feed/>")
    (tmp_path / "dir" / "notes.md").write_text("not a feed")
    opml = tmp_path / "list.opml"
    feeds.write_opml(opml, [("https://x.example/feed", "X"), ("ftp://y.example/feed", "Y")])
    sources, errors = feeds.resolve(
        [
            "https://z.example/rss",
            str(tmp_path / "dir"),
            str(opml),
            str(tmp_path / "missing.xml"),
            "javascript:alert(1)",
        ]
    )
    kinds = [(s.kind, s.location.rsplit("/", 1)[-1]) for s in sources]
    assert kinds == [
        ("url", "rss"),
        ("file", "a.xml"),
        ("file", "b.atom"),
        ("url", "feed"),
        ("invalid", "feed"),
    ]
    assert [e[0] for e in errors] == [str(tmp_path / "missing.xml"), "javascript:alert(1)"]
    assert "no such file" in errors[0][1] and "unsupported URL scheme" in errors[1][1]
