"""Sign-in for real: an OpenID provider on loopback (oidc-provider-mock), the dashboard with
[auth] in its secrets, Chromium signing in as an editor and as a viewer, and logging out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, free_port, streamlit_server, wait_for_app
from tests.test_browser import browser  # noqa: F401 (the shared Chromium fixture)

pytestmark = pytest.mark.browser

COOKIE_SECRET = "cookie-secret-never-shown-4f1b"
CLIENT_SECRET = "client-secret-never-shown-9a2c"
ROLES = '[roles]\n"ed@example.com" = "editor"\n"view@example.com" = "viewer"\n'


@pytest.fixture(scope="module")
def oidc():
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def signed_app(seeded_db_template, oidc, tmp_path_factory):
    import shutil

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    base = tmp_path_factory.mktemp("signin")
    db = base / "chipwatch.db"
    shutil.copy(seeded_db_template, db)
    port = free_port()
    secrets = base / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
        'client_id = "chipwatch"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{oidc}/.well-known/openid-configuration"\n'
    )
    roles = base / "roles.toml"
    roles.write_text(ROLES)
    logs = base / "logs"
    with streamlit_server(
        db,
        logs,
        port,
        extra=("--secrets.files", str(secrets)),
        env={"CHIPWATCH_ROLES": str(roles)},
    ):
        yield f"http://localhost:{port}", logs


def _sign_in(pg, base: str, email: str) -> None:
    pg.goto(base)
    pg.get_by_role("button", name=re.compile("Sign in")).click()
    pg.wait_for_selector("input[name='sub']", timeout=60_000)  # the provider's own form
    pg.fill("input[name='sub']", email)
    pg.get_by_role("button", name="Authorize").click()
    wait_for_app(pg)
    pg.get_by_text(email, exact=False).first.wait_for(timeout=60_000)


def test_editor_and_viewer_sign_in_see_their_controls_and_log_out(signed_app, browser):  # noqa: F811
    base, logs = signed_app
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    pg = context.new_page()
    pg.goto(base)
    pg.get_by_role("button", name=re.compile("Sign in")).wait_for(timeout=60_000)
    assert pg.locator("[data-testid='stMetric']").count() == 0  # nothing before sign-in

    _sign_in(pg, base, "ed@example.com")
    assert pg.get_by_text("ed@example.com · editor").count() == 1
    pg.goto(f"{base}/feeds")
    wait_for_app(pg)
    assert pg.get_by_role("button", name=re.compile("Fetch now")).count() == 1
    assert pg.get_by_label("Feed URL").count() == 1
    pg.get_by_role("button", name=re.compile("Log out")).click()
    # Streamlit ends the provider's session too: the provider asks, then sends us back.
    pg.get_by_role("button", name="End session").click(timeout=60_000)
    pg.get_by_role("button", name=re.compile("Sign in")).wait_for(timeout=60_000)
    pg.goto(f"{base}/feeds")  # the cookie is gone: no page without signing in again
    pg.get_by_role("button", name=re.compile("Sign in")).wait_for(timeout=60_000)
    assert pg.get_by_role("button", name=re.compile("Fetch now")).count() == 0

    _sign_in(pg, base, "view@example.com")
    pg.goto(f"{base}/feeds")
    wait_for_app(pg)
    pg.get_by_text("an editor adds, removes and fetches").wait_for(timeout=30_000)
    assert pg.get_by_role("button", name=re.compile("Fetch now")).count() == 0
    assert pg.get_by_label("Feed URL").count() == 0
    pg.goto(f"{base}/headlines")
    wait_for_app(pg)
    assert pg.get_by_role("button", name=re.compile("Save correction")).count() == 0
    html = pg.content()
    context.close()

    seen = html + "".join(p.read_text(errors="replace") for p in logs.iterdir())
    assert COOKIE_SECRET not in seen and CLIENT_SECRET not in seen
