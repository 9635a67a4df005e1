"""The dashboard's pure helpers: an account's state as the accounts page shows it, the settings' tag
(If-Match), and media addresses made same-origin for the video player."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.accounts import Account, AccountSettings, settings_tag
from socializer.web.accounts import health
from socializer.web.video import same_origin

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _account(status: str = "active", expires: datetime | None = None) -> Account:
    return Account(account_id="a", platform="facebook", platform_account_id="p", handle="h", status=status, token_expires_at=expires)


def test_an_account_is_connected_while_its_token_lasts_or_can_be_refreshed() -> None:
    assert health(_account(expires=NOW + timedelta(days=1)), False, None, NOW) == "connected"
    assert health(_account(expires=None), False, None, NOW) == "connected"
    ran_out = _account(expires=NOW - timedelta(minutes=1))
    assert health(ran_out, True, None, NOW) == "connected"  # the next call refreshes it
    assert health(ran_out, True, NOW + timedelta(days=30), NOW) == "connected"


def test_a_token_that_ran_out_for_good_is_expired_and_a_dead_grant_needs_reauthorisation() -> None:
    ran_out = _account(expires=NOW - timedelta(minutes=1))
    assert health(ran_out, False, None, NOW) == "expired"
    assert health(ran_out, True, NOW - timedelta(days=1), NOW) == "expired"  # its refresh token ran out too
    assert health(_account("needs_reauth", NOW + timedelta(days=1)), True, None, NOW) == "needs_reauth"
    assert health(_account("disconnected"), False, None, NOW) == "disconnected"


def test_the_settings_tag_changes_with_the_settings_and_only_with_them() -> None:
    a = AccountSettings(best_times=["09:00"], max_per_day=3)
    assert settings_tag(a) == settings_tag(AccountSettings(max_per_day=3, best_times=["09:00"]))
    assert settings_tag(a) != settings_tag(AccountSettings(best_times=["09:00"], max_per_day=4))
    assert len(settings_tag(a)) == 16 and settings_tag(a).isalnum()


def test_media_addresses_become_paths_on_this_origin() -> None:
    assert same_origin("http://127.0.0.1:8000/media/video/abc/v.mp4") == "/media/video/abc/v.mp4"
    assert same_origin("https://cdn.example/media/v.vtt?sig=1") == "/media/v.vtt?sig=1"
    assert same_origin(None) is None and same_origin("") is None
