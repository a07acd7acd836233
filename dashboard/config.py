"""Paths and settings, declared once (name, default, help)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEFAULT_DB = DATA_DIR / "chipwatch.db"
DEFAULT_OPML = DATA_DIR / "feeds.opml"
DEFAULT_TAXONOMY = DATA_DIR / "taxonomy.toml"
DEMO_DIR = DATA_DIR / "demo"
USER_AGENT = "Chipwatch/0.1 (+https://github.com/chipwatch/chipwatch; AI-hardware news monitor)"


@dataclass(frozen=True)
class Setting:
    name: str
    default: float | int | bool
    help: str


SETTINGS = (
    Setting("connect_timeout", 10.0, "seconds to open a connection to a feed's host"),
    Setting("deadline", 30.0, "total seconds allowed for one feed, however slowly it trickles"),
    Setting("max_bytes", 10 * 1024 * 1024, "largest feed body accepted, after decompression"),
    Setting("max_redirects", 5, "redirects followed before a feed is failed"),
    Setting("concurrency", 8, "feeds fetched at once"),
    Setting("per_host", 2, "feeds fetched at once from one host"),
    Setting("backoff_base", 15 * 60, "seconds before retrying a feed after its first failure"),
    Setting("backoff_cap", 24 * 3600, "longest wait before retrying a failing feed"),
    # Worker processes re-import the main module: safe under the `chipwatch` command (which
    # asks for them), not under `streamlit run` or an unguarded script, hence 0 by default.
    Setting("parse_workers", 0, "processes that parse and tag while the store writes (0: none)"),
    Setting("title_max", 500, "characters kept of a headline title"),
    Setting("summary_max", 2000, "characters kept of a headline summary"),
)
DEFAULTS = {s.name: s.default for s in SETTINGS}


def db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """--db wins, then CHIPWATCH_DB, then data/chipwatch.db."""
    value = cli_value or os.environ.get("CHIPWATCH_DB")
    return Path(value) if value else DEFAULT_DB


def taxonomy_path() -> Path:
    value = os.environ.get("CHIPWATCH_TAXONOMY")
    return Path(value) if value else DEFAULT_TAXONOMY


def opml_path() -> Path | None:
    """The feed list read besides the registered feeds: $CHIPWATCH_OPML (empty: none), else
    data/feeds.opml."""
    value = os.environ.get("CHIPWATCH_OPML")
    if value is None:
        return DEFAULT_OPML
    return Path(value) if value.strip() else None


def allow_private(cli_flag: bool = False) -> bool:
    """Private, loopback and link-local hosts are refused unless the user permits them."""
    return cli_flag or os.environ.get("CHIPWATCH_ALLOW_PRIVATE", "") in ("1", "true", "yes")
