"""One typed settings object: a misspelt name or a wrong kind of value is an error, not a
silently ignored key."""

from __future__ import annotations

import pytest

from dashboard.config import DEFAULTS, SETTINGS, Settings
from dashboard.errors import SettingError


def test_defaults_help_and_partial_settings():
    assert Settings() == Settings.of(None) == Settings.of({})
    assert DEFAULTS["concurrency"] == Settings().concurrency == 32
    assert all(s.help for s in SETTINGS) and len(SETTINGS) == len(DEFAULTS)
    three = Settings.of({"concurrency": 3, "deadline": 5})
    assert (three.concurrency, three.deadline, three.per_host) == (3, 5.0, 2)
    assert Settings.of(three, parse_workers=0) == three  # Settings in, overrides applied
    assert Settings.of(three, concurrency=1).concurrency == 1


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"concurency": 3}, "unknown setting 'concurency'; did you mean concurrency?"),
        ({"xyz": 1}, "unknown setting 'xyz'"),
        ({"deadline": "30"}, "setting deadline must be a number, not '30'"),
        ({"max_bytes": 1.5}, "setting max_bytes must be a whole number, not 1.5"),
        ({"concurrency": 0}, "setting concurrency must be at least 1, not 0"),
        ({"parse_workers": True}, "setting parse_workers must be a number, not True"),
    ],
)
def test_a_bad_setting_is_named(given, message):
    with pytest.raises(SettingError) as caught:
        Settings.of(given)
    assert str(caught.value) == message


def test_every_entry_point_checks_its_settings(tmp_path):
    from dashboard.ingest import ingest
    from dashboard.ingest.fetch import FetchRequest, fetch_one
    from dashboard.ingest.parse import parse
    from dashboard.store import Store

    with pytest.raises(SettingError, match="did you mean summary_max"):
        parse(b"<rss/>", feed_url="f", settings={"sumary_max": 40})
    with pytest.raises(SettingError, match="did you mean deadline"):
        fetch_one(FetchRequest("http://127.0.0.1:9/"), settings={"deadlin": 1})
    with Store(tmp_path / "c.db") as store, pytest.raises(SettingError, match="per_host"):
        ingest(store, [], settings={"perhost": 1})
