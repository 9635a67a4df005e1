"""Each provider's OAuth client against the sandbox's authorization server over real HTTP: the
authorization URL, the code exchange, the accounts a grant yields, refresh (rotating or not) and
revocation, plus the pure rules of the connection flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.exceptions import InvalidGrant
from adapters.oauth import OAuthClient
from commands.accounts import PendingState, check_callback, plan_connection
from commands.exceptions import CommandRefused, ConnectionRefused
from domain.platforms import profile
from socializer.bootstrap import oauth_clients, sandbox_apps
from socializer.settings import Settings
from tests.conftest import ServedSandbox

FLOWS = [
    ("linkedin", "personal"),
    ("linkedin", "organization"),
    ("x", "personal"),
    ("facebook", "page"),
    ("instagram", "business"),
    ("tiktok", "personal"),
    ("youtube", "channel"),
]


@pytest.fixture(scope="module")
def clients():  # type: ignore[no-untyped-def]
    s = ServedSandbox().start()
    settings = Settings(sandbox_port=s.port, api_port=1)
    cs = oauth_clients(settings)
    s.register(sandbox_apps(settings))
    yield s, cs
    s.stop()


async def _code(client: OAuthClient, account_type: str, verifier: str) -> str:
    url = client.authorization_url("st", profile(client.provider.name).scope_list(account_type, ("publish", "analytics")), verifier)
    async with httpx.AsyncClient() as h:
        r = await h.get(url + "&sandbox_user=contract")
    assert r.status_code == 302, r.text
    return httpx.URL(r.headers["location"]).params["code"]


@pytest.mark.parametrize("platform,account_type", FLOWS)
async def test_code_exchange_accounts_refresh_and_revoke(platform: str, account_type: str, clients) -> None:  # type: ignore[no-untyped-def]
    sandbox, cs = clients
    client = cs[platform]
    verifier = "v" * 64
    tokens = await client.exchange(await _code(client, account_type, verifier), verifier)
    assert tokens.access_token.reveal().startswith("tok-canary-") and "tok-canary" not in repr(tokens)
    found = await client.discover(tokens, account_type)
    assert len(found) == 1 and found[0].account_type == account_type and found[0].handle
    if client.provider.refreshable:
        assert tokens.refresh_token is not None and tokens.expires_at is not None
        fresh = await client.refresh(tokens.refresh_token)
        assert fresh.access_token != tokens.access_token and fresh.refresh_token is not None
        rotates = platform in ("x", "tiktok")
        assert (fresh.refresh_token != tokens.refresh_token) == rotates
        if rotates:  # the old refresh token is dead: only the newest may be kept
            with pytest.raises(InvalidGrant):
                await client.refresh(tokens.refresh_token)
        await client.revoke(fresh.refresh_token)
        with pytest.raises(InvalidGrant):
            await client.refresh(fresh.refresh_token)
    else:  # Meta: a long-lived user token (~60 days), page tokens that do not expire
        assert tokens.refresh_token is None and tokens.expires_at > datetime.now(UTC) + timedelta(days=50)  # type: ignore[operator]
        assert found[0].tokens.expires_at is None and found[0].user_token is not None
        await client.revoke(found[0].user_token)


async def test_a_code_is_single_use_and_bound_to_its_verifier(clients) -> None:  # type: ignore[no-untyped-def]
    _, cs = clients
    x = cs["x"]
    code = await _code(x, "personal", "a" * 64)
    with pytest.raises(InvalidGrant):
        await x.exchange(code, "b" * 64)  # wrong verifier: and the code is spent
    with pytest.raises(InvalidGrant):
        await x.exchange(code, "a" * 64)


def test_least_scopes_per_feature_and_refusals_name_the_field() -> None:
    assert plan_connection("x", None, ["publish"]).scopes == ["users.read", "tweet.read", "offline.access", "tweet.write", "media.write"]
    assert "video.list" in plan_connection("tiktok", None, ["analytics"]).scopes
    assert "video.publish" not in plan_connection("tiktok", None, ["analytics"]).scopes
    # Publishing an organization's posts also finds them after an unknown outcome: r_organization_social.
    assert plan_connection("linkedin", "organization", ["publish"]).scopes == [
        "r_organization_admin",
        "w_organization_social",
        "r_organization_social",
    ]
    # Without features: publishing and insights both.
    assert "video.list" in plan_connection("tiktok", None, None).scopes and "video.publish" in plan_connection("tiktok", None, None).scopes
    assert "r_member_postAnalytics" in plan_connection("linkedin", None, None).scopes
    assert plan_connection("youtube", None, None).pkce and not plan_connection("linkedin", None, None).pkce
    for platform, kind, features, field in (
        ("myspace", None, None, "platform"),
        ("x", "page", None, "account_type"),
        ("x", None, ["spy"], "features"),
    ):
        with pytest.raises(CommandRefused) as err:
            plan_connection(platform, kind, features)
        assert err.value.field == field


def test_a_callback_state_is_known_fresh_unused_and_of_this_provider() -> None:
    now = datetime.now(UTC)
    live = PendingState("x", "site", now + timedelta(minutes=5), used=True)
    check_callback(live, platform="x", now=now, consumed=True)
    cases = [
        (None, "x", True, "state_unknown"),
        (live, "x", False, "state_reused"),
        (PendingState("x", "site", now - timedelta(seconds=1), True), "x", True, "state_expired"),
        (live, "linkedin", True, "wrong_provider"),
    ]
    for state, platform, consumed, code in cases:
        with pytest.raises(ConnectionRefused) as err:
            check_callback(state, platform=platform, now=now, consumed=consumed)
        assert err.value.code == code and err.value.field == "state"
