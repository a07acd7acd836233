"""Streamlit pieces more than one page draws: headline tables, CSV buttons, empty states."""

from __future__ import annotations

import streamlit as st

from dashboard.filters import Filters
from dashboard.ui import correct, data, tables
from dashboard.ui.shell import Context
from dashboard.ui.tables import escape_md


def empty_state(ctx: Context, what: str = "headlines") -> bool:
    """Say why there is nothing to show and what to do next. True when the page should stop."""
    if ctx.empty_db:
        st.info(
            "**The database is empty.** Load the bundled synthetic demo with `make run` "
            "(or `chipwatch demo --bundled`), or fetch real feeds with "
            "`chipwatch ingest data/feeds.opml`, or add a feed on the **Feeds** page.",
            icon=":material/inbox:",
        )
        return True
    return False


def no_match(ctx: Context, f: Filters | None = None) -> None:
    f = f or ctx.filters
    latest = ctx.facets.get("last_day")
    hint = f" The latest headline is from {latest:%d %b %Y}." if latest else ""
    st.info(
        f"**No headlines match these filters.**{hint} Widen the date window, remove a "
        "company, theme or source, lower the minimum score, or clear the search "
        "(**Reset filters** in the sidebar).",
        icon=":material/filter_alt_off:",
    )


def column_config(frame) -> dict:
    cfg = {
        "Published": st.column_config.DatetimeColumn(
            "Published (UTC)", format="YYYY-MM-DD HH:mm", width="small"
        ),
        "Title": st.column_config.LinkColumn(
            "Title",
            display_text=tables.TITLE_REGEX,
            width="large",
            help="Opens the article (http and https links only).",
        ),
        "Source": st.column_config.TextColumn("Source", width="medium"),
        "Companies": st.column_config.TextColumn("Companies", width="medium"),
        "Evidence": st.column_config.TextColumn(
            "Evidence", width="large", help="Taxonomy terms found, and where (title/summary)."
        ),
        "Synthetic": st.column_config.CheckboxColumn(
            "Synthetic", width="small", help="Invented demo headline"
        ),
    }
    for col in tables.score_columns(frame):
        cfg[col] = st.column_config.ProgressColumn(
            col,
            min_value=0.0,
            max_value=1.0,
            format="%.2f",
            width="small",
            help=f"{col} score (0-1)",
        )
    return cfg


def headline_table(
    ctx: Context, df, *, key: str, height: int | str = "auto", on_select=None
) -> None:
    frame = tables.display_frame(df, ctx.theme_ids, ctx.theme_labels)
    extra = {"on_select": on_select, "selection_mode": "single-row"} if on_select else {}
    st.dataframe(
        frame,
        column_config=column_config(frame),
        hide_index=True,
        key=key,
        height=height,
        width="stretch",
        **extra,
    )


def headline_reader(ctx: Context, df, *, key: str) -> None:
    """One headline in full, as plain text: long titles are cut off in the table."""
    if df.empty:
        return
    if st.session_state.get(key, 0) not in range(len(df)):
        st.session_state[key] = 0
    i = st.selectbox(
        "Read a headline in full",
        range(len(df)),
        key=key,
        format_func=lambda j: str(df["title"].iloc[j])[:160],
        help="Or select a row in the table.",
    )
    row = df.iloc[i]
    with st.container(border=True):
        st.text(str(row["title"]))
        meta = [str(row["published_at"])[:16].replace("T", " "), str(row["source"])]
        if row.get("companies"):
            meta.append(str(row["companies"]))
        st.caption(escape_md(" · ".join(meta)))
        if row.get("evidence"):
            st.text("Evidence: " + tables.evidence_text(str(row["evidence"]), ctx.theme_labels))
        url = tables.safe_url(row.get("url"))
        if url:
            st.link_button("Open the article", url, icon=":material/open_in_new:")
        else:
            st.caption("No web link for this headline.")
        correct.panel(ctx, df.iloc[[i]], story_id=-1, key=f"{key}_fix")


def period_picker(where=st) -> str:
    """Day, week or month (in the URL as period=, week by default): Timeline and Heatmaps."""
    return (
        where.segmented_control(
            "Period",
            ["day", "week", "month"],
            default="week",
            key="period",
            format_func=str.capitalize,
            bind="query-params",
        )
        or "week"
    )


def csv_button(
    ctx: Context, f: Filters, *, key: str, label: str = "Download CSV", n: int | None = None
) -> None:
    name, build = data.csv_export(ctx.db, f, ctx.facets.get("first_day"), ctx.anchor)
    _download(f"{label}", name, build, key=key, n=n)


def _download(label: str, name: str, build, *, key: str, n: int | None) -> None:
    count = f" ({n:,} rows)" if n is not None else ""
    # on_click="ignore": downloading must not rerun and reset the page (drill-downs, paging).
    st.download_button(
        f"{label}{count}",
        data=build,
        file_name=name,
        mime="text/csv",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def drill_list(ctx: Context, f: Filters, *, key: str, title: str, limit: int = 200) -> None:
    """The stories behind a chart cell or period, highest theme score first, each opening
    to its outlets' headlines; CSVs of the stories and of every headline."""
    n = data.story_count(ctx.db, ctx.version, f)
    st.markdown(f"#### {escape_md(title)}")
    if not n:
        st.info("No headlines behind this selection.", icon=":material/info:")
        return
    heads = data.count(ctx.db, ctx.version, f)
    shown = f"the {limit} highest-scoring of " if n > limit else ""
    st.caption(
        f"Showing {shown}{n:,} stories ({heads:,} headlines), highest theme score first; "
        "select a story to read every outlet's headline."
    )
    story_list(ctx, f, key=key, order="score", limit=limit)
    a, b = st.columns(2)
    with a:
        stories_csv_button(ctx, f, key=f"{key}_scsv", n=n, order="score")
    with b:
        csv_button(ctx, f, key=f"{key}_csv", label="Headlines as CSV", n=heads)


def stories_csv_button(
    ctx: Context, f: Filters, *, key: str, n: int | None = None, order: str = "latest"
) -> None:
    """The stories CSV, in the order of the table beside it."""
    name, build = data.stories_csv_export(ctx.db, f, ctx.facets.get("first_day"), ctx.anchor, order)
    _download("Stories as CSV", name, build, key=key, n=n)


def story_list(
    ctx: Context,
    f: Filters,
    *,
    key: str,
    order: str = "latest",
    limit: int = 50,
    offset: int = 0,
    height: int | str = "auto",
) -> None:
    """A table of stories (one row a story: its lead, first seen, outlets, companies,
    themes); the selected one (the first by default) opens below to every outlet's
    headline with its link and evidence."""
    themes = tuple(ctx.theme_ids)
    df = data.story_page(ctx.db, ctx.version, f, themes, order, limit, offset)
    frame = tables.story_frame(df, ctx.theme_ids, ctx.theme_labels)
    cfg = column_config(frame) | {
        "First seen": st.column_config.DatetimeColumn(
            "First seen (UTC)", format="YYYY-MM-DD HH:mm", width="small"
        ),
        "Outlets": st.column_config.NumberColumn("Outlets", width="small"),
        "Headlines": st.column_config.TextColumn(
            "Headlines", width="small", help="Matching the filters, of all in the story"
        ),
        "Direction": st.column_config.TextColumn(
            "Direction", width="medium", help="▲ escalating, ▼ easing, per theme"
        ),
    }
    event = st.dataframe(
        frame,
        column_config=cfg,
        hide_index=True,
        key=f"{key}_stories",
        height=height,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
    )
    if df.empty:
        return
    picked = event.selection.rows if event is not None else []
    i = picked[0] if picked and picked[0] < len(df) else 0
    story_detail(ctx, df.iloc[i], key=key)


def story_detail(ctx: Context, story, *, key: str) -> None:
    """One story opened: every outlet's headline with link and evidence, and its
    corrections (story: a row with story_id, title, outlets, first_seen)."""
    members = data.story_members(ctx.db, ctx.version, int(story["story_id"]), tuple(ctx.theme_ids))
    outlets = int(story["outlets"])
    with st.container(border=True):
        st.markdown(f"**{escape_md(str(story['title']))}**")
        st.caption(
            f"{outlets} outlet{'s' * (outlets != 1)} · {len(members)} headline"
            f"{'s' * (len(members) != 1)} · first seen "
            f"{str(story['first_seen'])[:16].replace('T', ' ')} UTC"
        )
        headline_table(ctx, members, key=f"{key}_members")
        if len(members):
            correct.panel(ctx, members, story_id=int(story["story_id"]), key=f"{key}_fix")


def risk_explainer() -> None:
    """The risk formula in plain words, from dashboard.risk's docstring (one source of truth)."""
    from dashboard import risk

    for kind, block in tables.explainer(risk.__doc__ or ""):
        if kind == "code":
            # Plain monospaced text: st.code would load and run a syntax highlighter, which
            # cost the Heatmaps page 0.2-0.4 s on every visit for two lines of formula.
            st.text(block)
        else:
            st.caption(escape_md(block))


def signal_strip(ctx: Context, limit: int = 3) -> None:
    """The Overview's first block: the strongest signals now, each a link to its headlines,
    and a link to the Signals page. Signals are read for every series, whatever the filters."""
    from dashboard.signals.latest import default_as_of
    from dashboard.ui import signal_view

    as_of = default_as_of(ctx.facets.get("last_day"), ctx.anchor)
    active, _ended = data.signals(ctx.db, ctx.version, as_of)
    with st.container(border=True):
        head, link = st.columns([4, 1])
        if not active:
            head.markdown(f"**What's rising** · nothing above its normal as of {as_of:%d %b}")
        else:
            head.markdown(
                f"**What's rising** · {len(active)} signal{'s' * (len(active) != 1)} "
                f"as of {as_of:%d %b}"
            )
        link.page_link(
            "ui/pages/signals.py",
            label="All signals",
            icon=":material/trending_up:",
            query_params={"as_of": as_of.isoformat()},
        )
        for sig in active[:limit]:
            st.page_link(
                "ui/pages/headlines.py",
                label=(
                    f"{signal_view.LEVEL_ICONS.get(sig.level, '')} "
                    f"{sig.name(ctx.theme_labels)} — {sig.level}: {sig.stories} "
                    f"stories from {sig.outlets} outlets (normal {sig.expected:.1f}), "
                    f"since {sig.since:%d %b}"
                ),
                query_params=signal_view.headlines_params(sig),
            )
        if len(active) > limit:
            st.caption(f"… and {len(active) - limit} more on the Signals page.")
