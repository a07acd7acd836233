"""Normalized values for a Headline: plain text, canonical URLs, stable keys and UTC dates.

No I/O: dashboard.ingest.parse decides which of a document's values go through these helpers.

Decisions worth knowing:
- Nothing returned by plain_text() is ever markup again: the pages must escape it.
- A second entity decode (for feeds that encode twice) never turns ``&lt;``/``&gt;`` into
  angle brackets, so doubly encoded markup stays visible as text.
- A canonical URL drops credentials, the fragment, default ports and tracking parameters;
  identity (entry_key) keeps the fragment, since some feeds tell posts apart by anchor only.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

# Private, and pinned in pyproject: feedparser exports no public form of the lenient date
# parsers it runs on RSS and Atom dates, and JSON Feeds in the wild need the same leniency.
from feedparser.datetimes import _parse_date as _feedparser_date

_EARLIEST = calendar.timegm((1990, 1, 1, 0, 0, 0))
_FUTURE_SLACK = timedelta(days=2)
_ISO = "%Y-%m-%dT%H:%M:%SZ"

_TRACKING_NAMES = (  # besides every utm_* parameter
    "fbclid gclid gclsrc dclid msclkid yclid twclid ttclid li_fat_id mc_cid mc_eid igshid "
    "ref_src ref_url cmpid _hsenc _hsmi mkt_tok oly_anon_id oly_enc_id vero_id vero_conv "
    "wickedid rb_clickid s_kwcid ncid sr_share _ga _gl"
)
_TRACKING = frozenset(_TRACKING_NAMES.split())
_DEFAULT_PORTS = {"http": 80, "https": 443}

_DROP_BLOCK_RE = re.compile(
    r"<(script|style|noscript|template|head)\b[^>]*>.*?(?:</\1\s*>|\Z)"
    r"|<!--.*?(?:-->|\Z)|<!\[CDATA\[|\]\]>|<![^>]*>|<\?[^>]*>",
    re.I | re.S,
)
_BLOCK_TAG_RE = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|header|footer"
    r"|hr|img|figure|figcaption|pre|dd|dt|dl|iframe|video|audio)\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>",
    re.I,
)
_TAG_RE = re.compile(r"</?[a-zA-Z](?:\"[^\"]*\"|'[^']*'|[^'\">])*>")
_PARTIAL_TAG_RE = re.compile(r"<[a-zA-Z/!?][^<>]*\Z")
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_CONTROL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127])


# --- plain text ---------------------------------------------------------------------------


def _second_decode(match: re.Match) -> str:
    decoded = html.unescape(match.group(0))
    return match.group(0) if decoded in ("<", ">") else decoded


def plain_text(value: str | None, limit: int, *, is_html: bool = True) -> str:
    """Markup-free, entity-decoded, whitespace-collapsed text of at most `limit` characters."""
    if not value:
        return ""
    # A 500 KB article body becomes a 2,000-character summary: cut early, keep generous slack
    # for markup so the visible text still fills the cap.
    if len(value) > limit * 20 + 1000:
        value = value[: limit * 20 + 1000]
        if is_html:  # the cut may have split a tag
            value = _PARTIAL_TAG_RE.sub("", value)
    if is_html and "<" in value:
        value = _DROP_BLOCK_RE.sub(" ", value)
        value = _BLOCK_TAG_RE.sub(" ", value)
        value = _TAG_RE.sub("", value)
    if "&" in value:
        if is_html:
            value = html.unescape(value)
        if "&" in value and _ENTITY_RE.search(value):
            value = _ENTITY_RE.sub(_second_decode, value)
    text = " ".join(value.translate(_CONTROL).split())
    return cap(text, limit)


def cap(text: str, limit: int) -> str:
    """Shorten to `limit` characters on a word boundary, ending with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if text[len(cut)] != " " and space >= limit // 2:  # a word cut in half goes entirely
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


# --- URLs and keys ------------------------------------------------------------------------


# Most links are canonical already (lower-case http(s), a plain host, a path and nothing
# else): they skip the parse-and-rebuild below, which costs more than a feedparser entry's
# share of the work.
_PLAIN_URL = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
    r"/[^?#\s\\<>\"'%]*"
)


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """Canonical http(s) URL, or None for anything that is not a safe web link."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if _PLAIN_URL.fullmatch(url):
        return url
    try:
        if base and not is_web_url(url):
            url = urljoin(base, url)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        host = parts.hostname.lower().rstrip(".")
        port = parts.port
    except ValueError:  # malformed IPv6 literal or port
        return None
    if not host or any(c in host for c in " <>\"'\\"):
        return None
    if ":" in host:
        host = f"[{host}]"
    # Credentials in a link are dropped: they must never be stored or shown.
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = parts.query
    if query:
        query = "&".join(p for p in query.split("&") if p and not _is_tracking(p.split("=", 1)[0]))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _is_tracking(name: str) -> bool:
    name = unquote_plus(name).lower()
    return name.startswith("utm_") or name in _TRACKING


def is_web_url(value: str) -> bool:
    head = value[:8].lower()
    return head.startswith(("http://", "https://"))


def feed_identity(feed_url: str) -> str:
    """The name a feed's own GUIDs live under: its canonical URL, or a file: URL."""
    web = canonical_url(feed_url) if is_web_url(feed_url) else None
    if web:
        return web
    if feed_url.startswith("file:"):
        return feed_url
    return Path(os.path.abspath(feed_url)).as_uri()


def dedup_key(
    *,
    feed_url: str,
    guid: str | None = None,
    url: str | None = None,
    source: str = "",
    title: str = "",
    published_at: str = "",
) -> str:
    """Stable id: a URL GUID is global, another GUID is unique only within its feed.

    Without a GUID the canonical URL decides; without either, source + title + date (pass
    published_at="" when the date was only estimated, or every fetch would mint a new key).
    """
    canon = with_fragment(canonical_url(url), url) if url else None
    return entry_key(feed_identity(feed_url), guid, canon, source, title, published_at)


def with_fragment(canon: str | None, raw: str) -> str | None:
    """Identity keeps the fragment the stored link drops: some feeds give every post of a day
    the same page and tell them apart by anchor only (http://scripting.com/2017/06/26.html#a1)."""
    if canon and "#" in raw:
        fragment = raw.partition("#")[2].strip()
        if fragment:
            return f"{canon}#{fragment}"
    return canon


def entry_key(identity: str, guid, canon: str | None, source: str, title: str, date: str) -> str:
    """dedup_key() for a feed whose identity is known and whose link is already canonical."""
    guid = guid.strip() if isinstance(guid, str) else ""
    global_guid = with_fragment(canonical_url(guid), guid) if is_web_url(guid) else None
    if global_guid:
        basis = "url\n" + global_guid
    elif guid:
        basis = f"guid\n{identity}\n{guid}"
    elif canon:
        basis = "url\n" + canon
    else:
        basis = f"text\n{source}\n{title}\n{date}"
    return hashlib.sha1(basis.encode("utf-8", "surrogatepass")).hexdigest()[:20]


# --- dates --------------------------------------------------------------------------------


def date_bounds(fetched: datetime) -> tuple[int, str]:
    """The latest sane publication time (epoch seconds) for a document fetched at `fetched`,
    and the date an entry without a sane one gets instead."""
    return calendar.timegm((fetched + _FUTURE_SLACK).utctimetuple()), fetched.strftime(_ISO)


def pick_date(candidates, latest: int, fallback: str) -> tuple[str, bool]:
    """First sane candidate (struct_time in UTC, or epoch seconds); else fetched_at, estimated.

    feedparser's *_parsed structs are already in UTC, so timegm (never mktime) is exact."""
    for value in candidates:
        if value is None:
            continue
        try:
            epoch = value if isinstance(value, int) else calendar.timegm(value)
        except (TypeError, ValueError, OverflowError):
            continue
        if _EARLIEST <= epoch <= latest:
            return time.strftime(_ISO, time.gmtime(epoch)), False
    return fallback, True


def parse_text_date(value) -> int | None:
    """JSON Feed dates are RFC 3339; anything else gets feedparser's lenient date parsers."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return calendar.timegm(parsed.utctimetuple())
    except (ValueError, OverflowError):
        pass
    try:
        struct = _feedparser_date(value)
        return calendar.timegm(struct) if struct else None
    except Exception:  # feedparser's date handlers are heuristics; any failure means no date
        return None


def as_utc(fetched_at: datetime | None) -> datetime:
    if fetched_at is None:
        return datetime.now(UTC).replace(microsecond=0)
    if fetched_at.tzinfo is None:
        return fetched_at.replace(tzinfo=UTC)
    return fetched_at.astimezone(UTC)
