"""Heatmaps: company x theme risk, theme x period and company x period volume.

Click a cell (or pick it below a chart) to list the headlines behind it with their evidence.
"""

from __future__ import annotations

import streamlit as st

from dashboard.ui import charts, data, shell, widgets

ctx = shell.context()
f = ctx.filters
st.title("Heatmaps")
st.caption(shell.window_text(f))
if widgets.empty_state(ctx):
    st.stop()
if not data.count(ctx.db, ctx.version, f):
    widgets.no_match(ctx)
    st.stop()

label = ctx.label
VIEWS = {"risk": "Company × theme risk", "theme": "Theme × period", "company": "Company × period"}
# One view at a time: tabs would draw all three grids on every run, and the grids are what
# the browser spends its time on. The view, period and picked cell are URL parameters
# (bind="query-params"), so a copied link opens the same cell.
view = st.radio(
    "View",
    list(VIEWS),
    horizontal=True,
    key="view",
    format_func=VIEWS.get,
    label_visibility="collapsed",
    bind="query-params",
)


def _pick(chart_key: str, targets: tuple[str, ...]) -> None:
    # Copy the clicked marker's keys into the cell pickers, which drive the drill-down.
    points = st.session_state[chart_key].selection.points
    if points:
        for target, value in zip(targets, points[0]["customdata"], strict=False):
            st.session_state[target] = str(value)


def risk_view() -> None:
    # A theme filter limits the columns to the chosen themes (a cell's drill-down can list
    # exactly its headlines then); the Overview shows all the themes of those headlines.
    cells = data.risk_cells(ctx.db, ctx.version, f)
    # Companies in the Overview's order: riskiest overall first (not by their single
    # riskiest theme), so the two pages rank alike.
    order = list(data.company_risk(ctx.db, ctx.version, f)["company"])
    left, right = st.columns([3, 1], gap="large")
    with right:
        st.markdown("**How risk is computed**")
        widgets.risk_explainer()
    with left:
        st.plotly_chart(
            charts.risk_grid(
                cells, theme_labels=ctx.theme_labels, themes=ctx.theme_ids, companies=order
            ),
            width="stretch",
            key="hm_risk",
            on_select=lambda: _pick("hm_risk", ("cell_company", "cell_theme")),
            selection_mode="points",
            config={"displayModeBar": False},
        )
    if cells.empty:
        st.info("No headline in this window names a watchlist company and carries a theme.")
    else:
        st.caption(
            "Companies from the highest overall risk down"
            + (" in the chosen themes." if f.themes else ", as on the Overview.")
            + " Click a cell, or pick it below, to list its headlines."
        )
        present = set(cells["company"])
        companies = [c for c in order if c in present]
        themes = [t for t in ctx.theme_ids if t in set(cells["theme"])]
        a, b = st.columns(2)
        company = a.selectbox("Company", companies, key="cell_company", bind="query-params")
        theme = b.selectbox(
            "Theme", themes, key="cell_theme", format_func=label, bind="query-params"
        )
        row = cells[(cells["company"] == company) & (cells["theme"] == theme)]
        risk = f" — risk {row['risk'].iloc[0]:.0f}/100" if not row.empty else ""
        widgets.drill_list(
            ctx,
            shell.drill(f, company=company, theme=theme),
            key="hm_risk_drill",
            title=f"{company} · {label(theme)}{risk}",
        )


def period_tab(by: str, prefix: str) -> None:
    period = widgets.period_picker()
    # The 15 most-named companies keep the grid readable (most first, as on the Timeline).
    m = data.period_matrix(ctx.db, ctx.version, f, by, period, 15 if by == "company" else None)
    labels = ctx.theme_labels if by == "theme" else {}
    if by == "company":
        order = list(dict.fromkeys(m["key"]))
    else:
        order = [t for t in ctx.theme_ids if t in set(m["key"])] if not m.empty else []
    if not m.empty:
        m = m.set_index("key").loc[order].reset_index()
    chart_key = f"{prefix}_chart"
    st.plotly_chart(
        charts.period_grid(
            m,
            labels=labels,
            title=f"Headlines per {by} and {period}",
            key_title=by.capitalize(),
            period_title=f"{period.capitalize()}",
        ),
        width="stretch",
        key=chart_key,
        selection_mode="points",
        on_select=lambda: _pick(chart_key, ("cell_key", "cell_period")),
        config={"displayModeBar": False},
    )
    if m.empty:
        st.info(f"No headline in this window carries a {by}.")
        return
    keys = order
    periods = sorted({str(p) for p in m.loc[m["n"] > 0, "period"]}, reverse=True)
    a, b = st.columns(2)
    key = a.selectbox(
        by.capitalize(),
        keys,
        key="cell_key",
        format_func=lambda k: labels.get(k, k),
        bind="query-params",
    )
    when = b.selectbox(
        f"{period.capitalize()} starting", periods, key="cell_period", bind="query-params"
    )
    start, end = shell.period_bounds(when, period)
    span = f"{start:%d %b %Y}" + (f" – {end:%d %b %Y}" if end != start else "")
    widgets.drill_list(
        ctx,
        shell.drill(f, start=start, end=end, **{by: key}),
        key=f"{prefix}_drill",
        title=f"{labels.get(key, key)} · {span}",
    )


if view == "theme":
    period_tab("theme", "hm_tp")
elif view == "company":
    period_tab("company", "hm_cp")
else:
    risk_view()
