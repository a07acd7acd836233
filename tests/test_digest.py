"""The digest through the real store: its sections hold what the stored stories say, a hostile
title stays text in Markdown and in HTML, and the HTML is fit for an e-mail client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.errors import ChipwatchError
from dashboard.ingest import ingest
from dashboard.signals import digest
from dashboard.store import Store

NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
LABELS = {
    "hardware_autonomy": "Hardware autonomy",
    "geopolitics": "Geopolitics",
    "supply_chain": "Supply chain",
}


def feed(path, outlet: str, items: list[tuple[str, datetime]]) -> str:
    body = "".join(
        f"<item><title>{t}</title><link>https://{outlet.lower()}.example/{i}</link>"
        f"<pubDate>{at:%a, %d %b %Y %H:%M:%S} +0000</pubDate></item>"
        for i, (t, at) in enumerate(items)
    )
    path.write_text(f"<rss><channel><title>{outlet}</title>{body}</channel></rss>")
    return str(path)


@pytest.fixture
def store(tmp_path):
    day = NOW - timedelta(hours=6)
    old = NOW - timedelta(days=10)
    sources = [
        feed(
            tmp_path / "a.xml",
            "Wire",
            [
                ("US adds Huawei units to entity list in new export controls", day),
                ("Samsung chip plant fire halts memory output", old),
                ("Rapidus wins government subsidy for 2nm fab", day),
                (
                    "Antitrust probe into [click](javascript:alert(1)) &lt;b&gt;Nvidia&lt;/b&gt;"
                    " export controls deal widens",
                    day,
                ),
            ],
        ),
        feed(
            tmp_path / "b.xml",
            "Press",
            [
                (
                    "Huawei units added to US entity list as export controls tighten",
                    day + timedelta(hours=1),
                ),
            ],
        ),
    ]
    with Store(tmp_path / "d.db") as s:
        report = ingest(s, sources)
        assert report.new == 5
        yield s


def test_sections_follow_the_stored_stories(store):
    d = digest.collect(store, NOW - timedelta(hours=24), NOW, LABELS)
    geo = d.top_stories["Geopolitics"]
    assert geo, "the entity-list story must be among the geopolitics stories"
    # The two outlets' copies are one story, listed first (most outlets), escalating.
    top = geo[0]
    assert top.outlets == 2 and top.direction == "escalating" and "Huawei" in top.companies
    assert all(s.first_seen >= (NOW - timedelta(hours=24)).isoformat()[:10] for s in geo)
    # Samsung's fire is ten days old: not a story of this digest, and Samsung is no newcomer
    # because it was not in the news in the period.
    assert not any("Samsung" in s.title for v in d.top_stories.values() for s in v)
    newcomers = dict(d.newcomers)
    assert "Rapidus" in newcomers and "Samsung" not in newcomers
    assert d.feeds_ok == 2 and not d.feeds_failing


def test_markdown_and_html_keep_hostile_titles_as_text(store):
    d = digest.collect(store, NOW - timedelta(hours=24), NOW, LABELS)
    md = digest.markdown(d)
    assert "javascript:alert" not in md.replace("\\[click\\](javascript:alert(1))", "")
    assert "\\[click\\]" in md
    page = digest.html(d)
    assert "[click](javascript:alert(1))" in page and "<b>" not in page
    assert 'href="javascript' not in page
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "src=" not in page  # no external resources an e-mail client would block


def test_since_spans_and_dates():
    assert digest.parse_since("24h", NOW) == NOW - timedelta(hours=24)
    assert digest.parse_since("7d", NOW) == NOW - timedelta(days=7)
    assert digest.parse_since("2w", NOW) == NOW - timedelta(weeks=2)
    assert digest.parse_since("90m", NOW) == NOW - timedelta(minutes=90)
    assert digest.parse_since("2026-06-01", NOW) == datetime(2026, 6, 1, tzinfo=UTC)
    for bad in ("", "yesterday", "24", "-3d"):
        with pytest.raises(ChipwatchError, match="--since"):
            digest.parse_since(bad, NOW)
