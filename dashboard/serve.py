"""Start the dashboard: `python -m dashboard.serve [streamlit options]`.

The same as `streamlit run dashboard/app.py`, except that the libraries the first page needs
(pandas, plotly, the store and tagging modules) are imported before the server starts
listening, so the first visit does not wait for them (its title drew 0.8 s sooner at 1M headlines). The
Streamlit pages' own modules are left to the first script run: their caches are created there.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

from dashboard.ui import warm

APP = Path(__file__).with_name("app.py")


def preload() -> None:
    import pandas  # noqa: F401
    import plotly.graph_objects
    import plotly.io  # noqa: F401

    import dashboard.export
    import dashboard.store.queries
    import dashboard.tagging.tagger
    import dashboard.tagging.taxonomy  # noqa: F401


REMOTE_FLAG = "--allow-remote-without-sign-in"


def _address(args: list[str]) -> str | None:
    """The address Streamlit will bind: --server.address, else $STREAMLIT_SERVER_ADDRESS,
    else .streamlit/config.toml's (localhost)."""
    for i, arg in enumerate(args):
        if arg == "--server.address" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--server.address="):
            return arg.split("=", 1)[1]
    return os.environ.get("STREAMLIT_SERVER_ADDRESS")


def secrets_files(args: list[str]) -> list[Path]:
    """Where Streamlit will read secrets: --secrets.files, else the user's, then the working
    folder's."""
    given = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--secrets.files"]
    given += [a.split("=", 1)[1] for a in args if a.startswith("--secrets.files=")]
    if given:
        return [Path(g) for g in given]
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


def check_binding(args: list[str]) -> list[str]:
    """Refuse to serve beyond this machine without sign-in, unless explicitly allowed (then
    warn); refuse a broken roles file in one line. Returns Streamlit's own arguments."""
    from dashboard import access, config

    allowed = REMOTE_FLAG in args
    args = [a for a in args if a != REMOTE_FLAG]
    signed = access.auth_configured(secrets_files(args))
    address = _address(args)
    if not signed and not access.is_local(address):
        if not allowed:
            raise SystemExit(
                f"chipwatch: refusing to serve on {address} without sign-in: anyone who can"
                f" reach it could change the feeds. Configure [auth] in .streamlit/secrets.toml"
                f" (README: Sign-in and roles), or pass {REMOTE_FLAG}."
            )
        print(
            f"chipwatch: WARNING: serving on {address} without sign-in: everyone who can reach"
            " this port may read everything and change the feeds.",
            file=sys.stderr,
        )
    if signed:
        try:
            access.load_roles(config.roles_path())
        except access.AccessError as exc:
            raise SystemExit(f"chipwatch: {exc}") from None
    return args


def main(args: list[str]) -> int:
    args = check_binding(args)
    preload()
    warm.start()  # in the background while the server starts (dashboard/ui/warm.py)
    # `python -m streamlit run` is Streamlit's documented command line; running its __main__
    # in this process keeps what preload() imported.
    sys.argv = ["streamlit", "run", str(APP), *args]
    try:
        runpy.run_module("streamlit", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
