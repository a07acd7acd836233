"""The feed list: OPML read/write and turning ingest arguments into feed sources."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dashboard.errors import SourceError

FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".json", ".feed", ".cdf"}
OPML_MAX_BYTES = 5 * 1024 * 1024
WEB_SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class Source:
    """One feed to read: an http(s) URL or a local file."""

    location: str  # the URL, or the file's absolute path
    kind: str  # "url" or "file"
    title: str | None = None


def url_source(url: str, title: str | None = None) -> Source:
    """Validate the scheme of a feed URL; anything but http(s) is refused."""
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme not in WEB_SCHEMES:
        shown = scheme + ":" if scheme else "no scheme"
        raise SourceError(f"{url[:200]}: unsupported URL scheme ({shown}); only http and https")
    if not urlsplit(url).hostname:
        raise SourceError(f"{url[:200]}: URL has no host")
    return Source(url, "url", title)


def fetchable(feeds: Iterable[dict]) -> list[dict]:
    """The registered feed rows that a fetch reads and an OPML export lists: web feeds, not
    the synthetic demo's files."""
    return [
        f for f in feeds if urlsplit(f["url"]).scheme.lower() in WEB_SCHEMES and not f["is_demo"]
    ]


def _looks_like_url(arg: str) -> bool:
    head = arg.split(":", 1)[0].lower()
    # A Windows drive letter or a plain path is not a scheme.
    return ":" in arg and len(head) > 1 and head.isalpha() and not os.path.exists(arg)


def _is_opml(path: Path) -> bool:
    if path.suffix.lower() == ".opml":
        return True
    try:
        with path.open("rb") as fh:
            return b"<opml" in fh.read(2048).lower()
    except OSError:
        return False


def read_opml(path: str | Path) -> list[Source]:
    """Feeds listed in an OPML file (outlines with xmlUrl, at any depth)."""
    path = Path(path)
    try:
        if path.stat().st_size > OPML_MAX_BYTES:
            raise SourceError(f"{path}: OPML file larger than {OPML_MAX_BYTES // 2**20} MiB")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: no such file") from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise SourceError(f"{path}: OPML with a DOCTYPE or entities is not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SourceError(f"{path}: unreadable OPML ({exc})") from exc
    if root.tag.lower() != "opml":
        raise SourceError(f"{path}: not an OPML file (root element <{root.tag}>)")
    sources, seen = [], set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        title = outline.get("title") or outline.get("text")
        try:
            sources.append(url_source(url, title))
        except SourceError:
            # Keep it visible: ingest reports it as that source's error.
            sources.append(Source(url, "invalid", title))
    return sources


def write_opml(
    path: str | Path, feeds: list[tuple[str, str | None]], title: str = "Chipwatch feeds"
) -> None:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for url, feed_title in feeds:
        ET.SubElement(
            body, "outline", type="rss", text=feed_title or url, title=feed_title or url, xmlUrl=url
        )
    ET.indent(root)
    Path(path).write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")


def _folder_files(folder: Path) -> list[Source]:
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in FEED_SUFFIXES and not p.name.startswith(".")
    )
    return [Source(str(p.resolve()), "file") for p in files]


def resolve(args: list[str]) -> tuple[list[Source], list[tuple[str, str]]]:
    """Expand ingest arguments into sources. Returns (sources, [(argument, reason), ...]).

    A bad argument never stops the others: it is returned with its reason.
    """
    sources: list[Source] = []
    errors: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(items: list[Source]) -> None:
        for s in items:
            if s.location not in seen:
                seen.add(s.location)
                sources.append(s)

    for arg in args:
        try:
            if _looks_like_url(arg):
                add([url_source(arg)])
                continue
            path = Path(arg)
            if path.is_dir():
                found = _folder_files(path)
                if not found:
                    raise SourceError(
                        f"{arg}: folder holds no feed files ({', '.join(sorted(FEED_SUFFIXES))})"
                    )
                add(found)
            elif path.is_file():
                add(read_opml(path) if _is_opml(path) else [Source(str(path.resolve()), "file")])
            else:
                raise SourceError(f"{arg}: no such file or folder")
        except SourceError as exc:
            errors.append((arg, str(exc)))
    return sources, errors
