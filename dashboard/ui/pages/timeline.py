"""Timeline: volume per theme or per company over time; pick a period to read its headlines."""

from __future__ import annotations

import streamlit as st

from dashboard.ui import charts, data, shell, widgets

ctx = shell.context()
f = ctx.filters
st.title("Timeline")
st.caption(shell.window_text(f))
if widgets.empty_state(ctx):
    st.stop()

c1, c2, c3 = st.columns([1, 1, 1])
by = (
    c1.segmented_control(
        "Lines per", ["theme", "company"], default="theme", key="tl_by", format_func=str.capitalize
    )
    or "theme"
)
period = (
    c2.segmented_control(
        "Period",
        ["day", "week", "month"],
        default="week",
        key="tl_period_kind",
        format_func=str.capitalize,
    )
    or "week"
)
measure = (
    c3.segmented_control(
        "Measure",
        ["n", "share"],
        default="n",
        key="tl_measure",
        format_func={"n": "Count", "share": "Share of all"}.get,
    )
    or "n"
)

df = data.timeline(ctx.db, ctx.version, f, by, period, top=10)
if df.empty:
    widgets.no_match(ctx)
    st.stop()

labels = ctx.theme_labels if by == "theme" else {}
periods = sorted({str(p) for p in df["period"]}, reverse=True)
keys = list(dict.fromkeys(df["key"]))


def _picked() -> None:
    # A click on a point picks its period and its line in the selectboxes below.
    points = st.session_state["tl_chart"].selection.points
    if points:
        key, when = points[0]["customdata"][0], str(points[0]["customdata"][1])
        if when in periods:
            st.session_state["tl_pick"] = when
        if key in keys:
            st.session_state["tl_key"] = key


figure = charts.timeline(
    df,
    measure=measure,
    colors=ctx.colors if by == "theme" else None,
    labels=labels,
    period_name=period,
    key_title=by.capitalize(),
)
# Coverage (the watcher's fetch record): shade the periods when we were mostly blind.
first_day = shell.period_bounds(min(periods), period)[0]
last_day = shell.period_bounds(max(periods), period)[1]
blind = charts.low_coverage_periods(
    periods, data.low_coverage_days(ctx.db, first_day, last_day), period
)
st.plotly_chart(
    charts.mark_low_coverage(figure, periods, blind),
    width="stretch",
    key="tl_chart",
    on_select=_picked,
    selection_mode="points",
    config={"displayModeBar": False},
)
if by == "company":
    st.caption("The ten companies with the most headlines in the window.")
if blind:
    st.caption(
        f"Shaded: {len(blind)} {period}(s) when fewer than half of the usual feeds answered;"
        " counts there undercount the news."
    )
st.caption("Click a point to list that period's headlines, or pick one below.")

if st.session_state.get("tl_pick") not in periods:
    st.session_state["tl_pick"] = periods[0]
if st.session_state.get("tl_key", "") not in ["", *keys]:
    st.session_state["tl_key"] = ""
p1, p2 = st.columns(2)
when = p1.selectbox(f"{period.capitalize()} starting", periods, key="tl_pick")
key = p2.selectbox(
    f"Only this {by}",
    ["", *keys],
    key="tl_key",
    format_func=lambda k: f"All {by}s" if not k else labels.get(k, k),
)
start, end = shell.period_bounds(when, period)
narrowed = shell.drill(f, start=start, end=end, **({by: key} if key else {}))
what = f"{labels.get(key, key)} · " if key else ""
widgets.drill_list(
    ctx,
    narrowed,
    key="tl_drill",
    title=f"{what}{period.capitalize()} {start:%d %b %Y}"
    + (f" – {end:%d %b %Y}" if end != start else ""),
)
