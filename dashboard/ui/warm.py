"""Warm-up at server start, in a background thread, so the first visit does not pay for it.

What the first script run would otherwise do itself: compile the emoji patterns Streamlit
checks every widget label and option against (0.1-0.5 s on the first segmented control or
radio, on a loaded 2-core machine), and open a pooled read connection to the database (its
schema parsed, its memory map set up). Nothing here reads a filter's data: the thread only
runs before the first page asks for it, and never holds the interpreter long.
"""

from __future__ import annotations

import threading


def start(db: str | None = None) -> threading.Thread:
    """Start the warm-up (a daemon thread: it never delays shutdown); returns the thread."""
    thread = threading.Thread(target=_warm, args=(db,), name="chipwatch-warm", daemon=True)
    thread.start()
    return thread


def _warm(db: str | None) -> None:
    import streamlit.emojis  # its module-level regexes compile on import
    import streamlit.string_util  # noqa: F401

    from dashboard import config
    from dashboard.errors import ChipwatchError
    from dashboard.store import queries
    from dashboard.ui import data

    path = db or str(config.db_path())
    try:
        with data.borrowed(path) as store:
            queries.data_version(store)
    except (ChipwatchError, OSError):
        return  # the first page says what is wrong with the database
