"""How fresh the data is, said on every page: the newest headline, the last successful fetch,
and failing feeds; and a warning when the window runs past the newest headline, so that days
without data do not read as quiet days. freshness_line() and stale_notice() are pure."""

from __future__ import annotations

from datetime import UTC, date, datetime

# The window may run a day past the newest headline (today's news is still coming in);
# from this many days on, the page warns.
STALE_DAYS = 2


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _age(moment: datetime, now: datetime) -> str:
    days = (now.date() - moment.date()).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def freshness_line(fresh: dict, now: datetime) -> str:
    """'Data: newest headline 20 Nov 2026 (12 days ago) · last successful fetch … · …'"""
    latest = _when(fresh.get("latest"))
    parts = [
        f"newest headline {latest:%d %b %Y} ({_age(latest, now)})" if latest else "no headline yet"
    ]
    ok = _when(fresh.get("last_ok"))
    if fresh.get("feeds"):
        parts.append(
            f"last successful fetch {ok:%d %b %Y %H:%M} UTC ({_age(ok, now)})"
            if ok
            else "no fetch has succeeded yet"
        )
        failing = fresh.get("failing", 0)
        parts.append(
            f"{failing} of {fresh['feeds']} feeds failing" if failing else "no feed failing"
        )
    return "Data: " + " · ".join(parts)


def stale_notice(fresh: dict, window_end: date | None) -> str | None:
    """The warning for a window ending after the newest headline by STALE_DAYS or more."""
    latest = _when(fresh.get("latest"))
    if latest is None or window_end is None:
        return None
    gap = (window_end - latest.date()).days
    if gap < STALE_DAYS:
        return None
    return (
        f"The newest headline is from {latest:%d %b %Y}, {gap} days before this window ends"
        f" ({window_end:%d %b %Y}): those days hold no data, which is not the same as no news."
        " Check the Feeds page, or fetch."
    )


def draw(db: str, window_end: date | None) -> None:
    import streamlit as st

    from dashboard.ui import data

    fresh = data.freshness(db)
    now = datetime.now(UTC)
    st.caption(freshness_line(fresh, now))
    notice = stale_notice(fresh, window_end)
    if notice:
        st.warning(notice, icon=":material/schedule:")
