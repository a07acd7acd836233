"""The morning digest: what is rising, the top stories per theme, newcomers, feed health.

`Digest` holds plain data (read by store queries, see `collect`); `markdown` and `html` render
it. The HTML is for e-mail clients: inline styles, tables for layout, no scripts, no external
resources, every value escaped.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from dashboard.errors import ChipwatchError
from dashboard.signals.detect import WINDOW, Signal


@dataclass(slots=True)
class DigestStory:
    story_id: str
    title: str
    url: str
    first_seen: str
    outlets: int
    direction: str  # escalating | easing | neutral | "" (no direction for the theme)
    companies: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Digest:
    since: datetime
    until: datetime
    signals: list[Signal]
    ended: list[Signal]
    top_stories: dict[str, list[DigestStory]]  # theme label -> stories
    newcomers: list[tuple[str, int]]  # company, stories in the period
    feeds_ok: int
    feeds_failing: list[tuple[str, str]]  # feed, last error
    latest_headline: str | None = None
    as_of: date | None = None  # the day the signals are read for
    theme_labels: dict[str, str] = field(default_factory=dict)

    def series_name(self, signal: Signal) -> str:
        return signal.name(self.theme_labels)


_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime) -> datetime:
    """`24h`, `90m`, `7d`, `2w`, or an ISO date or time (UTC), as the start of a digest."""
    value = text.strip().lower()
    m = re.fullmatch(r"(\d{1,6})\s*([mhdw])", value)
    if m:
        return now - timedelta(**{_UNITS[m[2]]: int(m[1])})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ChipwatchError(
            f"--since '{text}': give a span such as 24h, 7d, 2w or a date such as 2026-11-30"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _since_text(signal: Signal) -> str:
    return signal.since.isoformat() if isinstance(signal.since, date) else str(signal.since)


def markdown(d: Digest) -> str:
    out = [
        f"# Chipwatch digest, {d.since:%Y-%m-%d %H:%M} – {d.until:%Y-%m-%d %H:%M} UTC",
        "",
        "## What's rising",
    ]
    if d.as_of:
        out.append(f"Signals as of {d.as_of.isoformat()}.")
    if not d.signals:
        out.append("No signal: no series rose above its own normal.")
    for s in d.signals:
        out.append(
            f"- **{d.series_name(s)}** — {s.level}: {s.stories} escalating stories from "
            f"{s.outlets} outlets in {WINDOW} days (normal {s.expected:.1f}), since {_since_text(s)}"
            + (" — low feed coverage" if s.low_coverage else "")
        )
    if d.ended:
        out += ["", "Ended recently: " + ", ".join(d.series_name(s) for s in d.ended)]
    out += ["", "## Top stories"]
    for theme, stories in d.top_stories.items():
        out += ["", f"### {theme}"]
        if not stories:
            out.append("No story in the period.")
        for st in stories:
            mark = {"escalating": "▲ ", "easing": "▼ "}.get(st.direction, "")
            companies = f" ({', '.join(st.companies)})" if st.companies else ""
            title = f"[{_md(st.title)}](<{st.url}>)" if _web(st.url) else _md(st.title)
            out.append(
                f"- {mark}{title}{companies} — {st.outlets} outlet"
                f"{'s' if st.outlets != 1 else ''}, first seen {st.first_seen[:16].replace('T', ' ')}"
            )
    out += ["", "## Newcomers"]
    out.append(
        ", ".join(f"{c} ({n})" for c, n in d.newcomers)
        if d.newcomers
        else "No company new to the news in the last 30 days."
    )
    out += ["", "## Feed health", f"{d.feeds_ok} feeds answering, {len(d.feeds_failing)} failing."]
    out += [f"- {_md(feed)}: {_md(error)}" for feed, error in d.feeds_failing]
    if d.latest_headline:
        out.append(f"Latest headline: {d.latest_headline[:16].replace('T', ' ')} UTC.")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]").replace("\n", " ")


def _web(url: str) -> bool:
    """Only web links are written as links (never javascript: or data:), without the
    characters that would end a Markdown link early."""
    return url.startswith(("http://", "https://")) and not any(c in url for c in "<> \n")


_H = 'style="font-family:Arial,Helvetica,sans-serif;color:#1a1a1a;'
LEVEL_COLOURS = {"high": "#b3261e", "elevated": "#d9730d", "watch": "#8a6d00"}


def html(d: Digest) -> str:
    e = _html.escape
    rows = []
    for s in d.signals:
        colour = LEVEL_COLOURS.get(s.level, "#333")
        rows.append(
            f'<tr><td style="padding:4px 8px;font-weight:bold">{e(d.series_name(s))}</td>'
            f'<td style="padding:4px 8px;color:{colour};font-weight:bold">{e(s.level)}</td>'
            f'<td style="padding:4px 8px">{s.stories} stories, {s.outlets} outlets in {WINDOW} days '
            f"(normal {s.expected:.1f}), since {e(_since_text(s))}"
            + (" — low feed coverage" if s.low_coverage else "")
            + "</td></tr>"
        )
    signals = (
        f'<table style="border-collapse:collapse">{"".join(rows)}</table>'
        if rows
        else "<p>No signal: no series rose above its own normal.</p>"
    )
    parts = [
        f'<div {_H}font-size:14px">',
        f'<h1 {_H}font-size:20px">Chipwatch digest</h1>',
        f"<p>{e(f'{d.since:%Y-%m-%d %H:%M} – {d.until:%Y-%m-%d %H:%M} UTC')}</p>",
        f"<h2 {_H}font-size:16px\">What's rising</h2>",
        f"<p>Signals as of {e(d.as_of.isoformat())}.</p>" if d.as_of else "",
        signals,
    ]
    if d.ended:
        parts.append(f"<p>Ended recently: {e(', '.join(d.series_name(s) for s in d.ended))}</p>")
    parts.append(f'<h2 {_H}font-size:16px">Top stories</h2>')
    for theme, stories in d.top_stories.items():
        parts.append(f'<h3 {_H}font-size:14px">{e(theme)}</h3>')
        if not stories:
            parts.append("<p>No story in the period.</p>")
            continue
        items = []
        for st in stories:
            mark = {"escalating": "▲ ", "easing": "▼ "}.get(st.direction, "")
            url = st.url if _web(st.url) else ""
            title = f'<a href="{e(url)}">{e(st.title)}</a>' if url else e(st.title)
            companies = f" ({e(', '.join(st.companies))})" if st.companies else ""
            items.append(
                f"<li>{e(mark)}{title}{companies} — {st.outlets} outlet"
                f"{'s' if st.outlets != 1 else ''}</li>"
            )
        parts.append(f"<ul>{''.join(items)}</ul>")
    parts.append(f'<h2 {_H}font-size:16px">Newcomers</h2>')
    parts.append(
        "<p>" + e(", ".join(f"{c} ({n})" for c, n in d.newcomers)) + "</p>"
        if d.newcomers
        else "<p>No company new to the news in the last 30 days.</p>"
    )
    parts.append(f'<h2 {_H}font-size:16px">Feed health</h2>')
    parts.append(f"<p>{d.feeds_ok} feeds answering, {len(d.feeds_failing)} failing.</p>")
    if d.feeds_failing:
        parts.append(
            "<ul>" + "".join(f"<li>{e(f)}: {e(err)}</li>" for f, err in d.feeds_failing) + "</ul>"
        )
    parts.append("</div>")
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Chipwatch digest</title>'
        "</head><body>" + "".join(parts) + "</body></html>\n"
    )


def collect(
    store,
    since: datetime,
    until: datetime,
    theme_labels: dict[str, str],
    as_of: date | None = None,
) -> Digest:
    """Read a digest's contents for the period since..until (UTC); signals as of `as_of`
    (default: until's day, or the latest headline's when nothing came in since)."""
    from dashboard.signals.latest import current, default_as_of, latest_day
    from dashboard.store import signals as stored
    from dashboard.store.schema import iso

    start, end = iso(since), iso(until)
    as_of = as_of or default_as_of(latest_day(store), until.date())
    active, ended = current(store, as_of)
    top = {}
    for theme, label in theme_labels.items():
        top[label] = [
            DigestStory(
                sid,
                title,
                url or "",
                first,
                outlets,
                "escalating" if d and d > 0 else "easing" if d and d < 0 else "neutral",
                sorted({c for part in (names or "").split(",") for c in part.split(";") if c}),
            )
            for sid, title, url, first, outlets, d, names in stored.top_stories(
                store, theme, start, end
            )
        ]
    feeds = store.feeds()
    failing = [
        (f.get("title") or f["url"], f.get("last_error") or "")
        for f in feeds
        if f.get("consecutive_failures")
    ]
    latest = stored.latest_headline(store)
    return Digest(
        since=since,
        until=until,
        signals=active,
        ended=ended,
        top_stories=top,
        newcomers=stored.newcomers(store, start, end, iso(since - timedelta(days=30))),
        feeds_ok=len(feeds) - len(failing),
        feeds_failing=failing,
        latest_headline=latest,
        as_of=as_of,
        theme_labels=theme_labels,
    )
