"""Feeds: the health of every feed; add one, import an OPML list, fetch now."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import config
from dashboard.errors import ChipwatchError
from dashboard.ingest.sources import fetchable, read_opml, url_source
from dashboard.store import Store
from dashboard.ui import data, shell, watching

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


def _writable() -> Store:
    return Store(ctx.db)


def fetch(urls: list[str]) -> None:
    from dashboard.ingest import ingest

    bar = st.progress(0.0, text=f"Fetching {len(urls)} feeds…")

    def tick(done: int, total: int, label: str) -> None:
        bar.progress(done / max(total, 1), text=f"{done}/{total} · {label[:80]}")

    try:
        with _writable() as store:
            report = ingest(
                store, urls, progress=tick, allow_private=config.allow_private(), force=True
            )
    except ChipwatchError as exc:
        bar.empty()
        st.error(f"Fetch failed: {exc}")
        return
    bar.progress(1.0, text="Done")
    st.success(f"{report.new:,} new headlines, {report.duplicates:,} already known.")
    for source, reason in report.failures:
        st.error(f"{source}: {reason}")
    for o in report.outcomes:
        if o.warning:
            st.warning(f"{o.source}: {o.warning}")


st.subheader("Add feeds")
add, opml = st.columns(2, gap="large")
with add, st.form("add_feed", clear_on_submit=True):
    url = st.text_input("Feed URL", placeholder="https://example.com/feed.xml")
    if st.form_submit_button("Add feed", icon=":material/add:"):
        try:
            src = url_source(url)
            with _writable() as store:
                store.ensure_feed(src.location, src.title)
            st.success(f"Added {src.location}. Press **Fetch now** to read it.")
        except ChipwatchError as exc:
            st.error(str(exc))
with opml:
    upload = st.file_uploader("Import an OPML list", type=["opml", "xml"], key="opml_upload")
    if upload is not None and st.button("Import feeds from this file", key="opml_import"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "import.opml"
            path.write_bytes(upload.getvalue())
            try:
                found = read_opml(path)
            except ChipwatchError as exc:
                st.error(str(exc))
                found = []
        good = [s for s in found if s.kind == "url"]
        with _writable() as store:
            for s in good:
                store.ensure_feed(s.location, s.title)
        if found:
            st.success(f"Imported {len(good)} feeds from {upload.name}.")
        for s in found:
            if s.kind != "url":
                st.error(f"Skipped {s.location[:200]}: not an http(s) feed URL.")

st.subheader("Fetch")
web = [r["url"] for r in fetchable(data.feeds(ctx.db))]
st.caption(f"{len(web)} web feeds on the list. Failing feeds wait before they are retried.")
if st.button(
    "Fetch now", type="primary", icon=":material/refresh:", disabled=not web, key="fetch_now"
):
    fetch(web)
