"""The pages' only door to the data: cached wrappers over dashboard.store.queries.

Every cached function takes the database path and ``queries.data_version`` as its first
arguments, so an ingest (from the CLI or the Feeds page) changes the key and the next run
reads fresh numbers without a restart. Filters is a frozen dataclass and hashes by value.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.filters import Filters
from dashboard.store import Store, queries

MAX_OFFSET = queries.MAX_OFFSET  # the deepest page of headlines; pages read it here

# Read-only connections kept between script runs (Streamlit runs every rerun in a new
# thread): a connection keeps its temporary rollups, its story lists and its warm memory map,
# so the second query of a filter is cheap whichever session asks. One thread uses a
# connection at a time; more sessions at once open more, and the pool keeps the newest few.
POOL_KEPT = 4
_pool: dict[str, list[tuple[int, Store]]] = {}
_pool_lock = threading.Lock()


@contextmanager
def borrowed(path: str) -> Iterator[Store]:
    """A read-only store for this call alone, from the pool (or newly opened)."""
    ident = _file_id(path)
    with _pool_lock:
        free = _pool.setdefault(path, [])
        found = free.pop() if free else None
    if found is not None and found[0] != ident:  # the file was replaced: a new connection
        found[1].close()
        found = None
    own = found[1] if found is not None else _open(path)
    ident = _file_id(path) if found is None else ident
    try:
        yield own
    finally:
        if own.conn.in_transaction:  # left mid-way by an error: not fit to lend again
            own.close()
        else:
            with _pool_lock:
                free = _pool.setdefault(path, [])
                free.append((ident, own))
                while len(free) > POOL_KEPT:
                    free.pop(0)[1].close()


def _file_id(path: str) -> int:
    try:
        return os.stat(path).st_ino
    except OSError:
        return -1


def _open(path: str) -> Store:
    # Only a missing database is opened for writing (to create it): a writer would otherwise
    # queue behind a long CLI ingest. A read-only open upgrades an older file itself.
    if not Path(path).exists():
        Store(path).close()
    return Store(path, readonly=True)


def version(path: str) -> str:
    with borrowed(path) as s:
        return queries.data_version(s)


@st.cache_data(show_spinner=False, max_entries=64)
def facets(path: str, v: str) -> dict:
    with borrowed(path) as s:
        return queries.facets(s)


@st.cache_data(show_spinner=False, max_entries=256)
def kpis(path: str, v: str, f: Filters, every_theme: bool = False) -> dict:
    with borrowed(path) as s:
        return queries.kpis(s, f, every_theme=every_theme)


@st.cache_data(show_spinner=False, max_entries=256)
def risk_cells(path: str, v: str, f: Filters, every_theme: bool = False) -> pd.DataFrame:
    with borrowed(path) as s:
        return queries.risk_cells(s, f, every_theme=every_theme)


@st.cache_data(show_spinner=False, max_entries=256)
def company_risk(path: str, v: str, f: Filters, every_theme: bool = False) -> pd.DataFrame:
    with borrowed(path) as s:
        return queries.company_risk(s, f, every_theme=every_theme)


@st.cache_data(show_spinner=False, max_entries=256)
def timeline(
    path: str,
    v: str,
    f: Filters,
    by: str,
    period: str,
    top: int = 10,
    every_theme: bool = False,
    with_stories: bool = False,
) -> pd.DataFrame:
    with borrowed(path) as s:
        return queries.timeline(
            s,
            f,
            by=by,
            period=period,
            top=top,
            every_theme=every_theme,
            with_stories=with_stories,
        )


@st.cache_data(show_spinner=False, max_entries=256)
def period_matrix(
    path: str, v: str, f: Filters, by: str, period: str, top: int | None = None
) -> pd.DataFrame:
    with borrowed(path) as s:
        return queries.period_matrix(s, f, by=by, period=period, top=top)


def trend_period(f: Filters, first_day: date | None, anchor: date) -> str:
    """The period the Overview's trends are drawn in, for the window f shows."""
    span = (f.date_to or anchor) - (f.date_from or first_day or anchor)
    return queries.trend_period(span.days)


@st.cache_data(show_spinner=False, max_entries=512)
def count(path: str, v: str, f: Filters) -> int:
    with borrowed(path) as s:
        return queries.count(s, f)


@st.cache_data(show_spinner=False, max_entries=512)
def headlines(
    path: str,
    v: str,
    f: Filters,
    sort: str = "published_at",
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> pd.DataFrame:
    with borrowed(path) as s:
        return queries.headlines(s, f, sort=sort, descending=descending, limit=limit, offset=offset)


@st.cache_data(show_spinner=False, max_entries=16)
def stale_tags(path: str, v: str, taxonomy_version: str) -> int:
    with borrowed(path) as s:
        return queries.stale_tags(s, taxonomy_version)


def feeds(path: str) -> list[dict]:
    # Not cached: the health table is what an analyst checks right after a fetch.
    with borrowed(path) as s:
        return s.feeds()


def csv_export(path: str, f: Filters, first: date | None = None, last: date | None = None):
    """(filename, callable producing the CSV): the bytes are only built when clicked. An open
    window's file is named by first (the data's first day) and last (today)."""
    from dashboard import export

    def build() -> bytes:
        # Runs outside the script thread; give it its own connection.
        with Store(path, readonly=True) as own:
            return export.csv_bytes(own, f)

    return export.filename(f, first, last), build


def stories_csv_export(
    path: str,
    f: Filters,
    first: date | None = None,
    last: date | None = None,
    order: str = "latest",
):
    """(filename, callable producing the stories CSV), built only when clicked."""
    from dashboard import export

    def build() -> bytes:
        with Store(path, readonly=True) as own:
            return export.stories_csv_bytes(own, f, order=order)

    return export.stories_filename(f, first, last), build


def freshness(path: str) -> dict:
    # Not cached: a fetch or the watcher may have written since the last run.
    with borrowed(path) as s:
        return queries.freshness(s)


def heartbeat(path: str) -> dict | None:
    # Not cached: "last cycle 2 min ago" must be now's answer.
    from dashboard.store import watchlog

    with borrowed(path) as s:
        return watchlog.heartbeat(s)


def feed_health(path: str) -> dict:
    from datetime import UTC, datetime

    with borrowed(path) as s:
        return queries.feed_health(s, datetime.now(UTC).date())


def low_coverage_days(path: str, start, end) -> list[str]:
    """Days start..end (complete days only: not today) when fewer than half of the usual
    feeds answered. Not cached: the watcher writes while the page reads."""
    from datetime import UTC, datetime, timedelta

    from dashboard.coverage import low_days

    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    end = min(end or yesterday, yesterday)
    if start is None or start > end:
        return []
    with borrowed(path) as s:
        return low_days(queries.coverage(s, start, end))


@st.cache_data(show_spinner=False, max_entries=32)
def signals(path: str, v: str, as_of: date) -> tuple[list, list]:
    """(signals on as_of strongest first, those that ended in the week before): the list
    `chipwatch signals` prints."""
    from dashboard.signals.latest import current

    with borrowed(path) as s:
        return current(s, as_of)


@st.cache_data(show_spinner=False, max_entries=128)
def signal_stories(path: str, v: str, ids: tuple[str, ...]) -> pd.DataFrame:
    """The stories behind a signal, newest first: title, link, first seen, outlets."""
    from dashboard.store import signals as stored

    with borrowed(path) as s:
        rows = stored.stories_by_id(s, list(ids))
    frame = pd.DataFrame(rows, columns=["story_id", "title", "url", "first_seen", "outlets"])
    frame["first_seen"] = pd.to_datetime(frame["first_seen"], utc=True, format="ISO8601")
    return frame[["first_seen", "title", "outlets", "url", "story_id"]]


@st.cache_data(show_spinner=False, max_entries=512)
def story_count(path: str, v: str, f: Filters) -> int:
    with borrowed(path) as s:
        return queries.stories.count(s, f)


@st.cache_data(show_spinner=False, max_entries=256)
def story_page(
    path: str, v: str, f: Filters, themes: tuple[str, ...], order: str, limit: int, offset: int
) -> pd.DataFrame:
    with borrowed(path) as s:
        return queries.stories.page(s, f, themes, order=order, limit=limit, offset=offset)


@st.cache_data(show_spinner=False, max_entries=256)
def story_members(path: str, v: str, story_id: int, themes: tuple[str, ...]) -> pd.DataFrame:
    """Every headline of one story, in the headline tables' columns."""
    with borrowed(path) as s:
        return queries.stories.members(s, story_id, themes)


@st.cache_data(show_spinner=False, max_entries=256)
def corrections(
    path: str, v: str, *, story: int | None = None, headline: str | None = None
) -> list[dict]:
    """The analysts' corrections touching a story or a headline, newest first."""
    with borrowed(path) as s:
        return s.feedback_acts(story=story, headline=headline, limit=50)


@st.cache_data(show_spinner=False, max_entries=64)
def corrected_terms(path: str, v: str, taxonomy_version: str, _tagger) -> list:
    """The terms behind the most corrected tags (Taxonomy page)."""
    from dashboard.feedback.report import corrected_terms as terms

    with borrowed(path) as s:
        return terms(s, _tagger)
