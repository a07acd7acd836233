"""Feed bytes -> normalized Headline records. Never touches the network or the database.

Decisions worth knowing:
- feedparser gets a BytesIO, not the bytes: given a bytes object it first tries ``open()`` on it,
  so a body that happens to be a file path would be read from disk.
- Text marked as HTML (feedparser's ``*_detail.type`` or JSON ``content_html``) has its tags
  stripped and <script>/<style> contents dropped; text marked plain keeps its characters, so an
  Atom ``type="text"`` title "<b>bold</b>" stays literal. The cleaning itself, canonical URLs,
  dedup keys and dates live in dashboard.ingest.normalize.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser

from dashboard.config import Settings
from dashboard.errors import ParseError
from dashboard.ingest.normalize import (
    as_utc,
    canonical_url,
    cap,
    date_bounds,
    entry_key,
    feed_identity,
    is_web_url,
    parse_text_date,
    pick_date,
    plain_text,
    with_fragment,
)
from dashboard.models import Headline, ParsedFeed

__all__ = ["DEMO_GENERATOR", "UNTITLED_MAX", "parse"]

DEMO_GENERATOR = "Chipwatch synthetic demo"
UNTITLED_MAX = 120  # characters of summary used as a title when an entry has none
_ENTITY_BUDGET = 4 * 1024 * 1024  # bytes that internal DTD entities may expand to

_KNOWN_TAG_RE = re.compile(
    r"</?(?:a|abbr|acronym|b|big|blockquote|br|center|cite|code|del|dfn|div|em|embed|figure"
    r"|figcaption|font|form|h[1-6]|hr|i|iframe|img|input|ins|kbd|li|link|mark|meta|object|ol|p"
    r"|pre|q|s|script|small|span|strike|strong|style|sub|sup|svg|table|tbody|td|th|tr|tt|u"
    r"|ul|video|audio|source|noscript|template|wbr)\b[^>]*>",
    re.I,
)
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")

_ENTITY_DECL_RE = re.compile(rb"<!ENTITY\s+%?\s*([\w.-]+)\s+(?:\"([^\"]*)\"|'([^']*)')")
_FIRST_ELEMENT_RE = re.compile(rb"<[A-Za-z]")
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']+)""")
_HTML_SNIFF_RE = re.compile(rb"<!doctype\s+html|<html[\s>]", re.I)
_ROOT_RE = re.compile(rb"<([A-Za-z][\w:.-]{0,40})")
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\x00\x00\x00<", b"<\x00", b"\x00<")


# --- text type ----------------------------------------------------------------------------


def _is_html(value: str | None, detail: Mapping | None, ambiguous: bool) -> bool:
    """Atom says whether text is HTML. RSS does not, and feedparser's guess calls text with a
    <script> tag plain (it only trusts tags its sanitizer allows), so RSS text with any real
    HTML tag is treated as HTML here."""
    if ((detail or {}).get("type") or "text/html") in _HTML_TYPES:
        return True
    return ambiguous and bool(value) and "<" in value and _KNOWN_TAG_RE.search(value) is not None


# --- sniffing -----------------------------------------------------------------------------


def _screen_entities(body: bytes) -> None:
    """Refuse documents whose internal DTD entities would expand far beyond the body.

    feedparser keeps simple entity declarations and, when expat refuses an entity bomb, its
    lenient fallback parser expands them without any limit ("quadratic blowup").
    """
    if b"<!ENTITY" not in body and not body.startswith(_WIDE_BOMS):
        return
    text = body
    if body.startswith(_WIDE_BOMS):  # UTF-16/32: scan the same characters as UTF-8
        for codec in ("utf-32", "utf-16", "utf-16-le", "utf-16-be"):
            try:
                text = body.decode(codec).encode("utf-8")
                break
            except UnicodeDecodeError:
                continue
    first = _FIRST_ELEMENT_RE.search(text)
    head = text[: first.start()] if first else text
    if b"<!ENTITY" not in head:
        return
    total = 0
    for name, dq, sq in _ENTITY_DECL_RE.findall(head):
        size = len(dq or sq or b"")
        if size:
            total += size * text.count(b"&" + name + b";")
    if total > max(_ENTITY_BUDGET, 2 * len(body)):
        raise ParseError(f"refused: XML entities would expand to {total:,} bytes (entity bomb)")


def _repair_utf8(body: bytes, content_type: str) -> tuple[bytes, str | None]:
    """A few bad bytes in an otherwise UTF-8 document are replaced instead of letting
    feedparser re-read the whole document as windows-1252 (which garbles every accent)."""
    try:
        body.decode("utf-8")
        return body, None
    except UnicodeDecodeError:
        pass
    if body.startswith(_WIDE_BOMS):
        return body, None
    charset = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.I)
    declared = _XML_ENCODING_RE.match(body[:512])
    for found in (charset and charset.group(1).encode(), declared and declared.group(1)):
        if found and found.lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
            return body, None
    text = body.decode("utf-8", "replace")
    replaced = text.count("\ufffd")
    bad = replaced - body.count(b"\xef\xbf\xbd")  # U+FFFD already in the document
    wide = len(text) - len(text.encode("ascii", "ignore")) - replaced
    if bad <= 0 or wide <= bad:  # mostly not UTF-8 (Latin-1 without a declaration, say)
        return body, None
    return text.encode("utf-8"), f"invalid UTF-8: {bad} bad byte sequence(s) replaced"


def _no_feed_reason(body: bytes, bozo_exc) -> str:
    sample = body[:2048]
    if _HTML_SNIFF_RE.search(sample):
        return "no feed found: looks like an HTML page"
    if not sample.startswith(_WIDE_BOMS):
        controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
        if controls > len(sample) // 20:
            return "no feed found: binary data, not a text document"
    if bozo_exc is not None:
        return "no feed found: " + _bozo_reason(bozo_exc)
    root = _ROOT_RE.search(_strip_prolog(sample))
    name = root.group(1).decode("ascii", "replace") if root else "?"
    return f"no feed found: unknown XML document (root <{name}>), no RSS, Atom or CDF entries"


def _strip_prolog(sample: bytes) -> bytes:
    """The sample without its XML declaration, comments and DOCTYPE."""
    return re.sub(rb"<\?.*?\?>|<!--.*?-->|<![^>]*>", b"", sample, flags=re.S)


def _bozo_reason(exc) -> str:
    name = type(exc).__name__
    message = " ".join(str(getattr(exc, "getMessage", lambda: exc)()).split())
    if name == "SAXParseException":
        return f"not well-formed XML (line {exc.getLineNumber()}): {message}"
    if name == "CharacterEncodingOverride":
        found = re.match(r"document declared as (\S+), but parsed as (\S+)", message)
        if found:
            return f"encoding override: declared {found.group(1)}, read as {found.group(2)}"
    if name == "CharacterEncodingUnknown":
        return "encoding unknown: " + message
    return f"{name}: {message}"[:300]


# --- parse --------------------------------------------------------------------------------


def parse(
    body: bytes,
    *,
    feed_url: str,
    headers: Mapping[str, str] | None = None,
    fetched_at: datetime | None = None,
    settings: Settings | Mapping | None = None,
) -> ParsedFeed:
    """One feed document -> ParsedFeed. Raises ParseError (and SettingError for settings
    that do not exist, which is the caller's mistake, not the document's)."""
    opts = Settings.of(settings)
    try:
        return _parse(body, feed_url, headers, fetched_at, opts)
    except ParseError:
        raise
    except Exception as exc:  # a surprise in one document must not stop an ingest run
        message = " ".join(f"could not parse: {type(exc).__name__}: {exc}".split())
        raise ParseError(message[:300]) from exc


def _parse(body, feed_url, headers, fetched_at, opts: Settings) -> ParsedFeed:
    if not isinstance(body, bytes | bytearray | memoryview):
        raise ParseError(f"could not parse: expected bytes, got {type(body).__name__}")
    body = bytes(body)
    ctx = _Context(feed_url, as_utc(fetched_at), opts.title_max, opts.summary_max)
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise ParseError("no feed found: empty document")
    if stripped[:1] in (b"{", b"["):
        return _parse_json(stripped, ctx)
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    return _parse_xml(body, lowered, ctx)


class _Context:
    """What every entry of one document shares."""

    __slots__ = ("base", "fallback", "feed_url", "identity", "latest", "seen", "shared", "source")
    __slots__ += ("summary_max", "title_max")

    def __init__(self, feed_url: str, fetched: datetime, title_max: int, summary_max: int):
        self.feed_url = feed_url
        self.identity = feed_identity(feed_url)
        self.latest, self.fallback = date_bounds(fetched)
        self.title_max = title_max
        self.summary_max = summary_max
        self.base = feed_url if is_web_url(feed_url) else None
        self.source = ""
        self.seen: set[str] = set()
        self.shared: frozenset[str] = frozenset()  # links that several GUID-less entries share

    def start(self, title: str, link: str | None, content_location: str | None = None) -> None:
        """Feed-level facts: relative links resolve against the document's URL, else the
        feed's own web link (a feed read from a file has no URL of its own)."""
        self.base = canonical_url(content_location, self.base) or self.base or link
        self.source = title or _domain(link) or _domain(self.feed_url) or _file_name(self.feed_url)

    def headline(self, parsed: ParsedFeed, *, title, summary, link, guid, dates) -> None:
        """Add one entry to `parsed`, or count it as skipped."""
        if not title:
            title = cap(summary, UNTITLED_MAX)
        if not title:
            parsed.skipped += 1
            return
        url = canonical_url(link, self.base)
        published_at, estimated = pick_date(dates, self.latest, self.fallback)
        if isinstance(guid, int | float) and not isinstance(guid, bool):
            guid = str(guid)  # JSON Feed ids may be numbers
        date = "" if estimated else published_at
        ident = with_fragment(url, link) if link else None
        if ident and link in self.shared and not guid:
            # A show page or newsroom linked from every item is no identity of its own
            ident = f"{ident}\n{title}"
        key = entry_key(self.identity, guid, ident, self.source, title, date)
        if key in self.seen:
            parsed.skipped += 1
            return
        self.seen.add(key)
        parsed.headlines.append(
            Headline(
                id=key,
                source=self.source,
                title=title,
                summary=summary,
                url=url,
                published_at=published_at,
                published_estimated=estimated,
            )
        )


def _domain(url: str | None) -> str:
    canon = canonical_url(url) if url else None
    if not canon:
        return ""
    host = urlsplit(canon).hostname or ""
    return host.removeprefix("www.")


def _file_name(feed_url: str) -> str:
    return Path(feed_url.removeprefix("file://")).name or feed_url


def _parse_xml(body: bytes, headers: dict[str, str], ctx: _Context) -> ParsedFeed:
    _screen_entities(body)
    # A blank line before "<?xml" makes expat refuse the whole document (feedparser then
    # falls back to its lenient parser and flags it): drop leading ASCII whitespace.
    if body[:1] in b" \t\r\n" and body.lstrip(b" \t\r\n").startswith(b"<"):
        body = body.lstrip(b" \t\r\n")
    content_type = headers.get("content-type", "")
    body, repair_note = _repair_utf8(body, content_type)
    # Without a Content-Type, any other header makes feedparser assume ISO-8859-1 (RFC 3023):
    # pass headers only when the server named a type.
    response_headers = {}
    if content_type:
        response_headers["content-type"] = content_type
        location = canonical_url(headers.get("content-location"), ctx.base) or ctx.base
        if location:
            response_headers["content-location"] = location
    result = feedparser.parse(
        io.BytesIO(body),
        response_headers=response_headers,
        sanitize_html=False,  # tags are stripped here; feedparser's sanitizer costs time
        resolve_relative_uris=False,  # only rewrites links inside HTML bodies we discard
    )
    feed = result.get("feed") or {}
    entries = result.get("entries") or []
    bozo_exc = result.get("bozo_exception") if result.get("bozo") else None
    if not result.get("version") and not entries and not feed.get("title"):
        raise ParseError(_no_feed_reason(body, bozo_exc))

    ambiguous = not str(result.get("version") or "").startswith("atom")
    feed_title = feed.get("title")
    title = plain_text(
        feed_title, ctx.title_max, is_html=_is_html(feed_title, feed.get("title_detail"), ambiguous)
    )
    link = canonical_url(feed.get("link"), ctx.base)
    ctx.start(title, link, headers.get("content-location"))
    parsed = ParsedFeed(
        title=title or None,
        link=link,
        demo=(feed.get("generator") or "").strip() == DEMO_GENERATOR,
        ttl=_ttl(feed.get("ttl")),
    )
    ctx.shared = _shared_links(entries)
    get = dict.get
    for entry in entries:
        # Plain dict.get: FeedParserDict's own lookup is slow and maps a missing
        # updated_parsed to published_parsed with a DeprecationWarning per entry.
        summary_value, summary_detail = get(entry, "summary"), get(entry, "summary_detail")
        content = get(entry, "content")
        if not summary_value and content:
            summary_value, summary_detail = content[0].get("value"), content[0]
        title_value = get(entry, "title")
        title_html = _is_html(title_value, get(entry, "title_detail"), ambiguous)
        summary_html = _is_html(summary_value, summary_detail, ambiguous)
        ctx.headline(
            parsed,
            title=plain_text(title_value, ctx.title_max, is_html=title_html),
            summary=plain_text(summary_value, ctx.summary_max, is_html=summary_html),
            link=get(entry, "link") or _alternate(entry),
            guid=get(entry, "id"),
            dates=(get(entry, "published_parsed"), get(entry, "updated_parsed")),
        )
    notes = [repair_note] if repair_note else []
    if bozo_exc is not None and type(bozo_exc).__name__ != "NonXMLContentType":
        notes.append(f"{_bozo_reason(bozo_exc)}; {len(parsed.headlines)} entries kept")
    parsed.warning = "; ".join(notes) or None
    return parsed


def _ttl(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 10**6 else None


def _shared_links(entries) -> frozenset[str]:
    """Links that GUID-less entries with different titles have in common (a podcast's show
    page, a newsroom index): such a link says nothing about which story an entry is. The same
    link with the same title is just a repeated story and stays a duplicate."""
    titles: dict[str, set] = {}
    for entry in entries:
        link = dict.get(entry, "link")
        if link and not dict.get(entry, "id"):
            titles.setdefault(link, set()).add(dict.get(entry, "title"))
    return frozenset(link for link, seen in titles.items() if len(seen) > 1)


def _alternate(entry) -> str | None:
    for link in entry.get("links") or ():
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None


def _parse_json(body: bytes, ctx: _Context) -> ParsedFeed:
    note = None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("utf-8", "replace")
        note = "invalid UTF-8 in JSON Feed: bad bytes replaced"
    try:
        doc = json.loads(text, strict=False)  # raw control characters in strings are common
    except (ValueError, RecursionError) as exc:
        raise ParseError(" ".join(f"invalid JSON: {exc}".split())[:300]) from exc
    version = doc.get("version") if isinstance(doc, dict) else None
    items = doc.get("items") if isinstance(doc, dict) else None
    is_jsonfeed = isinstance(version, str) and version.startswith("https://jsonfeed.org/version/")
    if not isinstance(items, list) or not (is_jsonfeed or "title" in doc):
        raise ParseError("no feed found: JSON document is not a JSON Feed")

    title = plain_text(_str(doc.get("title")), ctx.title_max, is_html=False)
    link = canonical_url(_str(doc.get("home_page_url")), ctx.base)
    ctx.start(title, link)
    parsed = ParsedFeed(
        title=title or None,
        link=link,
        demo=_str(doc.get("generator")).strip() == DEMO_GENERATOR,
        warning=note,
    )
    for item in items:
        if not isinstance(item, dict):
            parsed.skipped += 1
            continue
        summary = plain_text(_str(item.get("summary")), ctx.summary_max, is_html=False)
        if not summary:
            summary = plain_text(_str(item.get("content_text")), ctx.summary_max, is_html=False)
        if not summary:
            summary = plain_text(_str(item.get("content_html")), ctx.summary_max, is_html=True)
        ctx.headline(
            parsed,
            title=plain_text(_str(item.get("title")), ctx.title_max, is_html=False),
            summary=summary,
            link=_str(item.get("url")) or _str(item.get("external_url")) or None,
            guid=item.get("id"),
            dates=(
                parse_text_date(item.get("date_published")),
                parse_text_date(item.get("date_modified")),
            ),
        )
    return parsed


def _str(value) -> str:
    return value if isinstance(value, str) else ""
