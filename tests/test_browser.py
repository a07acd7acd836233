"""The dashboard in a real browser: `streamlit run` on a free port, Debian's chromium through
Playwright. Screenshots of every page land in artefacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_server, wait_for_app

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artefacts" / "screenshots"
MARKER = "pwnedmarker"
# Titles are double-escaped in the feed so that, once parsed to plain text, they still
# contain markup: the dashboard must show it as text.
HOSTILE_FEED = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Hostile Test Wire</title>
<link>https://hostile.example.com/</link><description>test</description>
<item><title>&amp;lt;script&amp;gt;window.__pwned=1&amp;lt;/script&amp;gt; Nvidia hit by export controls {MARKER}</title>
<link>https://hostile.example.com/a</link><guid>hostile-1</guid>
<pubDate>Thu, 19 Nov 2026 23:00:00 GMT</pubDate></item>
<item><title>[click me](javascript:alert(1)) &amp;lt;img src=x onerror=window.__pwned=2&amp;gt; TSMC export controls {MARKER}</title>
<link>javascript:alert(1)</link><guid>hostile-2</guid>
<pubDate>Thu, 19 Nov 2026 22:00:00 GMT</pubDate></item>
</channel></rss>
"""


@pytest.fixture(scope="module")
def app_db(seeded_db_template, tmp_path_factory) -> Path:
    from dashboard.ingest import ingest
    from dashboard.store import Store

    base = tmp_path_factory.mktemp("browser")
    db = base / "chipwatch.db"
    shutil.copy(seeded_db_template, db)
    feed = base / "hostile.xml"
    feed.write_text(HOSTILE_FEED, encoding="utf-8")
    with Store(db) as store:
        report = ingest(store, [str(feed)])
        assert report.new == 2, report.summary()
        titles = [
            r[0]
            for r in store.conn.execute(
                "SELECT title FROM headlines WHERE title LIKE ?", (f"%{MARKER}%",)
            )
        ]
    assert any("<script>" in t for t in titles), titles
    return db


@pytest.fixture(scope="module")
def server(app_db, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with streamlit_server(app_db, tmp_path_factory.mktemp("logs")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 2000}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    pg.errors = errors
    yield pg
    context.close()


def no_exception(pg) -> None:
    assert pg.locator("[data-testid='stException']").count() == 0, pg.locator(
        "[data-testid='stException']"
    ).first.inner_text()


@pytest.mark.parametrize(
    "path,title",
    [
        ("", "Overview"),
        ("timeline", "Timeline"),
        ("heatmaps", "Heatmaps"),
        ("headlines", "Headlines"),
        ("feeds", "Feeds"),
        ("taxonomy", "Taxonomy"),
    ],
)
def test_every_page_renders(server, page, path, title):
    page.goto(f"{server}/{path}")
    wait_for_app(page)
    assert page.locator("[data-testid='stMain'] h1").first.inner_text().strip() == title
    assert "SYNTHETIC" in page.locator("[data-testid='stAlert']").first.inner_text()
    no_exception(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{path or 'overview'}.png"))


def test_filters_travel_with_the_page_links(server, page):
    page.goto(f"{server}/headlines?company=Nvidia&theme=geopolitics")
    wait_for_app(page)
    page.locator("[data-testid='stSidebar'] a", has_text="Timeline").click()
    page.wait_for_url("**/timeline?*")
    wait_for_app(page)
    assert "company=Nvidia" in page.url and "theme=geopolitics" in page.url
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert "Nvidia" in sidebar


def test_headlines_csv_holds_only_the_filtered_rows(server, page):
    from dashboard.tagging.taxonomy import load_taxonomy

    page.goto(f"{server}/headlines?company=Nvidia&theme=geopolitics")
    wait_for_app(page)
    no_exception(page)
    button = page.locator(
        "[data-testid='stDownloadButton'] button", has_text="Download all headlines as CSV"
    )
    with page.expect_download() as info:
        button.click()
    text = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows, text[:500]
    label = button.inner_text()
    assert f"({len(rows):,} rows)" in label
    threshold = {t.id: t for t in load_taxonomy().themes}["geopolitics"].threshold
    for row in rows:
        assert "Nvidia" in row["companies"].split("; ") or "Nvidia" in row["companies"], row
        assert float(row["geopolitics_score"]) >= threshold, row
    # The page is still there after the download: no rerun wiped it.
    no_exception(page)
    assert page.locator("[data-testid='stMain'] h1").first.inner_text().strip() == "Headlines"


def test_story_counts_agree_with_both_csvs_of_the_view(server, page):
    """The Headlines page counts stories; its stories CSV has one row for each, and the
    headlines CSV of the same view names exactly those story ids."""
    page.goto(f"{server}/headlines?company=Nvidia")
    wait_for_app(page)
    no_exception(page)

    def download(label: str) -> list[dict]:
        button = page.locator("[data-testid='stDownloadButton'] button", has_text=label)
        with page.expect_download() as info:
            button.click()
        text = Path(info.value.path()).read_bytes().decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))

    stories = download("Stories as CSV")
    heads = download("Download all headlines as CSV")
    main = page.locator("[data-testid='stMain']").inner_text()
    assert f"{len(stories):,} stories ({len(heads):,} headlines) match" in main
    assert {r["story_id"] for r in heads} == {r["story_id"] for r in stories}
    assert sum(int(r["matching"]) for r in stories) == len(heads) > len(stories)


def test_clicking_a_heatmap_cell_lists_its_headlines(server, page, app_db):
    from dashboard.filters import Filters
    from dashboard.store import Store, queries

    page.goto(f"{server}/heatmaps")
    wait_for_app(page)
    with Store(app_db, readonly=True) as store:
        cells = queries.risk_cells(store, Filters())
    # Markers are drawn in the order of the cells; pick one that is not the pickers' default.
    i = next(k for k, r in cells.iterrows() if r["company"] != cells["company"][0] and r["n"] >= 2)
    company, theme = cells["company"][i], cells["theme"][i]
    chart = page.locator("[data-testid='stPlotlyChart']").first
    point = chart.locator(".scatterlayer .trace .points path").nth(i)
    label = page.locator("[data-testid='stMain'] h4", has_text=f"{company} · ")
    # Plotly's drag layer sits above the markers, so click where the marker is drawn. A click
    # that lands before plotly has bound its handlers is lost: click again, a few times at most.
    for attempt in range(4):
        box = point.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            label.first.wait_for(timeout=15_000)
            break
        except PlaywrightTimeout:
            if attempt == 3:
                raise
    wait_for_app(page)
    heading = label.first.inner_text()
    assert heading.startswith(f"{company} · ")
    from dashboard.tagging.taxonomy import load_taxonomy

    theme_label = {t.id: t.label for t in load_taxonomy().themes}[theme]
    assert theme_label in heading
    with Store(app_db, readonly=True) as store:
        n = queries.count(store, Filters(companies=(company,), themes=(theme,)))
    caption = page.locator(
        "[data-testid='stMain'] [data-testid='stCaptionContainer']",
        has_text="highest theme score first",
    ).first.inner_text()
    assert f"{n:,} headlines" in caption
    assert page.locator("[data-testid='stDownloadButton']", has_text=f"({n:,} rows)").count()
    page.screenshot(path=str(SHOTS / "heatmaps_drilldown.png"))


def test_hostile_titles_render_as_literal_text(server, page):
    page.goto(f"{server}/headlines?q={MARKER}&view=Headlines")
    wait_for_app(page)
    no_exception(page)
    main = page.locator("[data-testid='stMain']")
    assert "2 headlines match" in main.inner_text()
    reader = main.locator("[data-testid='stText']").first
    assert "<script>window.__pwned=1</script>" in reader.inner_text()
    # Pick the other one: markdown link and <img onerror> stay text too.
    page.locator("[data-testid='stSelectbox']", has_text="Read a headline in full").click()
    page.get_by_role("option", name="[click me]").click()
    picked = main.locator("[data-testid='stText']", has_text="[click me]").first
    picked.wait_for(timeout=60_000)
    wait_for_app(page)
    text = picked.inner_text()
    assert "[click me](javascript:alert(1))" in text and "<img src=x onerror" in text
    assert "No web link for this headline." in main.inner_text()
    assert page.evaluate("() => window.__pwned") is None
    assert main.locator("a[href^='javascript']").count() == 0
    assert main.locator("img[src='x']").count() == 0
    assert page.errors == []
    page.screenshot(path=str(SHOTS / "headlines_hostile.png"))


def test_a_bad_link_shows_a_notice(server, page):
    page.goto(f"{server}/headlines?company=Acme%20Chips&from=2026-02-30")
    wait_for_app(page)
    alerts = page.locator("[data-testid='stAlert']").all_inner_texts()
    assert any("Unknown company 'Acme Chips' ignored" in a for a in alerts)
    assert any("Bad date '2026-02-30'" in a for a in alerts)
    no_exception(page)


def test_fetch_now_carries_on_while_the_analyst_leaves_the_feeds_page(
    browser, empty_db, tmp_path, monkeypatch
):
    """Issue 11 §4: Fetch now runs in the background; the page polls it. The feed server
    holds its answers while the analyst clicks away, then lets them go."""
    import threading

    from dashboard.access import LOCAL
    from dashboard.store import Store
    from dashboard.ui import actions
    from tests.httpserver import FeedServer

    monkeypatch.setenv("CHIPWATCH_ALLOW_PRIVATE", "1")
    gate = threading.Event()
    items = "".join(
        f"<item><title>TSMC fab item {i}</title><link>https://example.com/{i}</link>"
        "<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>"
        for i in range(4)
    )
    with FeedServer() as feeds:
        url = feeds.route(
            "/f.xml",
            body=f"<rss><channel><title>Held</title>{items}</channel></rss>".encode(),
            gate=gate,
        )
        actions.add_feed(str(empty_db), url, user=LOCAL)
        with streamlit_server(empty_db, tmp_path / "logs") as base:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            pg = context.new_page()
            pg.goto(f"{base}/feeds")
            wait_for_app(pg)
            pg.get_by_role("button", name="Fetch now").click()
            pg.get_by_text("Fetching 1 feed…").wait_for(timeout=30_000)
            pg.goto(f"{base}/")  # leave the page mid-fetch
            wait_for_app(pg)
            pg.goto(f"{base}/feeds")
            wait_for_app(pg)
            pg.get_by_text("Fetching 1 feed…").wait_for(timeout=30_000)  # still running
            gate.set()
            pg.get_by_text("Fetched 1 feed: 4 new headlines").wait_for(timeout=60_000)
            no_exception(pg)
            SHOTS.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(SHOTS / "feeds_fetch_now.png"), full_page=True)
            context.close()
    with Store(empty_db, readonly=True) as ro:
        assert ro.headline_count() == 4 and ro.integrity_ok()
