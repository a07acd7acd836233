"""Who may do what. Pure: the roles file, the user, and the one rule every action checks.

Without sign-in configured (no ``[auth]`` in Streamlit's secrets) Chipwatch has one local
user, bound to localhost, who may do everything. With it, a signed-in user's role comes from
the roles file (config.roles_path), a TOML file such as::

    [roles]
    "alice@example.com" = "editor"   # an address
    "@example.com" = "analyst"       # everyone of a domain
    "*" = "viewer"                   # everyone else who can sign in

An address wins over its domain, a domain over "*"; matching ignores case. Someone the file
does not name (and no "*") is signed in but may see nothing. No file: everyone is a viewer.
Roles grow: an analyst may do what a viewer may, an editor what an analyst may.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from dashboard.errors import AccessError, Forbidden

ROLES = ("viewer", "analyst", "editor")
# action -> the least role that may do it
ACTIONS = {
    "read": "viewer",
    "feedback": "analyst",  # correct tags, directions, relevance
    "feeds": "editor",  # add, import, remove feeds; fetch now
}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class User:
    email: str
    role: str | None  # None: signed in, but the roles file does not name them
    local: bool = False  # no sign-in configured: the one user of this machine

    def can(self, action: str) -> bool:
        need = ACTIONS[action]
        return self.role is not None and ROLES.index(self.role) >= ROLES.index(need)

    @property
    def label(self) -> str:
        return "local user" if self.local else self.email


LOCAL = User("local", "editor", local=True)


def require(user: User, action: str) -> None:
    """Raise Forbidden unless the user may do this (every write checks it server-side)."""
    if not user.can(action):
        role = user.role or "no role"
        raise Forbidden(f"{user.label} ({role}) may not {_VERBS[action]}")


_VERBS = {"read": "read", "feedback": "give feedback", "feeds": "change the feeds"}


@dataclass(frozen=True)
class Roles:
    entries: dict[str, str]  # lower-cased address, "@domain" or "*" -> role
    path: Path | None = None

    def role_for(self, email: str | None) -> str | None:
        email = (email or "").strip().lower()
        if not email:
            return None
        domain = "@" + email.rpartition("@")[2] if "@" in email else None
        for key in (email, domain, "*"):
            if key and key in self.entries:
                return self.entries[key]
        return None


EVERYONE_VIEWS = Roles({"*": "viewer"})


def load_roles(path: str | Path) -> Roles:
    """The roles file, or AccessError in one line (syntax error, unknown role, bad key).
    A missing file gives EVERYONE_VIEWS."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return EVERYONE_VIEWS
    except OSError as exc:
        raise AccessError(f"{p}: cannot read ({exc.strerror or exc})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AccessError(f"{p}: not valid TOML ({exc})") from exc
    table = data.get("roles")
    if not isinstance(table, dict):
        raise AccessError(f"{p}: needs a [roles] table of address = role")
    entries = {}
    for key, role in table.items():
        if role not in ROLES:
            raise AccessError(f"{p}: {key!r} has unknown role {role!r} (use {', '.join(ROLES)})")
        k = key.strip().lower()
        if k != "*" and "@" not in k:
            raise AccessError(f"{p}: {key!r} is not an address, '@domain' or '*'")
        entries[k] = role
    return Roles(entries, p)


def auth_configured(secrets_files: list[Path]) -> bool:
    """Whether one of Streamlit's secrets files has an [auth] table (sign-in configured).
    A file that is not valid TOML is left to Streamlit, which refuses it itself."""
    for f in secrets_files:
        try:
            if isinstance(tomllib.loads(f.read_text(encoding="utf-8")).get("auth"), dict):
                return True
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
    return False


def is_local(address: str | None) -> bool:
    return (address or "localhost").strip("[]") in LOCAL_HOSTS
