"""Orchestration: sources -> fetch or read -> parse -> tag -> store, one transaction a feed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dashboard.config import Settings
from dashboard.errors import ChipwatchError, FetchError, ParseError, PolicyRefusal
from dashboard.ingest import sources as feedlist
from dashboard.ingest.workers import WorkerPool
from dashboard.models import FetchResult, ParsedFeed
from dashboard.store import Store, stories, watchlog
from dashboard.store.schema import iso
from dashboard.store.shape import TagRows, tag_rows
from dashboard.store.stories import Prepared
from dashboard.stories.cluster import load_model

Progress = Callable[[int, int, str], None]


@dataclass(slots=True)
class FeedOutcome:
    source: str
    status: str  # ok | not_modified | failed | refused | backoff
    new: int = 0
    duplicates: int = 0
    reason: str | None = None
    warning: str | None = None
    # What the watcher schedules by (dashboard.ingest.schedule): the feed, the HTTP answer's
    # status and headers (cache hints, Retry-After) and the feed's own <ttl>.
    feed_id: int | None = None
    http_status: int | None = None
    headers: dict | None = None
    ttl: int | None = None


@dataclass(slots=True)
class IngestReport:
    outcomes: list[FeedOutcome] = field(default_factory=list)
    source_errors: list[tuple[str, str]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def new(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def duplicates(self) -> int:
        return sum(o.duplicates for o in self.outcomes)

    @property
    def failures(self) -> list[tuple[str, str]]:
        failed = [
            (o.source, o.reason or "failed")
            for o in self.outcomes
            if o.status in ("failed", "refused")
        ]
        return self.source_errors + failed

    @property
    def all_failed(self) -> bool:
        """True when nothing at all could be read: the only case that exits non-zero."""
        worked = [o for o in self.outcomes if o.status in ("ok", "not_modified", "backoff")]
        return not worked and bool(self.failures)

    def summary(self) -> str:
        lines = [
            f"feeds: {self.count('ok')} ok, {self.count('not_modified')} not modified, "
            f"{len(self.failures)} failed"
            + (f", {self.count('backoff')} waiting (backoff)" if self.count("backoff") else ""),
            f"headlines: {self.new} new, {self.duplicates} duplicates skipped",
        ]
        lines += [f"  failed  {src}: {reason}" for src, reason in self.failures]
        lines += [f"  warning {o.source}: {o.warning}" for o in self.outcomes if o.warning]
        return "\n".join(lines)


class Ingestor:
    """Runs one ingest over a store. The tagger is loaded once per run."""

    def __init__(
        self,
        store: Store,
        *,
        tagger=None,
        taxonomy=None,
        settings=None,
        allow_private: bool = False,
        force: bool = False,
        fetch_now: frozenset[str] | set[str] = frozenset(),
        now: Callable[[], datetime] | None = None,
    ):
        from dashboard.tagging.taxonomy import load_taxonomy

        self.store = store
        self.taxonomy = taxonomy or load_taxonomy()
        self._tagger = tagger
        self.settings = Settings.of(settings)
        self.allow_private = allow_private
        self.force = force
        # URLs the user named (command line, "Fetch now"): fetched now, whatever the backoff.
        self.fetch_now = frozenset(fetch_now)
        self.now = now or (lambda: datetime.now(UTC))

    @property
    def tagger(self):
        """Built when first needed: with worker processes, each worker tags with its own and
        this process never needs one (building it costs 0.2-0.4 s)."""
        if self._tagger is None:
            from dashboard.tagging.tagger import Tagger

            self._tagger = Tagger(self.taxonomy)
        return self._tagger

    def run(self, args: list[str], progress: Progress | None = None) -> IngestReport:
        sources, errors = feedlist.resolve(args)
        report = IngestReport(source_errors=errors)
        total = len(sources)
        done = 0

        def tick(label: str) -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done, total, label)

        files, urls = [], []
        for src in sources:
            if src.kind == "invalid":
                report.source_errors.append((src.location, feedlist_reason(src.location)))
                tick(src.location)
            else:
                (files if src.kind == "file" else urls).append(src)
        with self.store.transaction():  # one commit for the whole list, not one a feed
            feed_ids = {
                src.location: self.store.ensure_feed(src.location, src.title) for src in files
            }
        for src, doc in self._documents(files):
            report.outcomes.append(self._save(src.location, feed_ids[src.location], doc))
            tick(src.location)
        if urls:
            for outcome in self._ingest_urls(urls):
                report.outcomes.append(outcome)
                tick(outcome.source)
        return report

    # -- files -------------------------------------------------------------------------
    def _pipeline(self, n: int, size: int = 0) -> WorkerPool:
        load_model()  # this process needs it for stored candidates; forked workers share it
        return WorkerPool.for_jobs(
            n, lambda: self.tagger, self.taxonomy, self.settings, size=size, built=self._tagger
        )

    def _documents(
        self, files: list[feedlist.Source]
    ) -> Iterator[tuple[feedlist.Source, Document]]:
        """Read, parse and tag each file (in worker processes when there are enough)."""
        with self._pipeline(len(files), sum(map(_file_size, files))) as pipe:
            for src in files:
                yield from pipe.ready(block=pipe.full)
                pipe.submit(src, read_and_tag, src.location, self.settings)
            yield from pipe.ready(block=True, everything=True)

    # -- URLs ----------------------------------------------------------------------------
    def ingest_urls(self, urls: list[str]) -> Iterator[FeedOutcome]:
        """The URL half of run(), one outcome at a time (the watcher's cycle)."""
        return self._ingest_urls([feedlist.url_source(u) for u in urls])

    def _ingest_urls(self, sources: list[feedlist.Source]) -> Iterator[FeedOutcome]:
        """Fetch, parse, tag and store URL feeds; one outcome a feed, as each is stored.
        Closing the iterator early cancels the fetches still running."""
        from dashboard.ingest.fetch import FetchRequest, fetch_many

        now = iso(self.now())
        requests, ids = [], {}
        with self.store.transaction():  # one commit for the whole list, not one a feed
            known = {
                src.location: (
                    self.store.ensure_feed(src.location, src.title),
                    self.store.feed(src.location) or {},
                )
                for src in sources
            }
        for src in sources:
            feed_id, row = known[src.location]
            waiting = row.get("next_attempt_at")
            if waiting and waiting > now and not (self.force or src.location in self.fetch_now):
                yield FeedOutcome(
                    src.location,
                    "backoff",
                    reason=f"failing; next attempt after {waiting} (--force to retry now)",
                )
                continue
            ids[src.location] = feed_id
            requests.append(FetchRequest(src.location, row.get("etag"), row.get("last_modified")))
        pipe = self._pipeline(len(requests))
        with pipe:
            for request, result in fetch_many(
                requests, settings=self.settings, allow_private=self.allow_private
            ):
                feed_id = ids[request.url]
                if isinstance(result, PolicyRefusal):
                    yield self._refused(request.url, feed_id, str(result))
                elif isinstance(result, FetchError):
                    yield self._failed(
                        request.url,
                        feed_id,
                        str(result),
                        http_status=getattr(result, "status", None),
                        headers=getattr(result, "headers", None),
                    )
                elif result.not_modified:
                    with self.store.transaction():
                        self.store.record_success(
                            feed_id,
                            status="not_modified",
                            http_status=304,
                            etag=result.etag,
                            last_modified=result.last_modified,
                            now=iso(self.now()),
                        )
                        watchlog.record_fetch(
                            self.store, feed_id, self.now(), "not_modified", http_status=304
                        )
                    yield FeedOutcome(
                        request.url,
                        "not_modified",
                        feed_id=feed_id,
                        http_status=304,
                        headers=result.headers,
                    )
                else:
                    pipe.submit(
                        (request.url, feed_id, result),
                        parse_and_tag,
                        result.body or b"",
                        result.final_url,
                        result.headers,
                        self.settings,
                    )
                for (url, fid, fetched), doc in pipe.ready(block=pipe.full):
                    yield self._save(url, fid, doc, http_status=fetched.status, fetched=fetched)
            for (url, fid, fetched), doc in pipe.ready(block=True, everything=True):
                yield self._save(url, fid, doc, http_status=fetched.status, fetched=fetched)

    # -- shared ----------------------------------------------------------------------------
    def _refused(self, source: str, feed_id: int, reason: str) -> FeedOutcome:
        with self.store.transaction():
            watchlog.record_refusal(self.store, feed_id, reason, self.now())
            watchlog.record_fetch(self.store, feed_id, self.now(), "refused", error=reason)
        return FeedOutcome(source, "refused", reason=reason, feed_id=feed_id)

    def _failed(
        self,
        source: str,
        feed_id: int,
        reason: str,
        http_status: int | None = None,
        headers: dict | None = None,
    ) -> FeedOutcome:
        with self.store.transaction():
            self.store.record_failure(
                feed_id,
                reason,
                http_status=http_status,
                backoff_base=self.settings.backoff_base,
                backoff_cap=self.settings.backoff_cap,
                now=self.now(),
            )
            watchlog.record_fetch(
                self.store, feed_id, self.now(), "failed", http_status=http_status, error=reason
            )
        return FeedOutcome(
            source,
            "failed",
            reason=reason,
            feed_id=feed_id,
            http_status=http_status,
            headers=headers,
        )

    def _save(
        self,
        source: str,
        feed_id: int,
        doc: Document,
        *,
        http_status: int | None = None,
        fetched: FetchResult | None = None,
    ) -> FeedOutcome:
        """Store one parsed and tagged document, with its feed's status, in one transaction."""
        if doc.error or doc.parsed is None:
            return self._failed(source, feed_id, doc.error or "failed", http_status=http_status)
        parsed = doc.parsed
        stored_at = self.now()
        with self.store.transaction():
            result = self.store.add_headlines(
                feed_id,
                zip(parsed.headlines, doc.tags, strict=True),
                tag_version=self.taxonomy.version,
                fetched_at=iso(stored_at),
                demo=parsed.demo,
                prepared=doc.prepared,
            )
            self.store.record_success(
                feed_id,
                status="ok",
                http_status=http_status,
                title=parsed.title,
                site_url=parsed.link,
                etag=fetched.etag if fetched else None,
                last_modified=fetched.last_modified if fetched else None,
                warning=parsed.warning,
                demo=parsed.demo or None,
                now=iso(stored_at),
            )
            if fetched is not None:  # coverage is about the web feeds, not files read
                watchlog.record_fetch(
                    self.store, feed_id, stored_at, "ok", http_status=http_status, new=result.new
                )
        return FeedOutcome(
            source,
            "ok",
            result.new,
            result.duplicates + parsed.skipped,
            warning=parsed.warning,
            feed_id=feed_id,
            http_status=http_status,
            headers=fetched.headers if fetched else None,
            ttl=parsed.ttl,
        )


@dataclass(slots=True)
class Document:
    """One source after parse and tag: the work that can run away from the store."""

    parsed: ParsedFeed | None
    tags: list[TagRows] = field(default_factory=list)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    error: str | None = None
    prepared: list[Prepared] | None = None  # what the story matcher reads of each title


def parse_and_tag(
    body: bytes, feed_url: str, headers: dict, settings: Settings, tagger
) -> Document:
    from dashboard.ingest.parse import parse

    fetched_at = datetime.now(UTC)
    try:
        parsed = parse(
            body, feed_url=feed_url, headers=headers, fetched_at=fetched_at, settings=settings
        )
    except ParseError as exc:
        return Document(None, fetched_at=fetched_at, error=str(exc))
    tag = tagger.tag
    heads = parsed.headlines
    rows = [tag_rows(h.id, h.published_at, tag(h.title, h.summary)) for h in heads]
    return Document(
        parsed,
        rows,
        fetched_at,
        prepared=stories.prepare([h.title for h in heads], [r.columns[0] for r in rows]),
    )


def read_and_tag(path: str, settings: Settings, tagger) -> Document:
    try:
        if Path(path).stat().st_size > settings.max_bytes:
            return Document(None, error=f"file exceeds the {settings.max_bytes // 2**20} MiB cap")
        body = Path(path).read_bytes()
    except OSError as exc:
        return Document(None, error=f"cannot read file ({exc.strerror or exc})")
    return parse_and_tag(body, path, {}, settings, tagger)


def feedlist_reason(url: str) -> str:
    try:
        feedlist.url_source(url)
    except ChipwatchError as exc:
        return str(exc)
    return "invalid feed URL"


def ingest(store: Store, args: list[str], **kwargs) -> IngestReport:
    progress = kwargs.pop("progress", None)
    return Ingestor(store, **kwargs).run(args, progress)


def _file_size(src: feedlist.Source) -> int:
    try:
        return os.path.getsize(src.location)
    except OSError:
        return 0  # reading it will say what is wrong
