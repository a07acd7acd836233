"""Overview: the window's headline numbers, who is most at risk, and what drives it."""

from __future__ import annotations

import streamlit as st

from dashboard.ui import charts, data, shell, tables, watching, widgets

TOP_COMPANIES = 12

ctx = shell.context()
f = ctx.filters
st.title("Overview")
st.caption(window := shell.window_text(f))

if widgets.empty_state(ctx):
    st.stop()
widgets.signal_strip(ctx)
# A theme filter chooses the headlines; every number below describes those headlines with
# all the themes they carry, as the CSV of the same filter does.
k = data.kpis(ctx.db, ctx.version, f, every_theme=True)
if not k["headlines"]:
    widgets.no_match(ctx)
    st.stop()
watching.coverage_note(ctx.db, f)  # counts over days we were mostly blind say so

if f.themes:
    chosen = " and ".join(ctx.label(t) for t in f.themes)
    st.caption(
        f"Theme filter: the headlines carrying {chosen}. The shares and risks per theme"
        " below are those headlines' own, for every theme they carry."
    )
prev = k.get("previous")
cols = st.columns(2 + min(len(ctx.theme_ids), 4) + 1)
stories = data.story_count(ctx.db, ctx.version, f)
before = data.story_count(ctx.db, ctx.version, f.previous_window()) if prev else None
delta = charts.pct_change(stories, before) if prev else None
cols[0].metric(
    "Stories",
    f"{stories:,}",
    delta=delta,
    delta_arrow=charts.delta_arrow(delta),
    help="Events in the matching headlines: one story however many outlets told it. "
    + (
        "The change compares with the window of equal length just before this one."
        if prev
        else "Pick a bounded date window to compare with the previous one."
    ),
)
delta = charts.pct_change(k["headlines"], prev["headlines"]) if prev else None
cols[1].metric(
    "Headlines",
    f"{k['headlines']:,}",
    delta=delta,
    delta_arrow=charts.delta_arrow(delta),
    help="Headlines matching the filters (every outlet's copy counts)."
    + (" The change compares with the window just before." if prev else ""),
)
for col, theme in zip(cols[2:-1], ctx.theme_ids[:4], strict=False):
    n = k["theme_counts"].get(theme, 0)
    share = n / k["headlines"] * 100
    before = None
    if prev and prev["headlines"]:
        before = prev["theme_counts"].get(theme, 0) / prev["headlines"] * 100
    delta = charts.pts_change(share, before)
    col.metric(
        f"{ctx.label(theme)}",
        f"{share:.0f}%",
        delta=delta,
        delta_arrow=charts.delta_arrow(delta),
        delta_color="inverse",  # more risk news is the bad direction
        help=f"{n:,} headlines carry this theme: their share of all headlines in the window.",
    )
risk = data.company_risk(ctx.db, ctx.version, f, every_theme=True)
if not risk.empty:
    top = risk.iloc[0]
    # The score in the label, not as a delta: a delta draws an arrow, and this is no change.
    cols[-1].metric(
        f"Highest risk: {top['risk']:.0f} / 100",
        str(top["company"]),
        help="The company with the highest overall risk score (0-100) in the window.",
    )

# Tables, not charts: the Overview is read every morning, and plotly's first chart costs
# the browser about two seconds. The Timeline and Heatmaps pages draw the full charts.
period = data.trend_period(f, ctx.facets["first_day"], ctx.anchor)
st.subheader(f"The {TOP_COMPANIES} riskiest companies")
st.caption(
    f"Risk from 0 to 100, overall and per theme (darker is higher; blank: no headline of "
    f"that theme). Trend: headlines naming the company per {period}."
)
if risk.empty:
    st.caption("No company is named in this window.")
else:
    companies = tables.company_table(
        risk,
        data.risk_cells(ctx.db, ctx.version, f, every_theme=True),
        data.timeline(ctx.db, ctx.version, f, "company", period, top=len(risk)),
        ctx.theme_ids,
        ctx.theme_labels,
        top=TOP_COMPANIES,
    )
    theme_cols = [ctx.label(t) for t in ctx.theme_ids]
    st.dataframe(
        companies.style.map(charts.risk_css, subset=theme_cols).format(
            "{:.0f}", subset=theme_cols, na_rep=""
        ),
        column_config={
            "Risk": st.column_config.ProgressColumn(
                "Risk", min_value=0, max_value=100, format="%.0f", width="small"
            ),
            "Headlines": st.column_config.NumberColumn("Headlines", format="%d", width="small"),
            "Trend": st.column_config.LineChartColumn(f"Per {period}", y_min=0, width="medium"),
        },
        hide_index=True,
        width="stretch",
        height=35 * (len(companies) + 1) + 3,  # every row, no inner scrollbar
        placeholder="",  # a theme without headlines is blank, as the caption says
        key="ov_companies",
    )
left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Themes")
    st.dataframe(
        tables.theme_table(
            data.timeline(ctx.db, ctx.version, f, "theme", period, every_theme=True),
            k["theme_counts"],
            k["headlines"],
            ctx.theme_ids,
            ctx.theme_labels,
        ),
        column_config={
            "Headlines": st.column_config.NumberColumn("Headlines", format="%d", width="small"),
            "Share": st.column_config.NumberColumn(
                "Share", format="%.0f%%", width="small", help="Of all headlines in the window."
            ),
            "Trend": st.column_config.BarChartColumn(f"Per {period}", y_min=0, width="large"),
        },
        hide_index=True,
        width="stretch",
        key="ov_themes",
    )
with right:
    for page, label in (
        ("ui/pages/heatmaps.py", "Heatmaps: list the headlines behind a cell"),
        ("ui/pages/timeline.py", "Timeline: every theme or company over time"),
    ):
        st.page_link(page, label=label, icon=":material/arrow_forward:", query_params=f.to_params())
    with st.expander("How is risk computed?"):
        widgets.risk_explainer()

st.subheader("Latest high-scoring headlines")
strong = shell.strong(f)
latest = data.headlines(ctx.db, ctx.version, strong, limit=15)
if latest.empty:
    st.caption(
        "No headline in this window reaches a theme score of "
        f"{strong.min_score:.2f}; see the Headlines page for all of them."
    )
else:
    st.caption(f"Newest first; theme score at least {strong.min_score:.2f}. {window}")
    widgets.headline_table(ctx, latest, key="ov_latest")
