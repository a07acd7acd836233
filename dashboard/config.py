"""Paths and settings, declared once (name, default, help)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from dashboard.errors import SettingError

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


def _setting(default: float | int, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """The fetch, parse and store settings, each declared once with its default and help.

    Settings.of() is the one place a partial mapping ({"concurrency": 3}) becomes settings:
    a misspelt name or a value of the wrong kind is a SettingError naming it, never ignored.
    """

    connect_timeout: float = _setting(10.0, "seconds to open a connection to a feed's host")
    deadline: float = _setting(
        30.0, "total seconds allowed for one feed, however slowly it trickles"
    )
    max_bytes: int = _setting(10 * 1024 * 1024, "largest feed body accepted, after decompression")
    max_redirects: int = _setting(5, "redirects followed before a feed is failed")
    concurrency: int = _setting(32, "feeds fetched at once")
    per_host: int = _setting(2, "feeds fetched at once from one host")
    backoff_base: float = _setting(
        15 * 60, "seconds before retrying a feed after its first failure"
    )
    backoff_cap: float = _setting(24 * 3600, "longest wait before retrying a failing feed")
    # Worker processes re-import the main module: safe under the `chipwatch` command (which
    # asks for them), not under `streamlit run` or an unguarded script, hence 0 by default.
    parse_workers: int = _setting(
        0, "processes that parse and tag while the store writes (0: none)"
    )
    title_max: int = _setting(500, "characters kept of a headline title")
    summary_max: int = _setting(2000, "characters kept of a headline summary")

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            kind = int if f.type in ("int", int) else float
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SettingError(f"setting {f.name} must be a number, not {value!r}")
            if kind is int and value != int(value):
                raise SettingError(f"setting {f.name} must be a whole number, not {value!r}")
            low = 0 if f.name == "parse_workers" else 1 if kind is int else 0.001
            if value < low:
                raise SettingError(f"setting {f.name} must be at least {low}, not {value!r}")
            object.__setattr__(self, f.name, kind(value))

    @classmethod
    def of(cls, value: Settings | Mapping[str, object] | None = None, **overrides) -> Settings:
        """Settings from None (the defaults), Settings, or a mapping of some of them."""
        base = value if isinstance(value, Settings) else None
        given = dict(overrides) if base else {**(value or {}), **overrides}
        names = {f.name for f in fields(cls)}
        for name in given:
            if name not in names:
                close = difflib.get_close_matches(name, names, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise SettingError(f"unknown setting {name!r}{hint}")
        return replace(base, **given) if base else cls(**given)


SETTINGS = tuple(Setting(f.name, f.default, f.metadata["help"]) for f in fields(Settings))
DEFAULTS = {s.name: s.default for s in SETTINGS}


def db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """--db wins, then CHIPWATCH_DB, then data/chipwatch.db."""
    value = cli_value or os.environ.get("CHIPWATCH_DB")
    return Path(value) if value else DEFAULT_DB


def taxonomy_path() -> Path:
    value = os.environ.get("CHIPWATCH_TAXONOMY")
    return Path(value) if value else DEFAULT_TAXONOMY


def roles_path() -> Path:
    """Who may do what once sign-in is configured (dashboard/access.py): $CHIPWATCH_ROLES,
    else data/roles.toml."""
    value = os.environ.get("CHIPWATCH_ROLES")
    return Path(value) if value else ROOT / "data" / "roles.toml"


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
