"""The pages' only door for writes: feed list edits, "Fetch now" and analysts' corrections.

Every write takes the user and checks their role here (dashboard/access.py), on the server,
whatever the page drew: a viewer's forged request changes nothing.

A fetch runs in a background thread that belongs to the server process, not to the script
run that started it: Streamlit stops a script partway when the user clicks anything, and
a fetch on the script thread would be stopped with it. The page polls the job instead
(`current_fetch`), so leaving the page or clicking elsewhere neither cancels nor corrupts
it; each feed is still stored in its own transaction. One fetch runs per database at a time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from dashboard import config
from dashboard.access import User, require
from dashboard.errors import ChipwatchError, SourceError
from dashboard.ingest import sources as feedlist
from dashboard.store import Store

# --- the feed list ----------------------------------------------------------------------------


def add_feed(db: str, url: str, *, user: User) -> str:
    """Register one feed URL; returns it as stored. SourceError says plainly what is wrong."""
    require(user, "feeds")
    url = (url or "").strip()
    if not url:
        raise SourceError("Type or paste a feed URL first, e.g. https://example.com/feed.xml.")
    if "://" not in url and "." in url.split("/", 1)[0]:
        raise SourceError(f"{url[:200]}: add http:// or https:// in front of the address.")
    src = feedlist.url_source(url)
    with Store(db) as store:
        store.ensure_feed(src.location, src.title)
    return src.location


def remove_feeds(db: str, urls: list[str], *, user: User) -> int:
    """Take feeds off the list; the headlines they brought stay. Returns how many went."""
    require(user, "feeds")
    with Store(db) as store:
        return sum(store.remove_feed(u) for u in urls)


@dataclass(frozen=True)
class Imported:
    added: int  # feeds new to the list
    known: int  # feeds already on it
    skipped: list[str]  # entries that are not http(s) feed URLs


def import_opml(db: str, path: str | Path, *, user: User) -> Imported:
    """Register every http(s) feed of an OPML file."""
    require(user, "feeds")
    found = feedlist.read_opml(path)
    good = [s for s in found if s.kind == "url"]
    with Store(db) as store:
        before = {f["url"] for f in store.feeds()}
        with store.transaction():
            for s in good:
                store.ensure_feed(s.location, s.title)
    added = len({s.location for s in good} - before)
    return Imported(added, len(good) - added, [s.location for s in found if s.kind != "url"])


def default_list() -> Path | None:
    """The shipped feed list ($CHIPWATCH_OPML, else data/feeds.opml), when there is one."""
    path = config.opml_path()
    return path if path is not None and path.is_file() else None


def missing_defaults(registered: list[str]) -> int:
    """How many feeds of the default list are not registered yet (0 without a list)."""
    path = default_list()
    if path is None:
        return 0
    try:
        urls = {s.location for s in feedlist.read_opml(path) if s.kind == "url"}
    except ChipwatchError:
        return 0
    return len(urls - set(registered))


# --- Fetch now ----------------------------------------------------------------------------------


@dataclass
class FetchJob:
    """One background fetch. The thread writes these fields; pages only read them."""

    db: str
    urls: list[str]
    started: float = field(default_factory=time.time)
    done: int = 0
    total: int = 0
    current: str = ""
    finished: float | None = None
    new: int = 0
    duplicates: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    id: int = 0

    @property
    def running(self) -> bool:
        return self.finished is None

    def _progress(self, done: int, total: int, label: str = "") -> None:
        self.done, self.total, self.current = done, total, label

    def _run(self) -> None:
        from dashboard.ingest import ingest

        try:
            with Store(self.db) as store:
                report = ingest(
                    store,
                    self.urls,
                    progress=self._progress,
                    allow_private=config.allow_private(),
                    # "Fetch now" means now, even for a failing feed that waits out its backoff.
                    force=True,
                )
            self.new, self.duplicates = report.new, report.duplicates
            self.failures = list(report.failures)
            self.warnings = [(o.source, o.warning) for o in report.outcomes if o.warning]
        except ChipwatchError as exc:
            self.error = str(exc)
        except Exception as exc:  # the page must hear of it; the thread has no one else to tell
            self.error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
        finally:
            self.finished = time.time()


_jobs: dict[str, FetchJob] = {}
_lock = threading.Lock()
_ids = iter(range(1, 1 << 62))


def start_fetch(db: str, urls: list[str], *, user: User) -> FetchJob:
    """Start fetching urls into db in the background, or return the fetch already running
    there (a second click does not start a second writer)."""
    require(user, "feeds")
    key = str(Path(db).resolve())
    with _lock:
        job = _jobs.get(key)
        if job is not None and job.running:
            return job
        job = FetchJob(db=str(db), urls=list(urls), total=len(urls), id=next(_ids))
        _jobs[key] = job
        threading.Thread(target=job._run, name="chipwatch-fetch-now", daemon=True).start()
        return job


def current_fetch(db: str) -> FetchJob | None:
    """The running fetch for db, or the last one that ran (its report), or None."""
    with _lock:
        return _jobs.get(str(Path(db).resolve()))


# --- analysts' corrections ----------------------------------------------------------------


def give_feedback(
    db: str,
    tagger,
    kind: str,
    key: str,
    value: str,
    *,
    user: User,
    headline: str | None = None,
    story: int | None = None,
    comment: str = "",
):
    """Record one correction by this user and apply it (dashboard.feedback.give)."""
    from dashboard import feedback

    require(user, "feedback")
    with Store(db) as store:
        return feedback.give(
            store,
            tagger,
            kind,
            key,
            value,
            author=user.email,
            headline=headline,
            story=story,
            comment=comment,
        )


def retract_feedback(db: str, tagger, feedback_id: int, *, user: User):
    from dashboard import feedback

    require(user, "feedback")
    with Store(db) as store:
        return feedback.retract(store, tagger, feedback_id, by=user.email)
