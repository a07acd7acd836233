"""The Streamlit app through streamlit.testing.v1.AppTest: every page, on a seeded and an empty
database; filters, the URL round trip, drill-downs and notices for bad links."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.access import LOCAL
from dashboard.filters import Filters
from dashboard.store import Store, queries
from dashboard.ui import tables

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGES = {
    "overview": "ui/pages/overview.py",
    "signals": "ui/pages/signals.py",
    "timeline": "ui/pages/timeline.py",
    "heatmaps": "ui/pages/heatmaps.py",
    "headlines": "ui/pages/headlines.py",
    "feeds": "ui/pages/feeds.py",
    "taxonomy": "ui/pages/taxonomy.py",
}
TITLES = {"signals": "What's rising"}
TIMEOUT = 120  # generous: two cores are shared with other test runs


def open_app(db: Path, monkeypatch, page: str = "overview", **params) -> AppTest:
    monkeypatch.setenv("CHIPWATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(params)
    at.run()
    if page != "overview":
        at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def titles_shown(at, index: int = -1) -> list[str]:
    """Titles in a headline table (at may be the app or a block such as a tab)."""
    frame = at.dataframe[index].value
    return [unquote(re.search(tables.TITLE_REGEX, link).group(1)) for link in frame["Title"]]


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def texts(at: AppTest) -> str:
    return "\n".join(
        str(e.value) for kind in ("markdown", "caption", "info", "text") for e in getattr(at, kind)
    )


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_on_the_seeded_database(seeded_db, monkeypatch, page):
    at = open_app(seeded_db, monkeypatch, page)
    assert at.title[0].value == TITLES.get(page, page.capitalize())
    assert any("SYNTHETIC" in w for w in warnings(at)), "demo rows must be labelled"
    assert not at.error


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_on_an_empty_database(empty_db, monkeypatch, page):
    at = open_app(empty_db, monkeypatch, page)
    assert at.title[0].value == TITLES.get(page, page.capitalize())
    assert not any("SYNTHETIC" in w for w in warnings(at))
    if page in ("overview", "timeline", "heatmaps", "headlines"):
        assert "database is empty" in texts(at)
        assert "make run" in texts(at)
        assert not at.get("plotly_chart")
    if page == "feeds":
        assert "No feeds yet" in texts(at)


def test_a_filter_that_matches_nothing_says_what_to_do(seeded_db, monkeypatch):
    for page in ("overview", "timeline", "heatmaps", "headlines"):
        at = open_app(seeded_db, monkeypatch, page, q="zzyzxnotaword")
        assert "No headlines match these filters" in texts(at), page
        assert not at.get("plotly_chart"), page


def test_overview_tables_show_the_query_layers_figures(seeded_db, monkeypatch):
    f = Filters(date_from=date(2026, 9, 1), date_to=date(2026, 11, 20))
    at = open_app(seeded_db, monkeypatch, **{"from": "2026-09-01", "to": "2026-11-20"})
    assert not at.get("plotly_chart"), "the Overview draws tables, not plotly charts"
    with Store(seeded_db, readonly=True) as store:
        risk = queries.company_risk(store, f)
        cells = queries.risk_cells(store, f)
        kpis = queries.kpis(store, f)
    companies = at.dataframe[0].value
    top = risk.head(12)
    assert list(companies["Company"]) == list(top["company"])
    assert list(companies["Risk"]) == pytest.approx(list(top["risk"]))
    assert list(companies["Headlines"]) == list(top["n"])
    labels = {"hardware_autonomy": "Hardware autonomy", "geopolitics": "Geopolitics"}
    shown = companies.set_index("Company")
    expected = cells[cells["company"].isin(top["company"])]
    assert len(expected) > len(top)  # most of them carry more than one theme
    for c, t, r in zip(expected["company"], expected["theme"], expected["risk"], strict=True):
        assert shown.loc[c, labels.get(t, "Supply chain")] == pytest.approx(r), (c, t)
    # Risk, Headlines and Trend are always filled; a theme cell only where the pair exists.
    assert shown.notna().sum().sum() == len(expected) + 3 * len(top)
    # Sparklines: headlines naming the company, period by period, add up to its count.
    assert [sum(t) for t in companies["Trend"]] == list(top["n"])
    themes = at.dataframe[1].value
    assert list(themes["Headlines"]) == [
        kpis["theme_counts"].get(t, 0) for t in ("hardware_autonomy", "geopolitics", "supply_chain")
    ]
    assert [sum(t) for t in themes["Trend"]] == list(themes["Headlines"])


def test_query_parameters_round_trip_and_drive_what_is_shown(seeded_db, monkeypatch):
    at = open_app(
        seeded_db,
        monkeypatch,
        "headlines",
        company=["nvidia"],
        theme="geopolitics",
        **{"from": "2026-06-01", "to": "2026-11-20"},
        min_score="0.5",
    )
    # Canonical spelling comes back in the URL; every value survives the trip.
    assert at.query_params == {
        "company": "Nvidia",
        "theme": "geopolitics",
        "from": "2026-06-01",
        "to": "2026-11-20",
        "min_score": "0.5",
    }
    assert at.multiselect(key="w_company").value == ["Nvidia"]
    assert at.multiselect(key="w_theme").value == ["geopolitics"]
    assert at.slider(key="w_min").value == 0.5
    f, _ = Filters.from_params(at.query_params)
    with Store(seeded_db, readonly=True) as store:
        n = queries.count(store, f)
    assert n > 0
    with Store(seeded_db, readonly=True) as store:
        s = queries.stories.count(store, f)
    assert f"{s:,} stories ({n:,} headlines) match" in texts(at)
    # Switching pages keeps the filters.
    at.switch_page(PAGES["overview"]).run()
    assert at.query_params["company"] == "Nvidia"
    assert at.metric[1].value == f"{n:,}"
    assert at.metric[0].label == "Stories" and at.metric[0].value == f"{s:,}"


def test_changing_a_widget_changes_the_url_and_the_numbers(seeded_db, monkeypatch):
    at = open_app(seeded_db, monkeypatch, "headlines")
    with Store(seeded_db, readonly=True) as store:
        total = queries.count(store, Filters())
        amd = queries.count(store, Filters(companies=("AMD",)))
    assert total != amd > 0
    assert f"({total:,} headlines) match" in texts(at)
    at.multiselect(key="w_company").set_value(["AMD"]).run()
    assert at.query_params.get("company") == "AMD"
    assert f"({amd:,} headlines) match" in texts(at)
    at.segmented_control(key="w_preset").set_value("30d").run()
    # A preset is a rolling window ending today, not the dates it covers today.
    assert at.query_params["window"] == "30d"
    assert "from" not in at.query_params and "to" not in at.query_params
    assert at.segmented_control(key="w_preset").value == "30d"
    reset = next(b for b in at.button if b.label == "Reset filters")
    reset.click().run()
    assert at.query_params == {}
    assert f"({total:,} headlines) match" in texts(at)


def test_unknown_company_and_bad_date_in_a_link_warn_and_do_not_crash(seeded_db, monkeypatch):
    at = open_app(
        seeded_db,
        monkeypatch,
        "headlines",
        company=["Nvidia", "Acme Chips"],
        **{"from": "2026-02-30", "to": "yesterday"},
        theme="astrology",
        min_score="7",
    )
    shown = "\n".join(warnings(at))
    assert "Unknown company 'Acme Chips' ignored" in shown
    assert "Bad date '2026-02-30'" in shown and "Bad date 'yesterday'" in shown
    assert "Unknown theme 'astrology'" in shown and "Bad min_score '7'" in shown
    assert at.query_params == {"company": "Nvidia"}
    # The notice survives a rerun that does not change the filters.
    at.run()
    assert "Unknown company 'Acme Chips' ignored" in "\n".join(warnings(at))


def test_heatmaps_explain_the_risk_formula_next_to_the_grid(seeded_db, monkeypatch):
    at = open_app(seeded_db, monkeypatch, "heatmaps")
    formulas = [t.value for t in at.text]
    assert any("risk = 100 x (1 - e^(-max(R, 0) / 10))" in t for t in formulas), formulas
    assert "half of its weight" in texts(at) and "square root of its outlets" in texts(at)


def test_heatmap_cell_drill_down_lists_the_headlines_behind_it(seeded_db, monkeypatch):
    at = open_app(seeded_db, monkeypatch, "heatmaps")
    at.selectbox(key="cell_company").set_value("Nvidia")
    at.selectbox(key="cell_theme").set_value("geopolitics")
    at.run()
    f = Filters(companies=("Nvidia",), themes=("geopolitics",))
    themes = queries.theme_ids(Store(seeded_db, readonly=True))
    with Store(seeded_db, readonly=True) as store:
        expected = queries.stories.page(store, f, themes, order="score", limit=200)
        n = queries.count(store, f)
        s = queries.stories.count(store, f)
        lead = queries.stories.members(store, int(expected["story_id"][0]), themes)
    assert n > s > 0, "some stories must be told by several outlets"
    # st.dataframe keys are not exposed by AppTest: the drill's story table comes first, the
    # headlines of its first story (selected by default) second.
    assert titles_shown(at, 0) == list(expected["title"])
    frame = at.dataframe[0].value
    assert all("Nvidia" in c for c in frame["Companies"])
    assert titles_shown(at, 1) == list(lead["title"])
    assert any("Nvidia · Geopolitics" in str(m.value) for m in at.markdown)
    labels = [b.label for b in at.get("download_button")]
    assert f"Stories as CSV ({s:,} rows)" in labels
    assert any(b.endswith(f"({n:,} rows)") for b in labels)


def test_period_drill_downs_on_heatmaps_and_timeline(seeded_db, monkeypatch):
    at = open_app(seeded_db, monkeypatch, "heatmaps")
    at.radio(key="view").set_value("theme").run()
    at.selectbox(key="cell_key").set_value("supply_chain")
    at.selectbox(key="cell_period").set_value("2026-11-16")
    at.run()
    f = Filters(themes=("supply_chain",), date_from=date(2026, 11, 16), date_to=date(2026, 11, 22))
    with Store(seeded_db, readonly=True) as store:
        themes = queries.theme_ids(store)
        expected = list(queries.stories.page(store, f, themes, order="score", limit=200)["title"])
    assert titles_shown(at, 0) == expected and expected

    at = open_app(seeded_db, monkeypatch, "timeline")
    at.selectbox(key="week").set_value("2026-11-16")
    at.selectbox(key="line").set_value("supply_chain")
    at.run()
    assert titles_shown(at, 0) == expected


def test_headlines_pages_through_all_stories_and_all_rows(seeded_db, monkeypatch):
    at = open_app(seeded_db, monkeypatch, "headlines")
    with Store(seeded_db, readonly=True) as store:
        themes = queries.theme_ids(store)
        stories = queries.stories.page(store, Filters(), themes, limit=50, offset=50)
    at.number_input(key="hl_page").set_value(2).run()
    assert titles_shown(at, 0) == list(stories["title"])
    at.selectbox(key="st_sort").set_value("outlets").run()
    outlets = list(at.dataframe[0].value["Outlets"])
    assert outlets == sorted(outlets, reverse=True) and outlets[0] > 1

    at = open_app(seeded_db, monkeypatch, "headlines", view="Headlines")
    first = titles_shown(at)
    assert len(first) == 50
    at.number_input(key="hl_page").set_value(2).run()
    second = titles_shown(at)
    with Store(seeded_db, readonly=True) as store:
        expected = queries.headlines(store, Filters(), limit=50, offset=50)
    assert second == list(expected["title"]) and second != first
    at.selectbox(key="hl_sort").set_value("title").run()
    shown = titles_shown(at)
    assert shown == sorted(shown, key=str)  # SQLite's binary order on plain ASCII titles


def test_taxonomy_page_scores_a_pasted_headline(seeded_db, monkeypatch):
    at = open_app(seeded_db, monkeypatch, "taxonomy")
    assert not any("chipwatch retag" in w for w in warnings(at))
    at.text_input(key="tx_title").input(
        "US tightens export controls on Nvidia AI chips to China"
    ).run()
    result = at.dataframe[0].value
    row = result[result["Theme"] == "Geopolitics"].iloc[0]
    assert row["Carried"] and row["Score"] >= row["Threshold"]
    assert "export control" in row["Evidence"]
    assert "Nvidia" in texts(at)


def test_taxonomy_page_warns_when_stored_tags_are_stale(seeded_db, monkeypatch):
    with Store(seeded_db) as store, store.transaction():
        store.conn.execute("UPDATE headlines SET tag_version = 'old' WHERE rowid % 3 = 0")
    at = open_app(seeded_db, monkeypatch, "taxonomy")
    assert any("run `chipwatch retag`" in w.lower() or "chipwatch retag" in w for w in warnings(at))


def test_feeds_page_adds_a_feed_and_refuses_a_bad_url(seeded_db, monkeypatch):
    at = open_app(seeded_db, monkeypatch, "feeds")
    before = len(at.dataframe[0].value)
    at.text_input[0].input("javascript:alert(1)")
    at.form_submit_button[0].click().run()
    assert any("only http and https" in e.value for e in at.error)
    at.text_input[0].input("https://feeds.example.com/chips.xml")
    at.form_submit_button[0].click().run()
    assert any("Added https://feeds.example.com/chips.xml" in s.value for s in at.success)
    at.run()
    table = at.dataframe[0].value
    assert len(table) == before + 1
    assert "https://feeds.example.com/chips.xml" in set(table["URL"])


# -- the Feeds page: one door for writes, Fetch now in the background (issues 11 §4, 12) -----
def test_feeds_page_says_plainly_that_a_url_is_needed(empty_db, monkeypatch):
    at = open_app(empty_db, monkeypatch, "feeds")
    at.form_submit_button[0].click().run()
    assert [e.value for e in at.error] == [
        "Type or paste a feed URL first, e.g. https://example.com/feed.xml."
    ]
    at.text_input[0].input("example.com/feed.xml")
    at.form_submit_button[0].click().run()
    assert [e.value for e in at.error] == [
        "example.com/feed.xml: add http:// or https:// in front of the address."
    ]


def test_feeds_page_offers_the_shipped_list_in_one_click_and_removes_a_feed(empty_db, monkeypatch):
    from dashboard.config import DEFAULT_OPML

    shipped = set(re.findall(r'xmlUrl="([^"]+)"', DEFAULT_OPML.read_text()))
    assert len(shipped) >= 20
    at = open_app(empty_db, monkeypatch, "feeds")
    offer = at.button(key="add_defaults")
    assert offer.label == f"Add the {len(shipped)} suggested feeds"
    offer.click().run()
    assert not at.exception
    assert any(f"Added {len(shipped)} feeds" in s.value for s in at.success)
    assert set(at.dataframe[0].value["URL"]) == {u.replace("&amp;", "&") for u in shipped}
    assert not [b for b in at.button if b.key == "add_defaults"]  # nothing left to offer
    with Store(empty_db, readonly=True) as ro:
        assert len(ro.feeds()) == len(shipped)
    gone = sorted(shipped)[0].replace("&amp;", "&")
    at.multiselect(key="remove_feeds").select(gone).run()
    at.button(key="remove_button").click().run()
    assert not at.exception
    assert any("Removed 1 feed from the list" in s.value for s in at.success)
    assert gone not in set(at.dataframe[0].value["URL"])
    assert at.button(key="add_defaults").label == "Add the 1 suggested feeds"


def test_fetch_now_runs_in_the_background_and_survives_leaving_the_page(empty_db, monkeypatch):
    import threading
    import time

    from dashboard.ui import actions
    from tests.httpserver import FeedServer

    monkeypatch.setenv("CHIPWATCH_ALLOW_PRIVATE", "1")
    gate = threading.Event()
    rss = (
        "<rss version='2.0'><channel><title>Feed {n}</title>"
        + "".join(
            f"<item><title>TSMC item {{n}}-{i}</title><link>https://example.com/{{n}}/{i}</link>"
            "<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>"
            for i in range(5)
        )
        + "</channel></rss>"
    )
    with FeedServer() as server:
        urls = [
            server.route(f"/f{n}.xml", body=rss.format(n=n).encode(), gate=gate) for n in range(3)
        ]
        for u in urls:
            actions.add_feed(str(empty_db), u, user=LOCAL)
        at = open_app(empty_db, monkeypatch, "feeds")
        at.button(key="fetch_now").click().run()
        assert not at.exception
        job = actions.current_fetch(str(empty_db))
        assert job is not None and job.running  # the script run ended; the fetch did not
        assert any("Fetching 3 feeds" in p.proto.text for p in at.get("progress"))
        # Click elsewhere and leave the page while the server holds every answer.
        at.switch_page(PAGES["overview"]).run()
        at.switch_page(PAGES["feeds"]).run()
        assert (
            actions.start_fetch(str(empty_db), urls, user=LOCAL) is job
        )  # a second click joins it
        assert job.running and not at.exception
        assert at.button(key="fetch_now").disabled  # back on the page: the fetch still runs
        assert any("Fetching 3 feeds" in p.proto.text for p in at.get("progress"))
        gate.set()
        deadline = time.monotonic() + 60
        while job.running and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not job.running and job.error is None, job.error
    assert (job.new, job.done, job.total) == (15, 3, 3)
    at.run()
    assert any("Fetched 3 feeds: 15 new headlines" in s.value for s in at.success)
    assert list(at.dataframe[0].value["Headlines"]) == [5, 5, 5]
    with Store(empty_db, readonly=True) as ro:
        assert ro.headline_count() == 15 and ro.integrity_ok()


def test_pages_reach_the_store_only_through_data_and_actions():
    pages = Path(APP).parent / "ui" / "pages"
    for page in pages.glob("*.py"):
        source = page.read_text()
        assert not re.search(r"^\s*(from|import) dashboard\.store", source, re.M), page.name


def test_overview_with_a_theme_filter_agrees_with_the_csv(seeded_db, monkeypatch):
    # Issue 12: with theme=geopolitics the Overview said "Hardware autonomy 0%" and "None" in
    # Nvidia's other theme cells, while the CSV of the same rows carried those themes.
    import csv
    import io

    from dashboard import export

    geo = Filters(themes=("geopolitics",))
    at = open_app(seeded_db, monkeypatch, theme="geopolitics")
    with Store(seeded_db, readonly=True) as store:
        rows = list(csv.DictReader(io.StringIO(export.csv_bytes(store, geo).decode("utf-8-sig"))))
    assert len(rows) == int(at.metric[1].value.replace(",", ""))
    assert len({r["story_id"] for r in rows}) == int(at.metric[0].value.replace(",", ""))
    from dashboard.tagging.taxonomy import load_taxonomy

    # A headline carries a theme when its score reaches the theme's threshold.
    threshold = next(t for t in load_taxonomy().themes if t.id == "hardware_autonomy").threshold
    carrying = [r for r in rows if float(r["hardware_autonomy_score"] or 0) >= threshold]
    ha = next(m for m in at.metric if m.label == "Hardware autonomy")
    assert ha.value == f"{len(carrying) / len(rows) * 100:.0f}%" != "0%"
    companies = at.dataframe[0].value.set_index("Company")
    for company in companies.index:
        named = [r for r in carrying if company in r["companies"].split("; ")]
        shown = companies.loc[company, "Hardware autonomy"]
        assert pd.notna(shown) == bool(named), company
    assert at.dataframe[0].proto.placeholder == ""  # an empty cell is blank, not "None"
    top = next(m for m in at.metric if m.label.startswith("Highest risk"))
    assert not top.delta  # a level, not a change: no arrow


def test_a_search_that_ignores_text_says_so(seeded_db, monkeypatch):
    for typed in ["🚀", "(", '"']:
        at = open_app(seeded_db, monkeypatch, "headlines", q=typed)
        assert any("was ignored" in w for w in warnings(at)), typed
    at = open_app(seeded_db, monkeypatch, "headlines", q="-nvidia")
    with Store(seeded_db, readonly=True) as store:
        n = queries.count(store, Filters(q="-nvidia"))
        assert n == queries.count(store, Filters()) - queries.count(store, Filters(q="nvidia"))
    assert f"({n:,} headlines) match" in texts(at)


def test_feeds_and_taxonomy_show_no_filters_and_every_page_says_how_fresh(seeded_db, monkeypatch):
    for page in PAGES:
        at = open_app(seeded_db, monkeypatch, page, company="Nvidia")
        assert any(c.value.startswith("Data: newest headline 20 Nov 2026") for c in at.caption)
        hidden = page in ("feeds", "taxonomy", "signals")
        assert (len(at.sidebar.multiselect) == 0) == hidden, page
        assert at.query_params.get("company") == "Nvidia", page  # kept for the way back
    # The seeded data ends 20 Nov; a window ending today says those days hold no data.
    at = open_app(seeded_db, monkeypatch, "overview", window="30d")
    assert any("The newest headline is from 20 Nov 2026" in w for w in warnings(at))


def test_signals_page_and_overview_show_what_the_cli_prints(
    seeded_db, monkeypatch, capsys, burst_day
):
    from dashboard import cli

    # The seeded data ends 20 Nov: with no headline since, signals are read for that day.
    assert cli.main(["--db", str(seeded_db), "signals"]) == 0
    assert capsys.readouterr().out.startswith("Signals as of 2026-11-20")
    day = burst_day.isoformat()
    assert cli.main(["--db", str(seeded_db), "signals", "--json", "--as-of", day]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed and printed[0]["as_of"] == day
    at = open_app(seeded_db, monkeypatch, "signals", as_of=day)
    shown = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert len(shown) == len(printed)
    top = printed[0]
    assert (top["company"] or "") in shown[0] and top["level"] in texts(at)
    assert set(at.dataframe[0].value["story_id"]) == set(top["story_ids"])
    # Another day by its link: the same list as the CLI's --as-of.
    assert cli.main(["--db", str(seeded_db), "signals", "--json", "--as-of", "2026-10-01"]) == 0
    quiet = json.loads(capsys.readouterr().out)
    at = open_app(seeded_db, monkeypatch, "signals", as_of="2026-10-01")
    assert len([m for m in at.markdown if m.value.startswith("#### ")]) == len(quiet)
    # The Overview leads with the signals of the default day, the CLI's.
    assert cli.main(["--db", str(seeded_db), "signals", "--json"]) == 0
    default = json.loads(capsys.readouterr().out)
    at = open_app(seeded_db, monkeypatch)
    strip = f"{len(default)} signal" if default else "nothing above its normal as of 20 Nov"
    assert strip in texts(at)


def test_timeline_counts_stories_and_they_agree_with_the_drill(seeded_db, monkeypatch):
    at = open_app(seeded_db, monkeypatch, "timeline", measure="Stories")
    assert at.segmented_control(key="measure").value == "stories"
    f = Filters()
    with Store(seeded_db, readonly=True) as store:
        df = queries.timeline(store, f, by="theme", period="week", with_stories=True)
        assert (df["stories"] <= df["n"]).all() and (df["stories"] < df["n"]).any()
        for row in df.sample(8, random_state=1).itertuples():
            start = row.period
            drill = Filters(themes=(row.key,)).with_dates(start, start + timedelta(days=6))
            # The count a point shows is what its drill-down lists (and its stories CSV holds).
            assert row.stories == queries.stories.count(store, drill), row
    chart = at.get("plotly_chart")[0]
    assert "Stories per theme" in chart.proto.spec
