"""The `chipwatch` command: parses options, calls the library, prints one clear line on error."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys

from dashboard import config
from dashboard.errors import ChipwatchError, WatcherRunning
from dashboard.files import replaced_atomically


def _progress(label: str):
    """A one-line progress bar on a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, item: str = "") -> None:
        width = 30
        filled = int(width * done / total) if total else width
        tail = item[-40:] if item else ""
        sys.stderr.write(
            f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {tail:<40}"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


# The command's entry points are safe to start worker processes from (see config).
CLI_SETTINGS = {"parse_workers": 2}


def _store(args, readonly: bool = False):
    from dashboard.store import open_store

    return open_store(args.db, readonly=readonly)


def _tagger():
    from dashboard.tagging.tagger import Tagger
    from dashboard.tagging.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    return Tagger(taxonomy), taxonomy


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _theme_labels() -> dict[str, str]:
    from dashboard.tagging.taxonomy import load_taxonomy

    return {t.id: t.label for t in load_taxonomy().themes}


def _notifier(db):
    """The watcher's notifier, or None without destinations. A bad destinations file stops
    the start with one line (it names the file, never a URL)."""
    from dashboard.signals import latest, notify

    destinations = notify.load_destinations()
    if not destinations:
        return None
    return latest.Notifier(db, destinations, _theme_labels())


def _as_of(text: str | None):
    from datetime import date, datetime

    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        try:
            return datetime.fromisoformat(text.strip()).date()
        except ValueError:
            raise ChipwatchError(f"--as-of '{text}': give a date such as 2026-11-30") from None


# -- commands --------------------------------------------------------------------------------
def cmd_signals(args) -> int:
    from dashboard.signals import latest, report
    from dashboard.store import signals as stored

    with _store(args, readonly=True) as store:
        as_of = _as_of(args.as_of) or latest.default_as_of(latest.latest_day(store))
        active, ended = latest.current(store, as_of)
        if args.json:
            shown = active + ended if args.ended else active
            print(json.dumps([s.as_dict() for s in shown], indent=2))
            return 0
        ids = [i for sig in active for i in sig.story_ids[: report.STORIES_SHOWN]]
        stories = {row[0]: row for row in stored.stories_by_id(store, ids)}
    print(report.text(active, ended, as_of, _theme_labels(), stories), end="")
    return 0


def cmd_digest(args) -> int:
    from datetime import UTC, datetime

    from dashboard.signals import digest

    until = datetime.now(UTC).replace(microsecond=0)
    since = digest.parse_since(args.since, until)
    with _store(args, readonly=True) as store:
        d = digest.collect(store, since, until, _theme_labels())
    body = digest.html(d) if args.format == "html" else digest.markdown(d)
    if not args.out:
        sys.stdout.write(body)
        return 0
    with replaced_atomically(args.out) as tmp:
        tmp.write_text(body, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def cmd_notify(args) -> int:
    from dashboard.signals import latest, notify

    destinations = notify.load_destinations()
    if not destinations:
        print(f"no destinations: {notify.destinations_path()} lists none")
        return 0
    with _store(args) as store:
        sent, failed = latest.notify(store, destinations, theme_labels=_theme_labels())
    print(f"notifications: {sent} sent, {failed} failed (retried with backoff)")
    return 1 if failed else 0


def cmd_ingest(args) -> int:
    from dashboard.ingest import ingest
    from dashboard.ingest.sources import fetchable

    with _store(args) as store:
        sources = args.sources
        if not sources:
            opml = config.opml_path()
            sources = ([str(opml)] if opml else []) + [f["url"] for f in fetchable(store.feeds())]
        settings = CLI_SETTINGS | ({"concurrency": args.concurrency} if args.concurrency else {})
        report = ingest(
            store,
            sources,
            settings=settings,
            force=args.force,
            # A URL typed on the command line is fetched now, backoff or not.
            fetch_now={s.strip() for s in args.sources if "://" in s},
            allow_private=config.allow_private(args.allow_private),
            progress=_progress("ingest"),
        )
    print(report.summary())
    return 1 if report.all_failed else 0


def cmd_feeds(args) -> int:
    from dashboard.ingest import sources as feedlist

    with _store(args) as store:
        if args.action == "add":
            for url in args.targets:
                src = feedlist.url_source(url)
                store.ensure_feed(src.location)
                print(f"added {src.location}")
        elif args.action == "remove":
            for url in args.targets:
                print(("removed " if store.remove_feed(url) else "not in the list: ") + url)
        elif args.action == "import":
            for path in args.targets:
                added = 0
                for src in feedlist.read_opml(path):
                    if src.kind == "url":
                        store.ensure_feed(src.location, src.title)
                        added += 1
                    else:
                        print(f"skipped {src.location}: unsupported URL", file=sys.stderr)
                print(f"imported {added} feeds from {path}")
        elif args.action == "export":
            if len(args.targets) != 1:
                raise ChipwatchError("feeds export takes one FILE.opml")
            rows = [(f["url"], f["title"]) for f in feedlist.fetchable(store.feeds())]
            with replaced_atomically(args.targets[0]) as tmp:
                feedlist.write_opml(tmp, rows)
            print(f"wrote {len(rows)} feeds to {args.targets[0]}")
        else:
            from datetime import UTC, datetime

            from dashboard.store import queries

            _print_feeds(store.feeds(), queries.feed_health(store, datetime.now(UTC).date()))
    return 0


def _print_feeds(rows: list[dict], health: dict) -> None:
    from dashboard.ingest.schedule import humanize

    if not rows:
        print("no feeds yet: `chipwatch feeds add URL` or `chipwatch ingest`")
        return
    print(
        f"{'status':<13} {'headlines':>9}  {'last ok':<20} {'next attempt':<20}"
        f" {'next due':<20} {'interval':>8}  {'30-day health':<26} feed"
    )
    for f in rows:
        status = f["last_status"] or "never fetched"
        fit = health[f["id"]].text() if f["id"] in health else "-"
        print(
            f"{status:<13} {f['headlines']:>9}  {f['last_ok_at'] or '-':<20} "
            f"{f['next_attempt_at'] or '-':<20} {f['next_due_at'] or '-':<20} "
            f"{humanize(f['poll_interval']):>8}  {fit:<26} {f['title'] or f['url']}"
        )
        if f["last_error"]:
            print(f"{'':<13} {'':>9}  error: {f['last_error']}")


def _duration(text: str) -> float:
    from dashboard.ingest.schedule import parse_duration

    try:
        return parse_duration(text)
    except ChipwatchError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_watch(args) -> int:
    import logging

    from dashboard.ingest import watch

    db = config.db_path(args.db)
    lock = watch.acquire_lock(db)
    logging.basicConfig(
        filename=args.log_file,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line a request is noise here
    watch.install_stop_handlers()
    notifier = _notifier(db)
    try:
        with _store(args) as store:
            watcher = watch.Watcher(
                store,
                min_interval=args.min_interval,
                max_interval=args.max_interval,
                opml=None if args.no_opml else config.opml_path(),
                settings={"concurrency": args.concurrency} if args.concurrency else None,
                allow_private=config.allow_private(args.allow_private),
                after_cycle=notifier,
            )
            logging.getLogger("chipwatch.watch").info(
                "watching %s (pid %d, intervals %g-%g s)",
                db,
                os.getpid(),
                args.min_interval,
                args.max_interval,
            )
            watcher.run(once=args.once)
            if args.once:
                if notifier:
                    notifier.join(timeout=60)
                beat = watch.watchlog.heartbeat(store) or {}
                print(
                    f"watch: {beat.get('fetched', 0)} feeds fetched,"
                    f" {beat.get('new', 0)} new headlines; {beat.get('feeds_ok', 0)} ok,"
                    f" {beat.get('feeds_failing', 0)} failing; next due {beat.get('next_due')}"
                )
    except watch.Stopping:  # a signal before the loop started: nothing was in progress
        pass
    finally:
        lock.close()
    return 0


def cmd_demo(args) -> int:
    from dashboard import demo

    if args.bundled:
        with _store(args) as store:
            if args.if_empty and store.headline_count():
                print(f"{store.path}: {store.headline_count()} headlines already; demo not loaded")
                return 0
            from dashboard.ingest import ingest

            report = ingest(store, [str(config.DEMO_DIR)], progress=_progress("demo"))
        print("loaded the bundled SYNTHETIC demo corpus (data/demo/)\n" + report.summary())
        return 1 if report.all_failed else 0
    if args.out:
        paths = demo.write_feeds(args.out, args.headlines, seed=args.seed, days=args.days)
        print(
            f"wrote {args.headlines} synthetic headlines to {len(paths)} feed files in {args.out}"
        )
        return 0
    if args.load:
        tagger, taxonomy = _tagger()
        with _store(args) as store:
            added = demo.load(
                store,
                args.headlines,
                tagger=tagger,
                version=taxonomy.version,
                seed=args.seed,
                progress=_progress("demo"),
            )
        print(f"loaded {added} synthetic headlines into {config.db_path(args.db)}")
        return 0
    raise ChipwatchError("demo needs --out DIR, --load or --bundled")


def cmd_purge(args) -> int:
    if not args.demo:
        raise ChipwatchError("purge needs --demo (removes the synthetic demo rows)")
    with _store(args) as store:
        print(f"removed {store.purge_demo()} demo headlines")
    return 0


def cmd_retag(args) -> int:
    from dashboard.tagging.retag import retag
    from dashboard.tagging.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    with _store(args) as store:
        result = retag(
            store,
            taxonomy=taxonomy,
            settings=CLI_SETTINGS,
            everything=args.all,
            progress=_progress("retag"),
        )
    print(
        f"re-tagged {result.checked} headlines with taxonomy {taxonomy.version}:"
        f" {result.changed} changed"
    )
    return 0


def cmd_restory(args) -> int:
    with _store(args) as store:
        done, stories = store.restory(fresh=not args.resume, progress=_progress("restory"))
    print(f"gave {done} headlines their stories: {stories} stories in all")
    return 0


def _print_evaluation(evaluate, args) -> int:
    """Score `evaluate` (a module with evaluate(path, tagger)) on args.labels and print it."""
    tagger, _ = _tagger()
    report = evaluate.evaluate(args.labels, tagger)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text())
    return 0


def cmd_evaluate_stories(args) -> int:
    from dashboard.stories import evaluate

    return _print_evaluation(evaluate, args)


def cmd_tag(args) -> int:
    from dashboard.tagging import evaluate
    from dashboard.tagging.tagger import format_tags

    tagger, taxonomy = _tagger()
    if args.csv:
        if not args.out:
            raise ChipwatchError("tag --csv needs --out OUT.csv")
        with replaced_atomically(args.out) as tmp:
            evaluate.tag_csv(args.csv, tmp, tagger)
        print(f"wrote {args.out}")
        return 0
    if not args.text:
        raise ChipwatchError('tag needs "TEXT" or --csv IN.csv --out OUT.csv')
    print(format_tags(tagger.tag(args.text, args.summary or ""), taxonomy))
    return 0


def cmd_evaluate(args) -> int:
    from dashboard.tagging import evaluate

    if not args.feedback:
        if not args.labels:
            raise ChipwatchError("evaluate needs LABELS.csv or --feedback")
        return _print_evaluation(evaluate, args)
    from dashboard.feedback.report import evaluate_feedback

    tagger, _ = _tagger()
    with _store(args, readonly=True) as store:
        n, report = evaluate_feedback(store, tagger)
    if report is None:
        print("no analyst corrections yet: nothing to score")
        return 0
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text())
    return 0


def cmd_feedback(args) -> int:
    """Analysts' corrections from the command line: add, list, retract, export."""
    from dashboard import feedback
    from dashboard.feedback.report import write_labels

    if args.action == "export":
        if not args.out:
            raise ChipwatchError("feedback export needs --out FILE.csv")
        tagger, _ = _tagger()
        with _store(args, readonly=True) as store:
            n = write_labels(store, tagger, args.out)
        print(f"wrote {n} corrected headlines to {args.out}")
        return 0
    if args.action == "list":
        with _store(args, readonly=True) as store:
            for a in store.feedback_acts(headline=args.headline, story=args.story):
                gone = f"  retracted {a['retracted_at'][:10]}" if a["retracted_at"] else ""
                print(
                    f"#{a['id']}  {a['created_at'][:16]}  {a['author']}  {a['kind']} {a['key']}"
                    f" {a['value']}  ({a['headlines']} headlines: {a['title'] or '?'}){gone}"
                )
        return 0
    tagger, _ = _tagger()
    author = args.by or os.environ.get("USER") or "local"
    with _store(args) as store:
        if args.action == "retract":
            if args.id is None:
                raise ChipwatchError("feedback retract needs --id N")
            done = feedback.retract(store, tagger, args.id, by=author)
        else:
            kind, *rest = args.correction or [""]
            if kind == "not_relevant":
                kind, rest = "relevance", ["", "not_relevant"]
            key, value = (rest + ["", ""])[:2]
            done = feedback.give(
                store,
                tagger,
                kind,
                key,
                value,
                author=author,
                headline=args.headline,
                story=args.story,
                comment=args.comment or "",
            )
    if done.feedback_id is None:
        print(f"already recorded: {author} said just this last ({done.headlines} headlines)")
    else:
        print(f"#{done.feedback_id}: {done.headlines} headlines, {done.changed} re-tagged")
    return 0


def _name_key(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").lower().split())


def _match_names(kind: str, given: list[str], known: dict[str, str]) -> list[str]:
    """Each of given as its stored spelling; known maps every accepted spelling (id, label,
    any case) to it. A name that matches none is an error naming the closest ones, since
    an extract of 0 rows for a typo looks like a quiet week."""
    import difflib

    keys = {_name_key(spelling): stored for spelling, stored in known.items()}
    out = []
    for name in given:
        stored = keys.get(_name_key(name))
        if stored is None:
            close = difflib.get_close_matches(_name_key(name), keys, n=3, cutoff=0.6)
            hint = (
                "did you mean " + " or ".join(dict.fromkeys(keys[c] for c in close)) + "?"
                if close
                else "known: " + ", ".join(sorted(set(keys.values()))[:12])
            )
            raise ChipwatchError(f"unknown {kind} '{name}'; {hint}")
        out.append(stored)
    return list(dict.fromkeys(out))


def cmd_export(args) -> int:
    from dashboard import export
    from dashboard.filters import Filters
    from dashboard.store import queries
    from dashboard.tagging.taxonomy import load_taxonomy

    with _store(args, readonly=True) as store:
        taxonomy = load_taxonomy()
        stored = queries.facets(store)
        companies = {c: c for c in stored["companies"]} | {n: n for n in taxonomy.company_names}
        themes = {t: t for t in stored["themes"]}
        for theme in taxonomy.themes:
            themes |= {theme.id: theme.id, theme.label: theme.id}
        filters, notices = Filters.from_params(
            {
                "from": args.date_from,
                "to": args.date_to,
                "company": _match_names("company", args.company or [], companies),
                "theme": _match_names("theme", args.theme or [], themes),
                "source": args.source or [],
                "q": args.q,
                "min_score": args.min_score,
            }
        )
        for notice in notices:
            print(f"note: {notice}", file=sys.stderr)
        write = export.write_stories_csv if args.stories else export.write_csv
        with replaced_atomically(args.out) as tmp:
            n = write(store, filters, tmp)
    print(f"wrote {n} {'stories' if args.stories else 'headlines'} to {args.out}")
    return 0


def cmd_serve(args) -> int:
    # Refuse (or upgrade) the file here, in one line, rather than on every page.
    if config.db_path(args.db).exists():
        _store(args, readonly=True).close()
    env = dict(os.environ, CHIPWATCH_DB=str(config.db_path(args.db)))
    dashboard = [sys.executable, "-m", "dashboard.serve", "--server.port", str(args.port)]
    if not args.watch:
        return subprocess.call(dashboard, env=env, cwd=config.ROOT)
    # Two processes, one command: the watcher writes while the dashboard reads. A SIGTERM to
    # this process stops both (each finishes or rolls back what it is doing).
    watch = [sys.executable, "-m", "dashboard", "--db", env["CHIPWATCH_DB"], "watch"]
    if config.allow_private():
        watch.append("--allow-private")
    children = [subprocess.Popen(watch, env=env, cwd=config.ROOT)]

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        children.append(subprocess.Popen(dashboard, env=env, cwd=config.ROOT))
        return children[-1].wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


# -- parser --------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="database file (default: $CHIPWATCH_DB or data/chipwatch.db)",
    )
    parser = argparse.ArgumentParser(prog="chipwatch", description=__doc__, parents=[common])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="read feeds into the database")
    p.add_argument(
        "sources",
        nargs="*",
        help="URLs, feed files, folders or OPML files "
        "(default: data/feeds.opml and the feeds in the database)",
    )
    p.add_argument("--force", action="store_true", help="ignore the backoff of failing feeds")
    p.add_argument(
        "--concurrency",
        type=_positive,
        metavar="N",
        help=f"feeds fetched at once (default {config.DEFAULTS['concurrency']};"
        f" never more than {config.DEFAULTS['per_host']} from one host)",
    )
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="permit hosts on loopback/private networks ($CHIPWATCH_ALLOW_PRIVATE=1)",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("feeds", parents=[common], help="the feed list and its health")
    p.add_argument(
        "action", nargs="?", choices=["list", "add", "remove", "import", "export"], default="list"
    )
    p.add_argument("targets", nargs="*", help="URLs (add/remove) or an OPML file (import/export)")
    p.set_defaults(func=cmd_feeds)

    p = sub.add_parser("watch", parents=[common], help="keep every feed fresh (long-running)")
    p.add_argument("--once", action="store_true", help="one pass over the due feeds, then exit")
    p.add_argument(
        "--min-interval",
        type=_duration,
        default=300.0,
        metavar="DURATION",
        help="shortest wait between two fetches of a feed: seconds, or 15m, 24h (default 5m)",
    )
    p.add_argument(
        "--max-interval",
        type=_duration,
        default=86400.0,
        metavar="DURATION",
        help="longest wait for a quiet feed (default 24h); publisher hints may ask for more",
    )
    p.add_argument("--log-file", metavar="FILE", help="append the log here (default: stderr)")
    p.add_argument("--no-opml", action="store_true", help="only the registered feeds")
    p.add_argument("--concurrency", type=_positive, metavar="N", help="feeds fetched at once")
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="permit hosts on loopback/private networks ($CHIPWATCH_ALLOW_PRIVATE=1)",
    )
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("demo", parents=[common], help="the SYNTHETIC demo corpus")
    p.add_argument("--headlines", type=int, default=800)
    p.add_argument("--out", help="write feed files to this folder")
    p.add_argument("--load", action="store_true", help="write straight into the database")
    p.add_argument("--bundled", action="store_true", help="ingest the bundled data/demo/")
    p.add_argument("--if-empty", action="store_true", help="only when the database is empty")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--days", type=int, default=120, help="days the corpus spans (with --out)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("purge", parents=[common], help="remove the synthetic demo rows")
    p.add_argument("--demo", action="store_true")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("retag", parents=[common], help="re-score stored headlines")
    p.add_argument("--all", action="store_true", help="even those tagged by the current taxonomy")
    p.set_defaults(func=cmd_retag)

    p = sub.add_parser(
        "restory", parents=[common], help="(re)build the stories of stored headlines"
    )
    p.add_argument(
        "--resume", action="store_true", help="carry on a killed run instead of starting over"
    )
    p.set_defaults(func=cmd_restory)

    p = sub.add_parser(
        "evaluate-stories", parents=[common], help="score the story matcher on labelled headlines"
    )
    p.add_argument("labels", help="CSV with columns story, outlet, published, title")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate_stories)

    p = sub.add_parser("tag", parents=[common], help="tag a headline or a CSV of headlines")
    p.add_argument("text", nargs="?")
    p.add_argument("--summary")
    p.add_argument("--csv", help="input CSV with a title column (and optional summary)")
    p.add_argument("--out", help="output CSV")
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser("evaluate", parents=[common], help="score the tagger on labelled headlines")
    p.add_argument("labels", nargs="?")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--feedback", action="store_true", help="score against the analysts' corrections instead"
    )
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("feedback", parents=[common], help="analysts' corrections of the tags")
    p.add_argument("action", choices=["add", "list", "retract", "export"])
    p.add_argument(
        "correction",
        nargs="*",
        help="add: not_relevant | company NAME add|remove | theme ID add|remove"
        " | direction ID easing|neutral|escalating",
    )
    p.add_argument("--headline", help="the headline's id (as in the CSV extracts)")
    p.add_argument("--story", type=int, help="a story id: every headline of the story")
    p.add_argument("--comment")
    p.add_argument("--by", help="who gives it (default: $USER)")
    p.add_argument("--id", type=int, help="retract: the correction's number (feedback list)")
    p.add_argument("--out", help="export: the labelled CSV to write")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("export", parents=[common], help="CSV extract of filtered headlines")
    p.add_argument("--out", required=True)
    p.add_argument("--company", action="append")
    p.add_argument("--theme", action="append")
    p.add_argument("--source", action="append")
    p.add_argument("--from", dest="date_from")
    p.add_argument("--to", dest="date_to")
    p.add_argument("--q")
    p.add_argument("--min-score", type=float)
    p.add_argument(
        "--stories", action="store_true", help="one row per story instead of per headline"
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("signals", parents=[common], help="what is rising now, strongest first")
    p.add_argument(
        "--as-of", help="the day to read signals for (default: today, or the latest headline's day)"
    )
    p.add_argument("--json", action="store_true", help="a JSON array of the signals")
    p.add_argument(
        "--ended", action="store_true", help="with --json: add those that ended in the week before"
    )
    p.set_defaults(func=cmd_signals)

    p = sub.add_parser("digest", parents=[common], help="the morning digest (Markdown or HTML)")
    p.add_argument("--since", default="24h", help="24h, 7d, 2w or a date (default 24h)")
    p.add_argument("--format", choices=["md", "html"], default="md")
    p.add_argument("--out", help="write to this file (default: standard output)")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("notify", parents=[common], help="send the notifications that are due, once")
    p.set_defaults(func=cmd_notify)

    p = sub.add_parser("serve", parents=[common], help="serve the dashboard (localhost)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument(
        "--watch", action="store_true", help="run `chipwatch watch` beside the dashboard"
    )
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # --db may come before or after the command; the parents share one action, so no default.
    args.db = getattr(args, "db", None)
    try:
        return args.func(args)
    except WatcherRunning as exc:
        print(f"chipwatch: {exc}", file=sys.stderr)
        return 3
    except ChipwatchError as exc:
        print(f"chipwatch: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"chipwatch: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:
        # Whatever SQLite says (locked, disk full, corrupt page) is one line, not a trace.
        detail = " ".join(str(exc).split()) or type(exc).__name__
        print(f"chipwatch: error: {config.db_path(args.db)}: {detail}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("chipwatch: interrupted; everything already stored is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
