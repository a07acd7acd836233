"""`chipwatch watch`: keep every registered feed (and the default OPML list) fresh.

A loop over one database: fetch the feeds that are due, store them (one transaction a feed,
through the same Ingestor as `chipwatch ingest`), give each its next due time
(dashboard.ingest.schedule), write a heartbeat, sleep until the next one is due. The clock is
injected, so a test or a benchmark can run a simulated day in seconds.

Stopping: the CLI installs signal handlers that raise Stopping (once) wherever the loop is. A
feed being written is rolled back by its transaction, fetches in flight are cancelled when
their iterator closes, and run() returns normally. One watcher per database: an exclusive
flock on a file beside the database, which the kernel drops when the process dies.
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import signal
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dashboard.config import Settings
from dashboard.errors import ChipwatchError, WatcherRunning
from dashboard.ingest import schedule
from dashboard.ingest.pipeline import Ingestor
from dashboard.store import Store, watchlog
from dashboard.store.schema import iso, moment

log = logging.getLogger("chipwatch.watch")
PRUNE_EVERY = timedelta(hours=1)
IDLE_CHECK = 60.0  # seconds: a feed added while the watcher sleeps waits at most this long


class Stopping(BaseException):
    """Raised by the signal handler: BaseException, so no `except Exception` swallows it."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        threading.Event().wait(max(0.0, seconds))


class DrivenClock:
    """A clock that moves only when told (or when the watcher sleeps): simulated days."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.moment += timedelta(seconds=max(0.0, seconds))


def _when(text: str | None) -> datetime | None:
    return moment(text) if text else None


@dataclass(slots=True)
class Cycle:
    at: datetime
    fetched: int = 0
    ok: int = 0
    failed: int = 0
    refused: int = 0
    new: int = 0


class Watcher:
    def __init__(
        self,
        store: Store,
        *,
        clock=None,
        min_interval: float = schedule.DEFAULT_MIN,
        max_interval: float = schedule.DEFAULT_MAX,
        opml: str | Path | None = None,
        settings: dict | None = None,
        allow_private: bool = False,
        rng: random.Random | None = None,
        taxonomy=None,
        tagger=None,
        after_cycle=None,
    ) -> None:
        if min_interval > max_interval:
            raise ChipwatchError(
                f"--min-interval ({min_interval:g} s) is longer than --max-interval"
                f" ({max_interval:g} s)"
            )
        self.store = store
        self.clock = clock or SystemClock()
        self.min_interval, self.max_interval = min_interval, max_interval
        self.opml = Path(opml) if opml else None
        self._opml_seen: float | None = None
        self.rng = rng or random.Random()
        # No worker processes: a cycle holds a few due feeds, and forked workers would
        # inherit the signal handlers that stop the watcher.
        self.settings = Settings.of(settings, parse_workers=0)
        # force: the watcher's own schedule already holds each failing feed's backoff.
        self.ingestor = Ingestor(
            store,
            settings=self.settings,
            allow_private=allow_private,
            force=True,
            now=self.clock.now,
            taxonomy=taxonomy,
            tagger=tagger,
        )
        # Called with the cycle's time once it is stored (the notifier): it must not block.
        self.after_cycle = after_cycle
        self.cycles = 0
        self._ttl: dict[int, int] = {}  # a 304 has no body: the feed's last <ttl> still holds
        self._pruned: datetime | None = None
        # Refused feeds were refused under the settings of an earlier run: try them again.
        watchlog.clear_refused(store)

    # -- the feed list ---------------------------------------------------------------------
    def sync_opml(self) -> None:
        """Register the OPML list's feeds, again whenever the file changes."""
        if self.opml is None:
            return
        from dashboard.ingest.sources import read_opml

        try:
            mtime = self.opml.stat().st_mtime
            if mtime == self._opml_seen:
                return
            found = read_opml(self.opml)
        except (OSError, ChipwatchError) as exc:
            log.warning("feed list %s not read: %s", self.opml, exc)
            self._opml_seen = None
            return
        self._opml_seen = mtime
        with self.store.transaction():
            for src in found:
                if src.kind == "url":
                    self.store.ensure_feed(src.location, src.title)

    @staticmethod
    def due_at(feed: dict) -> datetime | None:
        """When a feed is due; None means now (never scheduled)."""
        times = [_when(feed["next_due_at"]), _when(feed["next_attempt_at"])]
        times = [t for t in times if t is not None]
        return max(times) if times else None

    def next_due(self, feeds: list[dict] | None = None) -> datetime | None:
        feeds = watchlog.watched_feeds(self.store) if feeds is None else feeds
        now = self.clock.now()
        times = [self.due_at(f) or now for f in feeds]
        return min(times) if times else None

    # -- one cycle ---------------------------------------------------------------------------
    def cycle(self) -> Cycle:
        """Fetch every feed due now; schedule each; write the heartbeat."""
        self.sync_opml()
        now = self.clock.now()
        report = Cycle(now)
        feeds = watchlog.watched_feeds(self.store)
        due = [f["url"] for f in feeds if (self.due_at(f) or now) <= now]
        if due:
            for outcome in self.ingestor.ingest_urls(due):
                self._schedule(outcome)
                report.fetched += 1
                report.new += outcome.new
                if outcome.status in ("ok", "not_modified"):
                    report.ok += 1
                elif outcome.status == "refused":
                    report.refused += 1
                else:
                    report.failed += 1
                    log.info("failed %s: %s", outcome.source, outcome.reason)
        self.cycles += 1
        if self._pruned is None or now - self._pruned >= PRUNE_EVERY:
            watchlog.prune(self.store, now)
            self._pruned = now
        self._beat(report, watchlog.watched_feeds(self.store) if due else feeds)
        if due:
            log.info(
                "cycle %d: %d fetched, %d ok, %d failed, %d refused, %d new headlines",
                self.cycles,
                report.fetched,
                report.ok,
                report.failed,
                report.refused,
                report.new,
            )
        if self.after_cycle is not None:
            self.after_cycle(now)
        return report

    def _schedule(self, outcome) -> None:
        now = self.clock.now()
        fid = outcome.feed_id
        if fid is None:
            return
        if outcome.status == "refused":
            # Not the feed's fault; a new run (new settings) clears it (clear_refused).
            due, interval = now + timedelta(seconds=self.max_interval), None
        elif outcome.status == "failed":
            hint = schedule.hinted(outcome.headers, outcome.http_status, None, now)
            row = self.store.feed(outcome.source) or {}
            due, interval = schedule.next_failure(
                now, backoff_until=_when(row.get("next_attempt_at")), hint=hint, rng=self.rng
            )
        else:
            if outcome.ttl:
                self._ttl[fid] = outcome.ttl
            count, oldest = watchlog.recent_rate(self.store, fid, now)
            due, interval = schedule.next_success(
                now,
                per_week=schedule.entries_per_week(count, _when(oldest), now),
                hint=schedule.hinted(outcome.headers, outcome.http_status, self._ttl.get(fid), now),
                min_interval=self.min_interval,
                max_interval=self.max_interval,
                rng=self.rng,
            )
        watchlog.set_schedule(self.store, fid, due, interval)

    def _beat(self, report: Cycle, feeds: list[dict], state: str = "running") -> None:
        due = self.next_due(feeds)
        watchlog.set_heartbeat(
            self.store,
            {
                "at": iso(report.at),
                "cycle": self.cycles,
                "state": state,
                "feeds": len(feeds),
                "feeds_ok": sum(f["last_status"] in ("ok", "not_modified") for f in feeds),
                "feeds_failing": sum(f["last_status"] == "failed" for f in feeds),
                "fetched": report.fetched,
                "new": report.new,
                "next_due": iso(due) if due else None,
                "pid": os.getpid(),
            },
        )

    # -- the loop -------------------------------------------------------------------------------
    def run(self, *, once: bool = False, until: datetime | None = None) -> int:
        """Cycle until stopped (Stopping), until `until` on the clock, or once. Returns the
        number of cycles run."""
        try:
            while True:
                self.cycle()
                if once:
                    return self.cycles
                due = self.next_due()
                now = self.clock.now()
                wait = IDLE_CHECK if due is None else (due - now).total_seconds()
                if until is not None and now + timedelta(seconds=max(wait, 0)) >= until:
                    return self.cycles
                if isinstance(self.clock, SystemClock):
                    wait = min(wait, IDLE_CHECK)
                self.clock.sleep(max(wait, 0.0))
        except Stopping:
            if self.store.conn.in_transaction:
                self.store.conn.execute("ROLLBACK")
            log.info("stopping after %d cycles", self.cycles)
            feeds = watchlog.watched_feeds(self.store)
            self._beat(Cycle(self.clock.now()), feeds, state="stopped")
            return self.cycles


# -- the process ---------------------------------------------------------------------------------
def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".watch-lock")


def acquire_lock(db: Path):
    """An exclusive lock for this database's watcher; the open file holds it. The kernel
    releases it when the process ends, however it ends."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - kept open for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "?"
        handle.close()
        raise WatcherRunning(
            f"another watcher (pid {pid}) already keeps {db} fresh; stop it first"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def install_stop_handlers() -> None:
    """SIGTERM and SIGINT raise Stopping once; a second signal while stopping is ignored."""
    fired = False

    def handler(signum, frame) -> None:
        nonlocal fired
        if fired:
            return
        fired = True
        raise Stopping(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
