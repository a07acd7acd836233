"""Chart builders and display helpers: pure functions of DataFrames, tested without Streamlit."""

from __future__ import annotations

from datetime import date
from urllib.parse import unquote

import pandas as pd
import pytest

from dashboard.filters import Filters
from dashboard.ui import charts, shell, tables

LABELS = {
    "geopolitics": "Geopolitics",
    "supply_chain": "Supply chain",
    "hardware_autonomy": "Hardware autonomy",
    "energy": "Energy & power",
}


def cells(rows):
    return pd.DataFrame(rows, columns=["company", "theme", "n", "mean_score", "risk"])


# -- colours ---------------------------------------------------------------------------------
def test_theme_colours_are_fixed_for_known_themes_whatever_the_order():
    a = charts.theme_colors(["geopolitics", "supply_chain", "hardware_autonomy"])
    b = charts.theme_colors(["supply_chain", "hardware_autonomy", "geopolitics"])
    assert a == b
    assert len(set(a.values())) == 3


def test_a_fourth_theme_gets_its_own_colour_and_many_themes_never_fail():
    ids = ["hardware_autonomy", "geopolitics", "supply_chain", "energy"]
    colours = charts.theme_colors(ids)
    assert set(colours) == set(ids)
    assert len(set(colours.values())) == 4
    many = charts.theme_colors([f"t{i}" for i in range(30)])
    assert len(many) == 30 and all(c.startswith("#") for c in many.values())


# -- risk grid ---------------------------------------------------------------------------------
def test_risk_grid_has_one_marker_per_cell_with_its_keys_for_the_drill_down():
    df = cells(
        [
            ("Nvidia", "geopolitics", 12, 0.7, 81.0),
            ("Nvidia", "supply_chain", 3, 0.5, 12.0),
            ("TSMC", "supply_chain", 9, 0.6, 55.0),
            ("TSMC", "energy", 2, 0.9, 8.0),
        ]
    )
    fig = charts.risk_grid(
        df, theme_labels=LABELS, themes=["hardware_autonomy", "geopolitics", "supply_chain"]
    )
    (trace,) = fig.data
    assert trace.type == "scatter" and trace.marker.symbol == "square"
    assert len(trace.x) == 4
    keys = {(c[0], c[1]) for c in trace.customdata}
    assert keys == {
        ("Nvidia", "geopolitics"),
        ("Nvidia", "supply_chain"),
        ("TSMC", "supply_chain"),
        ("TSMC", "energy"),
    }
    # A theme that is not in the taxonomy list still gets its column, after the known ones.
    assert list(fig.layout.xaxis.categoryarray) == [
        "Hardware autonomy",
        "Geopolitics",
        "Supply chain",
        "Energy & power",
    ]
    # Highest risk at the top: plotly draws the last category at the top.
    assert list(fig.layout.yaxis.categoryarray)[-1] == "Nvidia"
    assert "Risk" in trace.hovertemplate and "headlines" in trace.hovertemplate
    assert fig.layout.title.text == "Risk by company and theme"
    assert list(trace.marker.color) == [81.0, 12.0, 55.0, 8.0]
    assert (trace.marker.cmin, trace.marker.cmax) == (0, 100)


def test_risk_grid_without_data_says_so():
    fig = charts.risk_grid(cells([]))
    assert not fig.data
    assert "No company" in fig.layout.annotations[0].text


# -- period grid -------------------------------------------------------------------------------
def test_period_grid_reads_the_long_form_and_skips_empty_cells():
    m = pd.DataFrame(
        {
            "key": ["geopolitics", "geopolitics", "supply_chain"],
            "period": [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 9)],
            "n": [4, 0, 7],
            "risk": [20.0, 0.0, 30.0],
        }
    )
    fig = charts.period_grid(
        m,
        labels=LABELS,
        title="Headlines per theme and week",
        key_title="Theme",
        period_title="Week",
    )
    (trace,) = fig.data
    assert len(trace.x) == 2  # the zero cell is not drawn
    assert sorted(map(tuple, trace.customdata.tolist())) == [
        ("geopolitics", "2026-11-02", 4),
        ("supply_chain", "2026-11-09", 7),
    ]
    assert set(trace.y) == {"Geopolitics", "Supply chain"}
    assert fig.layout.xaxis.title.text == "Week" and fig.layout.yaxis.title.text == "Theme"
    assert list(fig.layout.xaxis.categoryarray) == ["2026-11-02", "2026-11-09"]


def test_period_grid_accepts_a_wide_matrix_too():
    wide = pd.DataFrame({"2026-11-02": [1, 0], "2026-11-09": [2, 3]}, index=["A", "B"])
    fig = charts.period_grid(wide, title="t", key_title="Company")
    assert sorted(fig.data[0].customdata[:, 2].tolist()) == [1, 2, 3]


def test_period_grid_all_zero_is_an_empty_message():
    m = pd.DataFrame({"key": ["a"], "period": ["2026-01-05"], "n": [0]})
    assert not charts.period_grid(m, title="t", key_title="k").data


# -- timeline ------------------------------------------------------------------------------------
def timeline_rows():
    return pd.DataFrame(
        {
            "period": [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 2), date(2026, 11, 9)],
            "key": ["geopolitics", "geopolitics", "energy", "energy"],
            "n": [5, 10, 1, 4],
            "total": [20, 40, 20, 40],
            "share": [0.25, 0.25, 0.05, 0.1],
        }
    )


def test_timeline_counts_one_line_per_theme_in_the_theme_colour():
    colours = charts.theme_colors(["geopolitics", "energy"])
    fig = charts.timeline(timeline_rows(), colors=colours, labels=LABELS, period_name="week")
    names = {t.name: t for t in fig.data}
    assert set(names) == {"Geopolitics", "Energy & power"}
    assert (
        names["Geopolitics"].line.color
        == colours["geopolitics"]
        == charts.BASE_COLORS["geopolitics"]
    )
    assert list(names["Geopolitics"].y) == [5, 10]
    assert list(names["Geopolitics"].x) == ["2026-11-02", "2026-11-09"]
    assert fig.layout.yaxis.title.text == "Headlines"
    assert fig.layout.xaxis.title.text == "Week starting"
    assert "of %{customdata[3]} headlines" in names["Energy & power"].hovertemplate


def test_timeline_share_is_in_percent_of_all_headlines():
    fig = charts.timeline(timeline_rows(), measure="share", labels=LABELS, period_name="week")
    energy = next(t for t in fig.data if t.name == "Energy & power")
    assert list(energy.y) == pytest.approx([5.0, 10.0])
    assert fig.layout.yaxis.title.text == "% of all headlines"
    assert fig.layout.title.text.startswith("Share of all headlines")


def test_timeline_empty_has_a_message_not_bare_axes():
    fig = charts.timeline(pd.DataFrame(columns=["period", "key", "n", "total", "share"]))
    assert not fig.data and fig.layout.annotations


# -- overview tables and deltas ------------------------------------------------------------
def test_risk_colours_follow_the_scale_and_darken_with_risk():
    assert charts.risk_color(0) == "#F4F1EA"
    assert charts.risk_color(35) == "#F2C57C"
    assert charts.risk_color(100) == charts.risk_color(250) == "#8E1F1A"
    # Brightness (sum of R, G, B) falls as risk rises: high risk stands out.
    brightness = [
        sum(int(charts.risk_color(r)[i : i + 2], 16) for i in (1, 3, 5)) for r in range(0, 101, 5)
    ]
    assert brightness == sorted(brightness, reverse=True) and len(set(brightness)) > 15
    assert "color: #FFFFFF" in charts.risk_css(80.0) and "#1F2A36" in charts.risk_css(20)
    assert charts.risk_css(float("nan")) == "" == charts.risk_css(None)


def company_rows():
    risk = pd.DataFrame(
        {
            "company": ["B", "A", "C"],
            "n": [7, 5, 1],
            "risk": [90.0, 40.0, 5.0],
            "top_theme": ["supply_chain", "geopolitics", None],
        }
    )
    risk_cells = cells(
        [
            ("A", "geopolitics", 5, 0.6, 40.0),
            ("B", "geopolitics", 2, 0.5, 30.0),
            ("B", "supply_chain", 6, 0.7, 85.0),
        ]
    )
    trend = pd.DataFrame(
        {
            "period": [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 9)],
            "key": ["A", "A", "B", "C"],
            "n": [2, 3, 7, 1],
        }
    )
    return risk, risk_cells, trend


def test_company_table_keeps_the_riskiest_in_order_with_their_theme_risk_and_trend():
    risk, risk_cells, trend = company_rows()
    table = tables.company_table(
        risk, risk_cells, trend, ["geopolitics", "supply_chain"], LABELS, top=2
    )
    assert list(table.columns) == [
        "Company",
        "Risk",
        "Geopolitics",
        "Supply chain",
        "Headlines",
        "Trend",
    ]
    assert list(table["Company"]) == ["B", "A"]
    assert list(table["Risk"]) == [90.0, 40.0]
    assert list(table["Geopolitics"]) == [30.0, 40.0]
    assert table["Supply chain"].iloc[0] == 85.0 and pd.isna(table["Supply chain"].iloc[1])
    assert list(table["Headlines"]) == [7, 5]
    # Every row spans every period of the window, zero where the company had no headline.
    assert list(table["Trend"]) == [[0, 0, 7], [2, 3, 0]]


def test_theme_table_counts_shares_and_trend_in_taxonomy_order():
    trend = pd.DataFrame(
        {
            "period": [date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 1)],
            "key": ["geopolitics", "geopolitics", "energy"],
            "n": [4, 6, 2],
        }
    )
    table = tables.theme_table(
        trend,
        {"geopolitics": 10, "energy": 2},
        40,
        ["energy", "geopolitics", "supply_chain"],
        LABELS,
    )
    assert list(table["Theme"]) == ["Energy & power", "Geopolitics", "Supply chain"]
    assert list(table["Headlines"]) == [2, 10, 0]
    assert list(table["Share"]) == [5.0, 25.0, 0.0]
    assert list(table["Trend"]) == [[0, 2], [4, 6], [0, 0]]
    empty = tables.theme_table(trend.iloc[:0], {}, 0, ["energy"], LABELS)
    assert list(empty["Share"]) == [0.0] and list(empty["Trend"]) == [[]]


def test_pct_change():
    assert charts.pct_change(150, 100) == "+50%"
    assert charts.pct_change(50, 100) == "-50%"
    assert charts.pct_change(3, 0) == "new"
    assert charts.pct_change(0, 0) == "±0%"
    assert charts.pct_change(5, None) is None


# -- headline table --------------------------------------------------------------------------
def headline_rows():
    return pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "published_at": [
                "2026-11-20T10:00:00Z",
                "2026-11-19T09:30:00Z",
                "2026-11-18T08:00:00Z",
            ],
            "source": ["Wire", "Desk", "Daily"],
            "title": [
                "<script>window.__pwned=1</script> Nvidia 50% + more #1",
                "[click](javascript:alert(1)) TSMC",
                "plain",
            ],
            "url": ["https://example.com/a#old", "javascript:alert(1)", None],
            "companies": ["Nvidia", "TSMC", ""],
            "themes": ["geopolitics", "", ""],
            "geopolitics_score": [0.8, 0.0, 0.1],
            "supply_chain_score": [0.0, 0.4, 0.0],
            "evidence": ["geopolitics: export controls (title)", "", ""],
            "is_demo": [True, False, False],
        }
    )


def test_display_frame_links_only_http_and_keeps_the_title_exact():
    frame = tables.display_frame(headline_rows(), ["geopolitics", "supply_chain"], LABELS)
    assert list(frame.columns) == [
        "Published",
        "Title",
        "Source",
        "Companies",
        "Geopolitics",
        "Supply chain",
        "Evidence",
        "Synthetic",
    ]
    first, second, third = frame["Title"]
    assert first.startswith("https://example.com/a" + tables.TITLE_FRAGMENT)
    assert "#old" not in first
    assert not second.startswith("javascript") and second.startswith(tables.TITLE_FRAGMENT)
    assert third.startswith(tables.TITLE_FRAGMENT)
    # What the column's display regex captures decodes back to the exact title.
    import re

    for link, title in zip(frame["Title"], headline_rows()["title"], strict=True):
        captured = re.search(tables.TITLE_REGEX, link).group(1)
        assert unquote(captured) == title
        assert "<" not in captured and " " not in captured
    assert frame["Evidence"][0] == "Geopolitics: export controls (title)"
    assert frame["Published"][1] == pd.Timestamp("2026-11-19 09:30:00")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "ftp://h/x",
        "//example.com/x",
        "https://",
        "",
        None,
        42,
    ],
)
def test_safe_url_refuses_anything_but_http_with_a_host(url):
    assert tables.safe_url(url) is None


def test_escape_md_neutralises_markup():
    text = "[x](javascript:alert(1)) <b>*bold*</b> `code`"
    out = tables.escape_md(text)
    for ch in "[]()<>*`":
        assert ch not in out.replace("\\" + ch, "")


def test_explainer_reads_the_risk_docstring():
    from dashboard import risk

    blocks = tables.explainer(risk.__doc__)
    kinds = [k for k, _ in blocks]
    assert "code" in kinds and kinds[0] == "text"
    assert any("risk" in b for k, b in blocks if k == "code")
    assert all("\n" not in b for k, b in blocks if k == "text")


# -- shell helpers (pure) ------------------------------------------------------------------------
def test_period_bounds():
    assert shell.period_bounds("2026-11-18", "day") == (date(2026, 11, 18), date(2026, 11, 18))
    assert shell.period_bounds("2026-11-18", "week") == (date(2026, 11, 16), date(2026, 11, 22))
    assert shell.period_bounds("2026-12-01", "month") == (date(2026, 12, 1), date(2026, 12, 31))
    assert shell.period_bounds("2026-02-01", "month") == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(ValueError):
        shell.period_bounds("nope", "day")


def test_drill_narrows_and_never_widens():
    f = Filters(
        date_from=date(2026, 11, 10), date_to=date(2026, 11, 20), companies=("A", "B"), q="chips"
    )
    d = shell.drill(
        f, company="A", theme="geopolitics", start=date(2026, 11, 2), end=date(2026, 11, 15)
    )
    assert d.companies == ("A",) and d.themes == ("geopolitics",) and d.q == "chips"
    assert (d.date_from, d.date_to) == (date(2026, 11, 10), date(2026, 11, 15))
    open_ = shell.drill(Filters(), start=date(2026, 1, 5), end=date(2026, 1, 11))
    assert (open_.date_from, open_.date_to) == (date(2026, 1, 5), date(2026, 1, 11))


def test_presets_end_today_and_a_preset_link_rolls_forward():
    # Issue 12: presets ended on the latest headline and were stored as fixed dates.
    assert shell.preset_anchor(date(2026, 12, 1)) == date(2026, 12, 1)
    f = Filters().with_preset("90d", date(2026, 12, 1))
    assert (f.date_from, f.date_to) == (date(2026, 9, 3), date(2026, 12, 1))
    assert f.to_params() == {"window": "90d"}
    assert shell.preset_of(f, date(2026, 12, 1)) == "90d"
    later, notices = Filters.from_params({"window": "90d"}, today=date(2026, 12, 20))
    assert (later.date_from, later.date_to, notices) == (date(2026, 9, 22), date(2026, 12, 20), [])
    fixed = Filters(date_from=date(2026, 9, 3), date_to=date(2026, 12, 1))
    assert fixed.to_params() == {"from": "2026-09-03", "to": "2026-12-01"}
    assert shell.preset_of(fixed, date(2026, 12, 1)) == "custom"  # fixed dates stay fixed
    assert shell.preset_of(Filters(), date(2026, 12, 1)) == "all"
    _, notices = Filters.from_params({"window": "2w"}, today=date(2026, 12, 1))
    assert notices == ["Unknown window '2w' ignored (use 7d, 30d, 90d, 1y)."]
    # A drill-down or the previous window is a fixed span, not the preset any more.
    assert shell.drill(f, start=date(2026, 11, 2), end=date(2026, 11, 8)).window is None
    assert f.previous_window().window is None


def weekly(rows):
    return pd.DataFrame(rows, columns=["period", "key", "n", "total", "share"])


def test_timeline_is_a_sorted_date_axis_for_every_key_order():
    # Issue 12 (blocker): keys whose first periods differ made a category axis run
    # "2026-11-02, 2026-04-27, ..." and lines jump back in time.
    df = weekly(
        [
            (date(2026, 11, 2), "Nvidia", 3, 9, 0.3),
            (date(2026, 4, 27), "AMD", 1, 4, 0.25),
            (date(2026, 11, 23), "AMD", 2, 5, 0.4),
            (date(2026, 7, 6), "Nvidia", 1, 3, 0.3),
        ]
    )
    fig = charts.timeline(df, period_name="week", key_title="Company")
    assert fig.layout.xaxis.type == "date"
    for trace in fig.data:
        assert list(trace.x) == sorted(trace.x)
    assert fig.data[0].x[0] == "2026-04-27"  # every line holds every period


def test_timeline_shows_every_period_of_the_window_quiet_ones_as_zero():
    # Issue 12: a 90-day window starting 30 Aug began at the first week with news, and weeks
    # without a headline had no point.
    df = weekly(
        [
            (date(2026, 9, 28), "geopolitics", 1, 5, 0.2),
            (date(2026, 10, 19), "geopolitics", 4, 8, 0.5),
        ]
    )
    window = (date(2026, 8, 30), date(2026, 11, 27))
    fig = charts.timeline(df, period_name="week", window=window)
    (line,) = fig.data
    assert line.x[0] == "2026-08-24"  # the week holding 30 Aug
    assert line.x[-1] == "2026-11-23"
    assert len(line.x) == 14
    by_week = dict(zip(line.x, line.y, strict=True))
    assert by_week["2026-10-05"] == 0 and by_week["2026-10-12"] == 0
    assert by_week["2026-09-28"] == 1 and by_week["2026-10-19"] == 4


def test_timeline_marks_the_periods_the_window_covers_only_in_part():
    df = weekly(
        [
            (date(2026, 11, 16), "geopolitics", 3, 5, 0.6),
            (date(2026, 11, 23), "geopolitics", 1, 2, 0.5),
        ]
    )
    fig = charts.timeline(df, period_name="week", window=(date(2026, 11, 16), date(2026, 11, 24)))
    (line,) = fig.data
    assert list(line.marker.symbol) == ["circle", "circle-open"]
    assert "Partial week: 2 days in the window" in line.customdata[-1][4]
    (band,) = [s for s in fig.layout.shapes if s.fillcolor == charts.PARTIAL_FILL]
    assert (band.x0, band.x1) == ("2026-11-23", "2026-11-30")
    assert charts.fill_periods(df, "week", (date(2026, 11, 16), date(2026, 11, 29)))[
        "partial"
    ].tolist() == [False, False]


def test_timeline_uses_display_names_and_a_distinct_colour_per_line():
    # Issue 12: legends read "Smic", "Sk hynix"; Alibaba and Intel shared a colour.
    names = [
        "Nvidia",
        "TSMC",
        "SK hynix",
        "SMIC",
        "AMD",
        "Huawei",
        "Intel",
        "Samsung",
        "Apple",
        "Alibaba",
    ]
    df = weekly([(date(2026, 11, 2), n, 10 - i, 20, 0.1) for i, n in enumerate(names)])
    fig = charts.timeline(df, period_name="week", key_title="Company")
    assert [t.name for t in fig.data] == names
    colours = [t.line.color for t in fig.data]
    assert len(set(colours)) == len(names)
    # Themes keep their fixed colours when drawn as lines.
    fixed = charts.theme_colors(["geopolitics", "energy"])
    assert charts.line_colors(["geopolitics", "energy"], fixed) == fixed


def test_period_helpers_live_in_filters():
    from dashboard.filters import period_starts

    assert period_starts(date(2026, 8, 30), date(2026, 9, 14), "week") == [
        date(2026, 8, 24),
        date(2026, 8, 31),
        date(2026, 9, 7),
        date(2026, 9, 14),
    ]
    assert period_starts(date(2026, 11, 30), date(2027, 1, 2), "month") == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]


def test_risk_grid_ranks_companies_as_the_overview_and_keeps_cells_readable():
    # Issue 12: the heatmap ranked by a company's single riskiest cell (Samsung 2nd there,
    # 4th on the Overview), and a click faded every other cell almost to nothing.
    cells = pd.DataFrame(
        {
            "company": ["A", "B", "B", "C"],
            "theme": ["geopolitics", "geopolitics", "supply_chain", "geopolitics"],
            "n": [1, 1, 1, 1],
            "mean_score": [0.5] * 4,
            "risk": [90.0, 60.0, 60.0, 70.0],
        }
    )
    overall = ["B", "A", "C"]  # B's two themes make it the riskiest overall
    fig = charts.risk_grid(cells, theme_labels=LABELS, companies=overall)
    assert list(fig.layout.yaxis.categoryarray) == ["C", "A", "B"]  # plotly: bottom first
    (trace,) = fig.data
    assert trace.unselected.marker.opacity >= 0.8
    grid = charts.period_grid(
        pd.DataFrame({"period": ["2026-11-02"], "key": ["geopolitics"], "n": [3]}),
        title="t",
        key_title="Theme",
    )
    assert grid.data[0].unselected.marker.opacity >= 0.8


def test_deltas_that_round_to_nothing_carry_no_arrow():
    # Issue 12: "↑ +0 pts" drew an arrow for no change.
    assert charts.pts_change(20.2, 20.0) == "±0 pts"
    assert charts.pts_change(23.0, 20.0) == "+3 pts"
    assert charts.pts_change(20.0, None) is None
    assert charts.pct_change(1003, 1000) == "±0%"
    assert charts.delta_arrow("±0 pts") == "off" and charts.delta_arrow("+3 pts") == "auto"


def test_timeline_draws_stories_and_keeps_quiet_weeks_at_zero():
    rows = timeline_rows().assign(stories=[3, 6, 1, 2])
    window = (date(2026, 10, 26), date(2026, 11, 15))  # one quiet week before the data
    fig = charts.timeline(rows, measure="stories", labels=LABELS, period_name="week", window=window)
    geo = next(t for t in fig.data if t.name == LABELS["geopolitics"])
    assert list(geo.y) == [0, 3, 6]
    assert "stories" in geo.hovertemplate or "stories" in str(geo.customdata[1][5])
    assert fig.layout.title.text.startswith("Stories per theme")
    assert fig.layout.yaxis.title.text == "Stories"
    filled = charts.fill_periods(rows, "week", window)
    assert list(filled["stories"]) == [0, 3, 6, 0, 1, 2]  # key by key, in their order
