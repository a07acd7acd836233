"""What's rising: company x theme series whose escalating stories stand above their own normal,
with the stories behind each, a link to them on the Headlines page and a CSV."""

from __future__ import annotations

import streamlit as st

from dashboard.signals import detect
from dashboard.signals.latest import default_as_of
from dashboard.ui import data, shell, signal_view, widgets

ctx = shell.context()
st.title("What's rising")
st.caption(
    f"Escalating stories of the last {detect.WINDOW} days against each series' own normal "
    f"(the {detect.BASELINE} days before). A signal needs {detect.MIN_STORIES} or more "
    f"stories from {detect.MIN_OUTLETS} or more outlets; one outlet's many items count once, "
    "one story carried by many outlets is one story. Levels by how unlikely the count is "
    "under the normal: watch, elevated, high."
)
if widgets.empty_state(ctx):
    st.stop()

latest = ctx.facets.get("last_day")
default = default_as_of(latest, ctx.anchor)
as_of = st.date_input(
    "As of",
    value=default,
    min_value=ctx.facets.get("first_day") or default,
    max_value=ctx.anchor,
    key="as_of",
    bind="query-params",
    help="The day signals are read for: today, or the latest headline's day when nothing "
    "came in since. `chipwatch signals --as-of DAY` prints the same list.",
)
if latest and latest < ctx.anchor and as_of == latest:
    st.caption(f"No headline since {latest:%d %b %Y}: the signals of that day.")
active, ended = data.signals(ctx.db, ctx.version, as_of)

if not active:
    st.info("Nothing is rising above its normal.")
for i, sig in enumerate(active):
    with st.container(border=True):
        head, chart = st.columns([2, 3])
        with head:
            st.markdown(
                f"#### {signal_view.LEVEL_ICONS.get(sig.level, '')} "
                f"{shell.escape_md(sig.name(ctx.theme_labels))}"
            )
            st.markdown(
                f"**{sig.level}** · {sig.stories} escalating stories from {sig.outlets} "
                f"outlets in {detect.WINDOW} days · normal {sig.expected:.1f} · "
                f"since {sig.since:%d %b}"
            )
            if sig.low_coverage:
                st.warning("Fewer than half of the usual feeds answered in this window.")
            st.page_link(
                "ui/pages/headlines.py",
                label="Open these headlines",
                icon=":material/article:",
                query_params=signal_view.headlines_params(sig),
            )
        with chart:
            st.plotly_chart(
                signal_view.sparkline(sig),
                key=f"sig_spark_{i}",
                config={"displayModeBar": False},
            )
        stories = data.signal_stories(ctx.db, ctx.version, tuple(sig.story_ids))
        event = st.dataframe(
            stories,
            hide_index=True,
            column_config={
                "url": st.column_config.LinkColumn("link", display_text="open"),
                "first_seen": st.column_config.DatetimeColumn("first seen", format="D MMM, HH:mm"),
            },
            key=f"sig_stories_{i}",
            on_select="rerun",
            selection_mode="single-row",
        )
        picked = event.selection.rows if event is not None else []
        if picked and picked[0] < len(stories):  # a story opens to its outlets and corrections
            widgets.story_detail(ctx, stories.iloc[picked[0]], key=f"sig_story_{i}")
        st.download_button(
            "Stories as CSV",
            stories.to_csv(index=False).encode(),
            file_name=f"chipwatch_signal_{sig.company or 'all'}_{sig.theme or 'all'}_{as_of}.csv",
            mime="text/csv",
            key=f"sig_csv_{i}",
        )

frame = signal_view.signals_frame(active + ended, ctx.theme_labels)
if ended:
    st.subheader("Ended recently")
    st.dataframe(frame[frame["ended"] != ""], hide_index=True, key="sig_ended")
if len(frame):
    st.download_button(
        "All signals as CSV",
        frame.to_csv(index=False).encode(),
        file_name=f"chipwatch_signals_{as_of}.csv",
        mime="text/csv",
        key="sig_all_csv",
    )
