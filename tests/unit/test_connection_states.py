"""The connection flow's state rules through the state store's fake: one-time, short-lived, bound
to its site and its provider — all decided before any call to the provider."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.accounts.states import MemoryStates
from commands.exceptions import ConnectionRefused
from socializer.http.connections import Connections


class NoProvider:
    """An OAuth client that is never reached: every refusal here happens first."""

    redirect_uri = "http://api.example/api/v1/social/accounts/callback/x/"

    def authorization_url(self, state: str, scopes: list[str], verifier: str | None) -> str:
        return f"https://x.example/authorize?state={state}"

    async def exchange(self, *_: object) -> None:
        raise AssertionError("the provider must not be called")


async def started(conn: Connections, site: str = "s1") -> str:
    url, _, _ = await conn.start(site_id=site, key_id="k1", platform="x")
    return parse_qs(urlsplit(url).query)["state"][0]


@pytest.mark.parametrize("case", ["state_missing", "state_unknown", "state_reused", "state_other_site", "wrong_provider"])
async def test_a_callback_is_refused_before_the_provider_is_called(case: str) -> None:
    client = NoProvider()
    conn = Connections(MemoryStates(), store=None, oauth={"x": client, "tiktok": client}, state_ttl_seconds=600)  # type: ignore[arg-type, dict-item]
    state = await started(conn)
    params, platform, site = {"state": state, "code": "c"}, "x", None
    if case == "state_missing":
        params = {"code": "c"}
    elif case == "state_unknown":
        params["state"] = "forged"
    elif case == "state_reused":
        with pytest.raises(ConnectionRefused):  # consumed by this first callback (which then has no error nor account)
            await conn.finish("x", {"state": state, "error": "access_denied"})
    elif case == "state_other_site":
        site = "s2"
    else:
        platform = "tiktok"
    with pytest.raises(ConnectionRefused) as err:
        await conn.finish(platform, params, caller_site=site)
    assert err.value.code == case
