"""Headlines: every matching headline, searchable, sortable, paged; CSV of all of them."""

from __future__ import annotations

import math

import streamlit as st

from dashboard.ui import data, shell, widgets
from dashboard.ui.data import MAX_OFFSET

SORTS = {
    "newest": ("Newest first", "published_at", True),
    "oldest": ("Oldest first", "published_at", False),
    "score": ("Highest theme score", "score", True),
    "source": ("Source A–Z", "source", False),
    "title": ("Title A–Z", "title", False),
}

ctx = shell.context()
f = ctx.filters
st.title("Headlines")
st.caption(shell.window_text(f))
if widgets.empty_state(ctx):
    st.stop()

n = data.count(ctx.db, ctx.version, f)
if not n:
    widgets.no_match(ctx)
    st.stop()

top = st.columns([2, 1, 1, 2], vertical_alignment="bottom")
order = top[0].selectbox("Sort by", list(SORTS), format_func=lambda k: SORTS[k][0], key="hl_sort")
size = top[1].selectbox("Rows per page", [25, 50, 100, 200], index=1, key="hl_size")
pages = max(1, math.ceil(min(n, MAX_OFFSET + size) / size))
# A page number left over from a wider filter would point past the end.
if st.session_state.get("hl_page", 1) > pages:
    st.session_state["hl_page"] = 1
page = top[2].number_input(
    f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key="hl_page"
)
with top[3]:
    widgets.csv_button(ctx, f, key="hl_csv", label="Download all as CSV", n=n)

_label, sort, descending = SORTS[order]
offset = (int(page) - 1) * size
df = data.headlines(
    ctx.db, ctx.version, f, sort=sort, descending=descending, limit=size, offset=offset
)
st.caption(
    f"{n:,} headlines match · showing {offset + 1:,}–{offset + len(df):,}. "
    'Search with the box in the sidebar: words must all appear; "quoted phrases" '
    "stay together; a trailing * matches a prefix."
)


def _row_picked() -> None:
    rows = st.session_state["hl_table"].selection.rows
    if rows:
        st.session_state["hl_read"] = rows[0]


widgets.headline_table(
    ctx, df, key="hl_table", height=min(38 + 35 * len(df), 740), on_select=_row_picked
)
widgets.headline_reader(ctx, df, key="hl_read")
if n > MAX_OFFSET + size:
    st.caption(
        f"Pages stop after {MAX_OFFSET:,} rows; narrow the filters or download the "
        "CSV to see the rest."
    )
