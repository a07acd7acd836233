"""Overview: the window's headline numbers, who is most at risk, and what drives it."""

from __future__ import annotations

import streamlit as st

from dashboard.ui import charts, data, shell, widgets

TOP_COMPANIES = 12

ctx = shell.context()
f = ctx.filters
st.title("Overview")
st.caption(window := shell.window_text(f))

if widgets.empty_state(ctx):
    st.stop()
k = data.kpis(ctx.db, ctx.version, f)
if not k["headlines"]:
    widgets.no_match(ctx)
    st.stop()

prev = k.get("previous")
cols = st.columns(1 + min(len(ctx.theme_ids), 4) + 1)
cols[0].metric(
    "Headlines",
    f"{k['headlines']:,}",
    delta=charts.pct_change(k["headlines"], prev["headlines"]) if prev else None,
    help="Headlines matching the filters. The change compares with the window of equal "
    "length just before this one."
    if prev
    else "Pick a bounded date window to compare with the previous one.",
)
for col, theme in zip(cols[1:-1], ctx.theme_ids[:4], strict=False):
    n = k["theme_counts"].get(theme, 0)
    share = n / k["headlines"] * 100
    before = None
    if prev and prev["headlines"]:
        before = prev["theme_counts"].get(theme, 0) / prev["headlines"] * 100
    col.metric(
        f"{ctx.label(theme)}",
        f"{share:.0f}%",
        delta=f"{share - before:+.0f} pts" if before is not None else None,
        delta_color="inverse",  # more risk news is the bad direction
        help=f"{n:,} headlines carry this theme: their share of all headlines in the window.",
    )
risk = data.company_risk(ctx.db, ctx.version, f)
if not risk.empty:
    top = risk.iloc[0]
    cols[-1].metric(
        "Highest risk",
        str(top["company"]),
        f"{top['risk']:.0f} / 100",
        delta_color="off",
        help="The company with the highest overall risk score.",
    )

left, right = st.columns([3, 2], gap="large")
with left:
    cells = data.risk_cells(ctx.db, ctx.version, f)
    # The riskiest companies only: the Heatmaps page has the full grid.
    cells = cells[cells["company"].isin(risk["company"].head(TOP_COMPANIES))]
    fig = charts.risk_grid(
        cells,
        theme_labels=ctx.theme_labels,
        themes=ctx.theme_ids,
        title=f"Risk by company and theme: the {TOP_COMPANIES} riskiest",
    )
    st.plotly_chart(fig, width="stretch", key="ov_grid", config={"displayModeBar": False})
    st.page_link(
        "ui/pages/heatmaps.py",
        label="Open the heatmaps to list a cell's headlines",
        icon=":material/arrow_forward:",
        query_params=f.to_params(),
    )
with right:
    st.plotly_chart(
        charts.company_risk_bars(risk, colors=ctx.colors, labels=ctx.theme_labels),
        width="stretch",
        key="ov_bars",
        config={"displayModeBar": False},
    )
    with st.expander("How is risk computed?"):
        widgets.risk_explainer()

span = (f.date_to or ctx.anchor) - (f.date_from or ctx.facets["first_day"] or ctx.anchor)
period = "day" if span.days <= 45 else "week" if span.days <= 400 else "month"
tl = data.timeline(ctx.db, ctx.version, f, "theme", period)
st.plotly_chart(
    charts.timeline(tl, colors=ctx.colors, labels=ctx.theme_labels, period_name=period),
    width="stretch",
    key="ov_timeline",
    config={"displayModeBar": False},
)

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
