"""Feeds: the health of every feed; add one, import an OPML list, fetch now."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.errors import ChipwatchError
from dashboard.ingest.sources import fetchable
from dashboard.ui import actions, data, shell, watching

# Plain words, not emoji: not every analyst's machine has an emoji font.
STATUS = {
    "ok": "ok",
    "not_modified": "ok (unchanged)",
    "failed": "FAILING",
    "refused": "refused (private address)",
    None: "not fetched yet",
}

ctx = shell.context()
st.title("Feeds")
st.caption("Where the headlines come from, and whether each feed is healthy.")

rows = data.feeds(ctx.db)
if rows:
    df = pd.DataFrame(rows)
    table = pd.DataFrame(
        {
            "Status": [STATUS.get(s, s) for s in df["last_status"]],
            "Feed": df["title"].fillna(df["url"]),
            "URL": df["url"],
            "Headlines": df["headlines"].astype(int),
            "Last success": pd.to_datetime(
                df["last_ok_at"], utc=True, errors="coerce"
            ).dt.tz_localize(None),
            "Last error": df["last_error"].fillna(""),
            "Failures in a row": df["consecutive_failures"].astype(int),
            "Next attempt": pd.to_datetime(
                df["next_attempt_at"], utc=True, errors="coerce"
            ).dt.tz_localize(None),
            "Synthetic": df["is_demo"].astype(bool),
        }
    )
    failing = int((df["last_status"] == "failed").sum())
    a, b, c = st.columns(3)
    a.metric("Feeds", len(df))
    b.metric("Failing", failing)
    c.metric("Headlines stored", f"{int(df['headlines'].sum()):,}")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="feeds_table",
        column_config={
            # Feed URLs may be files or non-web schemes: shown as text, never as links.
            "URL": st.column_config.TextColumn("URL", width="medium"),
            "Last success": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "Next attempt": st.column_config.DatetimeColumn(
                format="YYYY-MM-DD HH:mm", help="A failing feed waits before it is retried."
            ),
            "Last error": st.column_config.TextColumn(width="large"),
        },
    )
else:
    st.info(
        "No feeds yet. Add one below, import an OPML list, or run "
        "`chipwatch ingest data/feeds.opml` (or `make run` for the synthetic demo).",
        icon=":material/rss_feed:",
    )

watching.section(ctx.db)  # the watcher's schedule and each feed's 30-day health


def _feeds(n: int) -> str:
    return f"{n} feed{'s' if n != 1 else ''}"


def _show_report(job: actions.FetchJob) -> None:
    if job.error:
        st.error(f"Fetch failed: {job.error}")
        return
    st.success(
        f"Fetched {_feeds(job.total)}: {job.new:,} new headlines, {job.duplicates:,} already known."
    )
    for source, reason in job.failures:
        st.error(f"{source}: {reason}")
    for source, warning in job.warnings:
        st.warning(f"{source}: {warning}")


if not ctx.user.can("feeds"):
    # actions.* check the role again: a forged click from this session changes nothing.
    st.info(
        f"Your role ({ctx.user.role}) reads the feed list; an editor adds, removes and fetches"
        " feeds.",
        icon=":material/lock:",
    )
    st.stop()

st.subheader("Add feeds")
if flash := st.session_state.pop("feeds_flash", None):
    st.success(flash)  # what the click before the last whole-page run did
registered = [r["url"] for r in rows]
defaults = actions.default_list()
missing = actions.missing_defaults(registered)
if defaults is not None and missing:
    st.info(
        f"Chipwatch ships a list of {missing} news and trade-press feeds on AI chips and tech"
        f" policy (`{defaults.name}`) that is not on your list yet.",
        icon=":material/playlist_add:",
    )
    if st.button(f"Add the {missing} suggested feeds", icon=":material/add:", key="add_defaults"):
        try:
            done = actions.import_opml(ctx.db, defaults, user=ctx.user)
            st.session_state["feeds_flash"] = (
                f"Added {done.added} feeds. Press **Fetch now** to read them."
            )
            st.rerun()
        except ChipwatchError as exc:
            st.error(str(exc))
add, opml = st.columns(2, gap="large")
with add, st.form("add_feed", clear_on_submit=True):
    url = st.text_input("Feed URL", placeholder="https://example.com/feed.xml")
    if st.form_submit_button("Add feed", icon=":material/add:"):
        try:
            added = actions.add_feed(ctx.db, url, user=ctx.user)
            st.success(f"Added {added}. Press **Fetch now** to read it.")
        except ChipwatchError as exc:
            st.error(str(exc))
with opml:
    upload = st.file_uploader("Import an OPML list", type=["opml", "xml"], key="opml_upload")
    if upload is not None and st.button("Import feeds from this file", key="opml_import"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "import.opml"
            path.write_bytes(upload.getvalue())
            try:
                done = actions.import_opml(ctx.db, path, user=ctx.user)
            except ChipwatchError as exc:
                st.error(str(exc))
                done = None
        if done is not None:
            known = f" ({done.known} already on the list)" if done.known else ""
            st.success(f"Imported {done.added} feeds from {upload.name}{known}.")
            for location in done.skipped:
                st.error(f"Skipped {location[:200]}: not an http(s) feed URL.")

if rows:
    st.subheader("Remove feeds")
    labels = {r["url"]: f"{r['title'] or r['url']} ({r['url']})"[:160] for r in rows}
    gone = st.multiselect(
        "Feeds to take off the list",
        list(labels),
        format_func=labels.get,
        key="remove_feeds",
        help="The headlines they brought stay; only the feed stops being fetched.",
    )
    if st.button("Remove", icon=":material/delete:", disabled=not gone, key="remove_button"):
        n = actions.remove_feeds(ctx.db, gone, user=ctx.user)
        st.session_state.pop("remove_feeds", None)
        st.session_state["feeds_flash"] = (
            f"Removed {n} feed{'s' if n != 1 else ''} from the list; their headlines stay."
        )
        st.rerun()

st.subheader("Fetch")
web = [r["url"] for r in fetchable(data.feeds(ctx.db))]
st.caption(f"{len(web)} web feeds on the list. Failing feeds wait before they are retried.")
job = actions.current_fetch(ctx.db)
busy = job is not None and job.running
if st.button(
    "Fetch now",
    type="primary",
    icon=":material/refresh:",
    disabled=not web or busy,
    key="fetch_now",
    help="Runs in the background: you may leave this page while it works.",
):
    job = actions.start_fetch(ctx.db, web, user=ctx.user)
    busy = job.running


@st.fragment(run_every=1.0 if busy else None)
def fetch_status() -> None:
    job = actions.current_fetch(ctx.db)
    if job is None:
        return
    if job.running:
        st.session_state["fetch_watched"] = job.id
        st.progress(
            job.done / max(job.total, 1),
            text=f"Fetching {_feeds(job.total)}… {job.done}/{job.total} · {job.current[-80:]}",
        )
        st.caption("This goes on in the background if you leave the page or click elsewhere.")
        return
    if st.session_state.get("fetch_watched") == job.id:
        # Seen running, now done: one whole-page run so the table shows the new numbers.
        st.session_state["fetch_watched"] = None
        st.rerun()
    _show_report(job)


fetch_status()
