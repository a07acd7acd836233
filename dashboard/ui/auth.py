"""Sign-in for the pages: Streamlit's own st.login (OpenID Connect) when ``[auth]`` is in
the secrets, the one local user otherwise. The role rule itself is dashboard/access.py;
every write in ui/actions.py checks it again, so a hidden button is not the only guard."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import access, config
from dashboard.errors import AccessError


def configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file, or a broken one: Streamlit says so itself
        return False


@st.cache_resource(show_spinner=False)
def _roles(path: str, mtime: float) -> access.Roles:
    return access.load_roles(path)


def roles() -> access.Roles:
    path = config.roles_path()
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        return access.EVERYONE_VIEWS
    return _roles(str(path), mtime)


def current_user() -> access.User:
    """The user of this session; draws the sign-in screen and stops the run when nobody is
    signed in, and a refusal when the roles file does not name them."""
    if not configured():
        return access.LOCAL
    if not st.user.is_logged_in:
        st.title(":material/memory: Chipwatch")
        st.write("Sign in to see where risk is building in the AI-hardware news.")
        st.button("Sign in", icon=":material/login:", on_click=st.login, key="sign_in")
        st.stop()
    email = str(st.user.get("email") or "")
    # A provider that says the address is unverified does not get it a role: anyone could
    # otherwise claim an address of a domain the roles file trusts.
    verified = st.user.get("email_verified", True) not in (False, "false")
    try:
        role = roles().role_for(email) if verified else None
    except AccessError as exc:
        st.error(f"Sign-in is configured but the roles file is unusable: {exc}")
        st.stop()
    user = access.User(email, role)
    if role is None:
        st.error(
            f"{email or 'This account'} is signed in but has no role in Chipwatch's roles"
            " file: ask an editor to add you."
        )
        st.button("Log out", icon=":material/logout:", on_click=st.logout, key="sign_out")
        st.stop()
    return user


def sidebar(user: access.User) -> None:
    """Who is here, on every page."""
    if user.local:
        st.caption(
            ":material/person: Local mode: no sign-in is configured, so this is the one user"
            " of this machine (served on localhost only), allowed everything.",
        )
        return
    st.caption(f":material/person: {user.email} · {user.role}")
    st.button("Log out", icon=":material/logout:", on_click=st.logout, key="sign_out")
