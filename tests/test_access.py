"""Sign-in and roles: the roles file, the role rule, what each role sees (AppTest with a
signed-in st.user), that every write checks the role on the server side, and that serving
beyond localhost without sign-in is refused."""

from __future__ import annotations

import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import access, serve
from dashboard.errors import AccessError, Forbidden
from dashboard.store import Store
from dashboard.tagging.tagger import Tagger
from dashboard.tagging.taxonomy import load_taxonomy
from dashboard.ui import actions
from tests.test_app import APP, PAGES, TIMEOUT, texts

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "s3cret-cookie",
    "client_id": "chipwatch",
    "client_secret": "s3cret-client",
    "server_metadata_url": "http://localhost:1/.well-known/openid-configuration",
}
ROLES = """[roles]
"ed@example.com" = "editor"
"@example.com" = "analyst"
"view@example.com" = "viewer"
"""


def test_roles_file_address_beats_domain_beats_everyone(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text(ROLES + '"*" = "viewer"\n')
    roles = access.load_roles(path)
    assert roles.role_for("ED@example.com") == "editor"
    assert roles.role_for("ann@example.com") == "analyst"
    assert roles.role_for("view@example.com") == "viewer"
    assert roles.role_for("someone@else.org") == "viewer"
    assert roles.role_for("") is None
    assert access.load_roles(tmp_path / "missing.toml").role_for("x@y.z") == "viewer"
    assert access.Roles({"@example.com": "editor"}).role_for("x@other.org") is None


@pytest.mark.parametrize(
    "text, message",
    [
        ('[roles]\n"a@b.c" = "admin"\n', "unknown role 'admin'"),
        ("[roles\n", "not valid TOML"),
        ('[roles]\n"alice" = "viewer"\n', "not an address"),
        ('roles = "editor"\n', r"needs a \[roles\] table"),
    ],
)
def test_a_bad_roles_file_is_refused_in_one_line(tmp_path, text, message):
    path = tmp_path / "roles.toml"
    path.write_text(text)
    with pytest.raises(AccessError, match=message) as err:
        access.load_roles(path)
    assert "\n" not in str(err.value)


def test_roles_grow_and_require_names_who_and_what():
    viewer, analyst = access.User("v@x.org", "viewer"), access.User("a@x.org", "analyst")
    assert viewer.can("read") and not viewer.can("feedback") and not viewer.can("feeds")
    assert analyst.can("feedback") and not analyst.can("feeds")
    assert access.LOCAL.can("feeds")
    assert not access.User("n@x.org", None).can("read")
    with pytest.raises(Forbidden, match=r"v@x.org \(viewer\) may not change the feeds"):
        access.require(viewer, "feeds")


def test_every_write_checks_the_role_on_the_server(seeded_db):
    viewer = access.User("v@x.org", "viewer")
    tagger = Tagger(load_taxonomy())
    with sqlite3.connect(seeded_db) as c:
        hid = c.execute("SELECT id FROM headlines WHERE themes != '' LIMIT 1").fetchone()[0]
        feeds = c.execute("SELECT count(*) FROM feeds").fetchone()[0]
    db = str(seeded_db)
    for call in (
        lambda: actions.add_feed(db, "https://example.com/feed.xml", user=viewer),
        lambda: actions.remove_feeds(db, ["https://example.com/feed.xml"], user=viewer),
        lambda: actions.import_opml(db, "data/feeds.opml", user=viewer),
        lambda: actions.start_fetch(db, ["https://example.com/feed.xml"], user=viewer),
        lambda: actions.give_feedback(
            db, tagger, "relevance", "", "not_relevant", user=viewer, headline=hid
        ),
        lambda: actions.retract_feedback(db, tagger, 1, user=viewer),
    ):
        with pytest.raises(Forbidden):
            call()
    with Store(seeded_db, readonly=True) as store:
        assert len(store.feeds()) == feeds
        assert store.feedback_acts() == []
    analyst = access.User("a@x.org", "analyst")
    done = actions.give_feedback(
        db, tagger, "relevance", "", "not_relevant", user=analyst, headline=hid
    )
    assert done.feedback_id and done.changed == 1


def _signed_in(
    db, monkeypatch, tmp_path, email: str | None, page: str = "overview", claims=None, **params
):
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES)
    monkeypatch.setenv("CHIPWATCH_DB", str(db))
    monkeypatch.setenv("CHIPWATCH_ROLES", str(roles))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.user = (
        {"is_logged_in": True, "email": email, **(claims or {})}
        if email
        else {"is_logged_in": False}
    )
    at.query_params.update(params)
    at.run()
    if page != "overview" and email:
        at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_nobody_signed_in_sees_only_the_sign_in_button(seeded_db, monkeypatch, tmp_path):
    at = _signed_in(seeded_db, monkeypatch, tmp_path, None)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.metric
    shown = texts(at)
    assert AUTH["cookie_secret"] not in shown and AUTH["client_secret"] not in shown


def test_a_signed_in_stranger_is_refused(seeded_db, monkeypatch, tmp_path):
    at = _signed_in(seeded_db, monkeypatch, tmp_path, "who@else.org")
    assert any("no role" in e.value for e in at.error)
    assert not at.dataframe and [b.label for b in at.button] == ["Log out"]


def test_an_unverified_address_gets_no_role(seeded_db, monkeypatch, tmp_path):
    at = _signed_in(
        seeded_db, monkeypatch, tmp_path, "ed@example.com", claims={"email_verified": False}
    )
    assert any("no role" in e.value for e in at.error) and not at.dataframe


def test_a_viewer_sees_no_write_controls(seeded_db, monkeypatch, tmp_path):
    at = _signed_in(seeded_db, monkeypatch, tmp_path, "view@example.com", "feeds")
    assert "view@example.com · viewer" in texts(at)
    labels = [b.label for b in at.button]
    assert "Fetch now" not in labels and "Remove" not in labels and not at.text_input
    assert any("an editor adds" in i.value for i in at.info)
    at = _signed_in(seeded_db, monkeypatch, tmp_path, "view@example.com", "headlines")
    assert "Save correction" not in [b.label for b in at.button]


def test_an_analyst_corrects_a_story_and_every_page_follows(seeded_db, monkeypatch, tmp_path):
    at = _signed_in(seeded_db, monkeypatch, tmp_path, "ann@example.com", "headlines")
    assert "Save correction" in [b.label for b in at.button]
    assert "Fetch now" not in [b.label for b in at.button]
    at.selectbox(key="st_fix_what").set_value("not_relevant").run()
    at.button(key="st_fix_save").click().run()
    assert not at.exception
    assert any("Saved:" in s.value for s in at.success)
    with Store(seeded_db, readonly=True) as store:
        acts = store.feedback_acts()
    assert len(acts) == 1 and acts[0]["author"] == "ann@example.com"
    assert any("not relevant" in m.value for m in at.markdown)  # listed under the story


def test_local_mode_says_so_on_every_page(seeded_db, monkeypatch):
    from tests.test_app import open_app

    for page in ("overview", "feeds"):
        at = open_app(seeded_db, monkeypatch, page)
        assert "Local mode" in texts(at)


def test_serving_beyond_localhost_without_sign_in_needs_the_flag(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("STREAMLIT_SERVER_ADDRESS", raising=False)
    assert serve.check_binding(["--server.port", "1"]) == ["--server.port", "1"]
    with pytest.raises(SystemExit, match="refusing to serve on 0.0.0.0 without sign-in"):
        serve.check_binding(["--server.address", "0.0.0.0"])
    args = serve.check_binding(["--server.address=0.0.0.0", serve.REMOTE_FLAG])
    assert args == ["--server.address=0.0.0.0"]
    assert "WARNING: serving on 0.0.0.0 without sign-in" in capsys.readouterr().err
    # with [auth] configured it serves, and a broken roles file is refused in one line
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n" + "".join(f'{k} = "{v}"\n' for k, v in AUTH.items())
    )
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles]\n"a@b.c" = "boss"\n')
    monkeypatch.setenv("CHIPWATCH_ROLES", str(roles))
    with pytest.raises(SystemExit, match="unknown role 'boss'") as err:
        serve.check_binding(["--server.address", "0.0.0.0"])
    assert AUTH["client_secret"] not in str(err.value)
    roles.write_text(ROLES)
    assert serve.check_binding(["--server.address", "0.0.0.0"]) == [
        "--server.address",
        "0.0.0.0",
    ]


def test_taxonomy_page_lists_the_terms_behind_corrected_tags(seeded_db, monkeypatch):
    from dashboard import feedback
    from tests.test_app import open_app

    tagger = Tagger(load_taxonomy())
    with sqlite3.connect(seeded_db) as c:
        hid, title = c.execute(
            "SELECT id, title FROM headlines WHERE themes LIKE '%geopolitics%' LIMIT 1"
        ).fetchone()
    with Store(seeded_db) as store:
        feedback.give(
            store, tagger, "theme", "geopolitics", "remove", author="a@x.org", headline=hid
        )
    at = open_app(seeded_db, monkeypatch, "taxonomy")
    table = next(d.value for d in at.dataframe if "Correction" in d.value.columns)
    terms = {e.term for e in tagger.tag(title, "").evidence["geopolitics"]}
    assert set(table["Term"]) <= terms and len(table) == len(terms)
    assert set(table["Correction"]) == {"theme geopolitics removed"}
    assert set(table["Example"]) == {title}
