"""The watcher on the Feeds page: its heartbeat, each feed's schedule and 30-day health.

schedule_table() and heartbeat_text() are pure (tested without Streamlit); section() draws
them. Kept apart from the page so the page's own edits and these do not collide.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from dashboard.coverage import Health
from dashboard.ingest.schedule import humanize
from dashboard.ingest.sources import fetchable
from dashboard.store.schema import moment


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max(0.0, (now - moment).total_seconds())
    return "just now" if seconds < 60 else f"{humanize(seconds)} ago"


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return moment(text)
    except ValueError:
        return None


def heartbeat_text(beat: dict | None, now: datetime) -> str:
    """One line: is a watcher keeping the feeds fresh, and how are they doing."""
    if not beat or not _parse(beat.get("at")):
        return (
            "No watcher has run on this database: feeds are fetched only by `chipwatch ingest`,"
            " **Fetch now**, or `chipwatch watch` / `chipwatch serve --watch`."
        )
    at = _parse(beat["at"])
    state = "stopped" if beat.get("state") == "stopped" else "last cycle"
    due = _parse(beat.get("next_due"))
    tail = f"; next feed due {due:%Y-%m-%d %H:%M} UTC" if due and state != "stopped" else ""
    return (
        f"Watcher {state} {_ago(at, now)}: {beat.get('feeds_ok', 0)} feeds ok,"
        f" {beat.get('feeds_failing', 0)} failing{tail}."
    )


def freshness_text(beat: dict | None, now: datetime) -> str | None:
    """ "Last fetch 3 min ago" for every page's sidebar; None when no watcher ever ran."""
    at = _parse((beat or {}).get("at"))
    if at is None:
        return None
    stopped = " (watcher stopped)" if beat.get("state") == "stopped" else ""
    return f"Last fetch {_ago(at, now)}{stopped}"


def schedule_table(rows: list[dict], health: dict[int, Health]) -> pd.DataFrame:
    """Feed, next due, interval and 30-day health, one row a web feed."""
    web = fetchable(rows)
    return pd.DataFrame(
        {
            "Feed": [r["title"] or r["url"] for r in web],
            "Next due": pd.to_datetime(
                [r.get("next_due_at") for r in web], utc=True, errors="coerce"
            ).tz_localize(None),
            "Interval": [humanize(r.get("poll_interval")) for r in web],
            "30-day health": [
                health[r["id"]].text() if r["id"] in health else "no fetches" for r in web
            ],
        }
    )


def section(db: str) -> None:
    import streamlit as st

    from dashboard.ui import data

    st.subheader("Schedule and health")
    now = datetime.now(UTC)
    st.caption(heartbeat_text(data.heartbeat(db), now))
    table = schedule_table(data.feeds(db), data.feed_health(db))
    if table.empty:
        return
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="feeds_schedule",
        column_config={
            "Next due": st.column_config.DatetimeColumn(
                format="YYYY-MM-DD HH:mm", help="When the watcher fetches this feed next (UTC)."
            ),
            "Interval": st.column_config.TextColumn(
                help="From the feed's own pace, or longer when the publisher asks (ttl,"
                " Cache-Control, Retry-After)."
            ),
            "30-day health": st.column_config.TextColumn(
                help="Days the feed answered at least once, and the share of fetches that worked."
            ),
        },
    )


def coverage_text(low: list[str]) -> str | None:
    """The warning a count over a low-coverage window carries; None when coverage was fine."""
    if not low:
        return None
    shown = ", ".join(low[:3]) + (f" and {len(low) - 3} more" if len(low) > 3 else "")
    return (
        f"Low coverage on {len(low)} day(s) of this window ({shown}): fewer than half of the"
        " usual feeds answered, so the counts undercount the news."
    )


def coverage_note(db: str, f) -> None:
    """Say so under any count computed over a window with low-coverage days."""
    import streamlit as st

    from dashboard.ui import data

    start = f.date_from or datetime.now(UTC).date().replace(year=datetime.now(UTC).year - 1)
    text = coverage_text(data.low_coverage_days(db, start, f.date_to))
    if text:
        st.caption(f":material/visibility_off: {text}")
