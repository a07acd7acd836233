"""Headlines: the stories behind the matching headlines (one row a story, opening to every
outlet's headline), or every headline; searchable, sortable, paged; CSVs of both."""

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

STORY_SORTS = {"latest": "Newest first", "outlets": "Most outlets", "score": "Highest theme score"}
# The URL holds the label shown (?view=Headlines), as bound widgets do.
view = st.segmented_control(
    "Show",
    ["Stories", "Headlines"],
    default="Stories",
    key="view",
    bind="query-params",
    help="A story is one event told by one or more outlets; its row opens to each outlet's "
    "headline.",
)
stories = view != "Headlines"
n_shown = data.story_count(ctx.db, ctx.version, f) if stories else n

top = st.columns([2, 1, 1, 2], vertical_alignment="bottom")
if stories:
    order = top[0].selectbox(
        "Sort by", list(STORY_SORTS), format_func=STORY_SORTS.get, key="st_sort"
    )
else:
    order = top[0].selectbox(
        "Sort by", list(SORTS), format_func=lambda k: SORTS[k][0], key="hl_sort"
    )
size = top[1].selectbox("Rows per page", [25, 50, 100, 200], index=1, key="hl_size")
pages = max(1, math.ceil(min(n_shown, MAX_OFFSET + size) / size))
# A page number left over from a wider filter (or the other view) would point past the end.
if st.session_state.get("hl_page", 1) > pages:
    st.session_state["hl_page"] = 1
page = top[2].number_input(
    f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key="hl_page"
)
with top[3]:
    if stories:
        widgets.stories_csv_button(ctx, f, key="st_csv", n=n_shown, order=order)
    widgets.csv_button(ctx, f, key="hl_csv", label="Download all headlines as CSV", n=n)

offset = (int(page) - 1) * size
search_help = (
    'Search with the box in the sidebar: words must all appear; "quoted phrases" stay '
    "together; a trailing * matches a prefix; OR between words; -word excludes."
)
if stories:
    shown = min(size, max(n_shown - offset, 0))
    st.caption(
        f"{n_shown:,} stories ({n:,} headlines) match · showing {offset + 1:,}–"
        f"{offset + shown:,}. Select a story to read every outlet's headline. {search_help}"
    )
    widgets.story_list(
        ctx, f, key="st", order=order, limit=size, offset=offset, height=min(38 + 35 * shown, 740)
    )
else:
    _label, sort, descending = SORTS[order]
    df = data.headlines(
        ctx.db, ctx.version, f, sort=sort, descending=descending, limit=size, offset=offset
    )
    st.caption(
        f"{n:,} headlines match · showing {offset + 1:,}–{offset + len(df):,}. {search_help}"
    )

    def _row_picked() -> None:
        rows = st.session_state["hl_table"].selection.rows
        if rows:
            st.session_state["hl_read"] = rows[0]

    widgets.headline_table(
        ctx, df, key="hl_table", height=min(38 + 35 * len(df), 740), on_select=_row_picked
    )
    widgets.headline_reader(ctx, df, key="hl_read")
if n_shown > MAX_OFFSET + size:
    st.caption(
        f"Pages stop after {MAX_OFFSET:,} rows; narrow the filters or download the "
        "CSV to see the rest."
    )
