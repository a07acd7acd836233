"""Notifications: each new signal sent once to every destination, again only when its level rises.

Destinations are Apprise URLs (Slack, Teams, e-mail, ntfy, a JSON webhook ...) listed in a TOML
file (`data/notify.toml` or CHIPWATCH_NOTIFY):

    destinations = ["json://hooks.example.org/chipwatch", "ntfys://my-topic"]

A ledger in the database (store/signals.py) records, per signal and destination, the level
sent, or the failed attempts and when to try again: a failing destination backs off
(RETRY_BASE x 2^attempts, capped) and never holds up the others or the ingest that called
it. A URL carries secrets (tokens, passwords), so it is only ever shown through Apprise's
privacy form (`label`) and stored as a hash.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from dashboard.config import DATA_DIR
from dashboard.errors import ChipwatchError
from dashboard.signals.detect import LEVELS, WINDOW, Signal

RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=6)
SEND_TIMEOUT = 10  # seconds a destination may take


class NotifyError(ChipwatchError):
    """The destinations file is unusable (bad TOML, not a list, a URL Apprise cannot use)."""


@dataclass(frozen=True, slots=True)
class Destination:
    url: str

    @property
    def key(self) -> str:
        """What the ledger stores: a hash, never the URL and its secrets."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        """The URL as Apprise shows it in privacy mode (secrets masked)."""
        import apprise

        plugin = apprise.Apprise.instantiate(self.url)
        if not plugin:
            return self.url.split("://", 1)[0] + "://…"
        return plugin.url(privacy=True)


def destinations_path() -> Path:
    value = os.environ.get("CHIPWATCH_NOTIFY")
    return Path(value) if value else DATA_DIR / "notify.toml"


def load_destinations(path: Path | None = None) -> list[Destination]:
    """The destinations of the file; none when it does not exist."""
    path = path or destinations_path()
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise NotifyError(f"{path}: not a readable TOML file ({exc})") from exc
    urls = data.get("destinations", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) and u for u in urls):
        raise NotifyError(f"{path}: 'destinations' must be a list of Apprise URLs")
    import apprise

    out = []
    for i, url in enumerate(urls, 1):
        if not apprise.Apprise.instantiate(url):
            scheme = url.split("://", 1)[0] if "://" in url else "(no scheme)"
            # The URL itself may hold a secret: name its place and scheme only.
            raise NotifyError(f"{path}: destination {i} ({scheme}://…) is not an Apprise URL")
        out.append(Destination(url))
    return out


def signal_key(signal: Signal) -> str:
    """One signal across days: its series and the day it started."""
    return f"{signal.company or '*'}|{signal.theme or '*'}|{signal.since.isoformat()}"


@dataclass(frozen=True, slots=True)
class LedgerRow:
    level: str | None  # level last sent, None while nothing went through
    attempts: int  # failed attempts since the last success
    next_try: datetime | None


def due(
    signals: Iterable[Signal],
    destinations: Iterable[Destination],
    ledger: dict[tuple[str, str], LedgerRow],
    now: datetime,
) -> list[tuple[Signal, Destination]]:
    """What to send now: a signal a destination has not had, or had at a lower level, unless
    that destination is waiting out a failure."""
    todo = []
    dests = list(destinations)
    for signal in signals:
        for dest in dests:
            row = ledger.get((signal_key(signal), dest.key))
            if row is None:
                todo.append((signal, dest))
                continue
            if row.next_try and row.next_try > now:
                continue
            if row.level is None or LEVELS.index(signal.level) > LEVELS.index(row.level):
                todo.append((signal, dest))
    return todo


def retry_at(attempts: int, now: datetime) -> datetime:
    return now + min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def message(signal: Signal, theme_labels: dict[str, str] | None = None) -> tuple[str, str]:
    title = f"Chipwatch: {signal.name(theme_labels or {})} rising ({signal.level})"
    body = (
        f"{signal.stories} escalating stories from {signal.outlets} outlets in the last {WINDOW} days "
        f"against a normal of {signal.expected:.1f}; rising since {signal.since.isoformat()}."
    )
    if signal.low_coverage:
        body += " Feed coverage was low in this window."
    return title, body


def send(dest: Destination, title: str, body: str) -> str | None:
    """Deliver one message; None when it went through, else a one-line reason (never the
    URL). Apprise reports failure as False; anything it raises is a failure too."""
    import apprise

    try:
        plugin = apprise.Apprise.instantiate(dest.url)
        if not plugin:
            return "not an Apprise URL"
        plugin.socket_read_timeout = SEND_TIMEOUT
        plugin.socket_connect_timeout = SEND_TIMEOUT
        return None if plugin.notify(body=body, title=title) else "the destination refused it"
    except Exception as exc:  # a plugin's own error must not stop the watcher
        return type(exc).__name__
