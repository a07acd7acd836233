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


# Widget keys double as URL parameters (bind="query-params"): a copied link reopens this view.
c1, c2, c3 = st.columns([1, 1, 1])
by = (
    c1.segmented_control(
        "Lines per",
        ["theme", "company"],
        default="theme",
        key="by",
        format_func=str.capitalize,
        bind="query-params",
    )
    or "theme"
)
period = widgets.period_picker(c2)
measure = (
    c3.segmented_control(
        "Measure",
        ["n", "stories", "share"],
        # Headlines by default: stories are counted exactly per key and period from the
        # headline rows, 0.6-0.8 s for 90 days at 1,000,000 headlines but 5-7 s all-time.
        default="n",
        key="measure",
        format_func={"stories": "Stories", "n": "Headlines", "share": "Share of all"}.get,
        bind="query-params",
        help="Stories: events, one however many outlets told it. Headlines: every copy. "
        "Share: the key's headlines among all headlines of the period.",
    )
    or "n"
)

df = data.timeline(ctx.db, ctx.version, f, by, period, top=10, with_stories=measure == "stories")
if df.empty:
    widgets.no_match(ctx)
    st.stop()

labels = ctx.theme_labels if by == "theme" else {}
window = shell.shown_window(ctx)
filled = charts.fill_periods(df, period, window)
periods = sorted({p.isoformat() for p in filled["period"]}, reverse=True)
keys = list(dict.fromkeys(df["key"]))


def _picked() -> None:
    # A click on a point picks its period and its line in the selectboxes below.
    points = st.session_state["tl_chart"].selection.points
    if points:
        key, when = points[0]["customdata"][0], str(points[0]["customdata"][1])
        if when in periods:
            st.session_state[period] = when
        if key in keys:
            st.session_state["line"] = key


figure = charts.timeline(
    df,
    measure=measure,
    colors=ctx.colors if by == "theme" else None,
    labels=labels,
    period_name=period,
    key_title=by.capitalize(),
    window=window,
)
# Coverage (the watcher's fetch record): shade the periods when we were mostly blind.
blind = charts.low_coverage_periods(
    periods, data.low_coverage_days(ctx.db, window[0], window[1]), period
)
st.plotly_chart(
    charts.mark_low_coverage(figure, blind, period),
    width="stretch",
    key="tl_chart",
    on_select=_picked,
    selection_mode="points",
    config={"displayModeBar": False},
)
notes = []
if by == "company":
    notes.append("The ten companies with the most headlines in the window.")
if filled["partial"].any():
    notes.append(
        f"Open markers on a shaded band: a {period} the window covers only in part, so its"
        " count covers fewer days."
    )
if blind:
    notes.append(
        f"Shaded: {len(blind)} {period}(s) when fewer than half of the usual feeds answered;"
        " counts there undercount the news."
    )
notes.append("Click a point to list that period's stories, or pick one below.")
st.caption(" ".join(notes))

p1, p2 = st.columns(2)
# The newest period with headlines by default: the current one may hold none yet.
busy = {p.isoformat() for p, n in zip(filled["period"], filled["total"], strict=True) if n}
newest = next((i for i, p in enumerate(periods) if p in busy), 0)
# The picker's key (and URL parameter) is the period kind, day=, week= or month=: switching
# the kind draws another picker, so an old pick ("Day 01 Nov") never outlives the switch.
when = p1.selectbox(
    f"{period.capitalize()} starting", periods, index=newest, key=period, bind="query-params"
)
plural = {"theme": "themes", "company": "companies"}[by]
key = p2.selectbox(
    f"Only this {by}",
    ["", *keys],
    key="line",
    format_func=lambda k: f"All {plural}" if not k else labels.get(k, k),
    bind="query-params",
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
