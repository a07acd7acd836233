"""Warm-up at server start, in a background thread, so the first visit does not pay for it.

What the first script run would otherwise do itself: compile the emoji patterns Streamlit
checks widget labels and options against (0.1-0.5 s on the first segmented control or radio,
on a loaded 2-core machine), open a pooled read connection to the database, and read what
every first visit reads whatever its filters (the facets, the current signals). The objects
of every module loaded by then are moved out of the garbage collector's sight (gc.freeze):
Streamlit runs a full collection after every script run, and walking plotly's, pandas' and
Streamlit's own objects each time was most of its cost. No filter's data is read here.
"""

from __future__ import annotations

import gc
import threading
import time

RUNTIME_WAIT_S = 120.0


def start(db: str | None = None) -> threading.Thread:
    """Start the warm-up (a daemon thread: it never delays shutdown); returns the thread."""
    thread = threading.Thread(target=_warm, args=(db,), name="chipwatch-warm", daemon=True)
    thread.start()
    return thread


def _warm(db: str | None) -> None:
    import streamlit.emojis  # its module-level regexes compile on import
    import streamlit.string_util  # noqa: F401
    from streamlit import runtime

    # dashboard.ui.data's caches bind to the runtime's storage when first imported: before the
    # runtime exists they would get a private one, so the import waits for it.
    deadline = time.monotonic() + RUNTIME_WAIT_S
    while not runtime.exists():
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)

    from dashboard import config
    from dashboard.errors import ChipwatchError
    from dashboard.signals.latest import default_as_of
    from dashboard.ui import data, shell

    path = db or str(config.db_path())
    try:
        # The reads every first visit makes whatever its filters, into the pages' own caches
        # (a page asking for the same one meanwhile waits for this computation, it does not
        # repeat it): the facets, and the signals the Overview opens with (2.6 s at 1M).
        version = data.version(path)
        facets = data.facets(path, version)
        gc.freeze()
        data.signals(path, version, default_as_of(facets.get("last_day"), shell.preset_anchor()))
    except (ChipwatchError, OSError):
        pass  # the first page says what is wrong with the database
