"""What the analyst sees is true (issue 12), in a real browser: the Timeline's date axis, page
views kept in the URL, rolling preset links, filters only where they apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser import wait_for_app
from tests.test_browser import SHOTS, app_db, browser, no_exception, page, server  # noqa: F401

pytestmark = pytest.mark.browser


def figure(pg, i: int = 0) -> dict:
    """The plotly figure as drawn: its traces' x values and the x axis type."""
    return pg.evaluate(
        """(i) => {
            const el = document.querySelectorAll('.js-plotly-plot')[i];
            return {type: el._fullLayout.xaxis.type,
                    title: el._fullLayout.title.text.replace(/<[^>]+>/g, ''),
                    xs: el.data.map((t) => t.x), names: el.data.map((t) => t.name),
                    ticks: [...el.querySelectorAll('.xtick text')].map((t) => t.textContent)};
        }""",
        i,
    )


def test_timeline_is_a_date_axis_in_order_for_every_mode(server, page):  # noqa: F811
    for by in ("Company", "Theme"):
        for period in ("Day", "Week"):
            page.goto(f"{server}/timeline?by={by}&period={period}")
            wait_for_app(page)
            no_exception(page)
            fig = figure(page)
            assert fig["title"].endswith(f"per {by.lower()}, by {period.lower()}"), fig["title"]
            assert fig["type"] == "date"
            for xs in fig["xs"]:
                assert xs == sorted(xs) and len(xs) == len(fig["xs"][0])
            ticks = [datetime.strptime(t, "%d %b %Y") for t in fig["ticks"] if t.strip()]
            assert ticks == sorted(ticks) and len(ticks) > 2
    # Display names, not capitalised ids.
    page.goto(f"{server}/timeline?by=Company")
    wait_for_app(page)
    names = figure(page)["names"]
    assert "TSMC" in names or "SK hynix" in names or "AMD" in names, names
    assert not {"Tsmc", "Sk hynix", "Amd", "Smic"} & set(names)
    page.locator("[data-testid='stSelectbox']", has_text="Only this company").click()
    assert page.get_by_role("option", name="All companies").count()  # not "All companys"
    page.keyboard.press("Escape")
    page.screenshot(path=str(SHOTS / "timeline_company_week.png"))


def test_timeline_view_survives_a_reload_and_a_period_switch_resets_the_pick(server, page):  # noqa: F811
    page.goto(f"{server}/timeline?by=Company&measure={quote('Share of all')}&period=Month")
    wait_for_app(page)
    assert figure(page)["title"] == "Share of all headlines per company, by month"
    page.reload()
    wait_for_app(page)
    assert figure(page)["title"] == "Share of all headlines per company, by month"
    assert "by=Company" in page.url and "period=Month" in page.url
    # A picked month, then Week: the picker falls back to the newest week, not "Month 01 …".
    page.goto(f"{server}/timeline?period=Day&day=2026-11-02")
    wait_for_app(page)
    main = page.locator("[data-testid='stMain']")
    assert main.locator("h4", has_text="Day 02 Nov 2026").count()
    main.locator("[data-testid='stButtonGroup'] button", has_text="Week").click()
    page.wait_for_url(lambda url: "period=Day" not in url)  # Week is the default
    wait_for_app(page)
    # The URL changes before the rerun it starts has drawn: wait on the heading itself.
    expect(main.locator("h4", has_text="02 Nov 2026")).to_have_count(0)
    expect(main.locator("h4", has_text="Week").first).to_be_visible()


def test_a_heatmap_cell_in_the_url_opens_its_headlines(server, page):  # noqa: F811
    page.goto(f"{server}/heatmaps?cell_company=Nvidia&cell_theme=Geopolitics")
    wait_for_app(page)
    no_exception(page)
    assert page.locator("[data-testid='stMain'] h4", has_text="Nvidia · Geopolitics").count()
    view = quote("Theme × period")
    page.goto(
        f"{server}/heatmaps?view={view}&period=Week&cell_key=Supply%20chain&cell_period=2026-11-16"
    )
    wait_for_app(page)
    heading = page.locator("[data-testid='stMain'] h4").first.inner_text()
    assert heading.startswith("Supply chain · 16 Nov 2026"), heading


def test_a_preset_link_rolls_forward_and_fixed_dates_stay(server, page):  # noqa: F811
    today = datetime.now(UTC).date()
    page.goto(f"{server}/headlines")
    wait_for_app(page)
    page.locator("[data-testid='stSidebar'] button", has_text="90 d").click()
    page.wait_for_url("**window=90d**")
    wait_for_app(page)
    assert "from=" not in page.url and "to=" not in page.url
    start = today - timedelta(days=89)
    main = page.locator("[data-testid='stMain']")
    assert f"{start:%d %b %Y} – {today:%d %b %Y} (90 days)" in main.inner_text()
    page.reload()  # the link itself, not only the session, holds the preset
    wait_for_app(page)
    assert f"{start:%d %b %Y} – {today:%d %b %Y} (90 days)" in main.inner_text()
    # Fixed dates are still a kind of link.
    page.goto(f"{server}/headlines?from=2026-09-01&to=2026-11-20")
    wait_for_app(page)
    assert "01 Sep 2026 – 20 Nov 2026" in page.locator("[data-testid='stMain']").inner_text()
    assert "from=2026-09-01" in page.url


def test_every_page_says_how_fresh_and_only_filtered_pages_show_filters(server, page):  # noqa: F811
    for path in ("", "timeline", "heatmaps", "headlines", "feeds", "taxonomy"):
        page.goto(f"{server}/{path}?company=Nvidia")
        wait_for_app(page)
        assert "Data: newest headline" in page.locator("[data-testid='stMain']").inner_text()
        sidebar = page.locator("[data-testid='stSidebar']").inner_text()
        assert ("Minimum theme score" in sidebar) == (path not in ("feeds", "taxonomy")), path
        assert "company=Nvidia" in page.url, path
