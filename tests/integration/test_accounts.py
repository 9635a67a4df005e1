"""Accounts through the real flows: each provider from the API alone, the negative OAuth suite,
settings the scheduler uses, disconnection (revoke, then shred), and tokens kept fresh: one refresh
for many concurrent publishes, needs_reauth at once on a dead grant."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.integration.conftest import FAST, VAULT_KEYS, eventually

pytestmark = pytest.mark.integration
P = "/api/v1/social"


def _calls(system, key: str) -> int:  # type: ignore[no-untyped-def]
    return system.sandbox.token_calls().get(key, 0)


async def _start(c: httpx.AsyncClient, platform: str, **body) -> httpx.URL:  # type: ignore[no-untyped-def]
    r = await c.post(f"{P}/accounts/connect/{platform}/", json=body)
    assert r.status_code == 201, r.text
    return httpx.URL(r.json()["authorization_url"])


async def _consent(c: httpx.AsyncClient, url: httpx.URL, user: str, consent: str = "allow") -> httpx.URL:
    r = await c.get(url.copy_merge_params({"sandbox_user": user, "sandbox_consent": consent}))
    assert r.status_code == 302, r.text
    return httpx.URL(r.headers["location"])


async def test_each_provider_connects_an_account_from_the_api_alone(system) -> None:  # type: ignore[no-untyped-def]
    flows = [
        ("linkedin", "personal"),
        ("linkedin", "organization"),
        ("x", None),
        ("facebook", None),
        ("instagram", None),
        ("tiktok", None),
        ("youtube", None),
    ]
    ids = []
    for platform, kind in flows:
        r = await system.connect("acct", platform, "six", kind, features=["publish", "analytics"])
        assert r.status_code == 201, r.text
        [a] = r.json()["results"]
        assert a["platform"] == platform and a["status"] == "active" and a["handle"] and a["scopes"]
        assert "access_token" not in a and "tok-canary-" not in r.text
        ids.append(a["account_id"])
    async with system.client("acct") as c:
        listed = {a["account_id"]: a for a in (await c.get(f"{P}/accounts/")).json()["results"]}
        assert set(ids) <= set(listed)
        li_org = listed[ids[1]]
        assert li_org["account_type"] == "organization" and li_org["platform_account_id"].startswith("urn:li:organization:")
        assert listed[ids[4]]["account_type"] == "business"  # Instagram, found through the Facebook page
        # What each authorization URL asks for: PKCE where supported, least scopes, the exact redirect URI.
        x = await _start(c, "x")
        assert x.params["code_challenge_method"] == "S256" and len(x.params["code_challenge"]) == 43
        assert set(x.params["scope"].split()) == {"users.read", "tweet.read", "offline.access", "tweet.write", "media.write"}
        assert x.params["redirect_uri"] == f"{system.api}/api/v1/social/accounts/callback/x/"
        tt = await _start(c, "tiktok")  # publishing and insights by default; video.list finds and measures posts
        assert "client_key" in tt.params and "client_id" not in tt.params
        assert set(tt.params["scope"].split(",")) == {"user.info.basic", "user.info.stats", "video.publish", "video.upload", "video.list"}
        yt = await _start(c, "youtube", features=["publish"])
        assert yt.params["access_type"] == "offline" and "code_challenge" in yt.params
        li = await _start(c, "linkedin")
        assert "code_challenge" not in li.params
        assert set(li.params["scope"].split()) == {"openid", "profile", "w_member_social", "r_member_postAnalytics"}
        narrowed = await _start(c, "linkedin", features=["publish"])  # features narrows what is asked
        assert set(narrowed.params["scope"].split()) == {"openid", "profile", "w_member_social"}
    rows = await system.sql(
        "SELECT account_id, array_agg(field ORDER BY field) AS fields FROM vault_secrets"
        " WHERE account_id = ANY($1::text[]) GROUP BY account_id",
        ids,
    )
    fields = {r["account_id"]: r["fields"] for r in rows}
    assert fields[ids[2]] == ["access_token", "refresh_token"]  # X: offline.access gave a refresh token
    assert fields[ids[3]] == ["access_token", "user_token"]  # Facebook: a page token, and the login kept to revoke it


async def test_the_negative_oauth_suite_refuses_every_case(system) -> None:  # type: ignore[no-untyped-def]
    before = (await system.sql("SELECT count(*) AS n FROM accounts"))[0]["n"]
    cb = f"{P}/accounts/callback"
    async with system.client("acct") as c:

        async def refused(path: str, params: dict, code: str, status: int = 400) -> None:
            r = await c.get(path, params=params)
            assert r.status_code == status and r.headers["content-type"] == "application/problem+json", (code, r.text)
            assert r.json()["type"].endswith("/" + code), (code, r.json())

        back = await _consent(c, await _start(c, "x"), "neg")
        good = dict(back.params)
        # Another site's key relaying this site's callback: refused, and the state is not spent.
        async with system.client("hostile") as evil:
            r = await evil.get(f"{cb}/x/", params=good)
            assert r.status_code == 403 and r.json()["type"].endswith("/state_other_site")
        await refused(f"{cb}/x/", {"code": good["code"]}, "invalid_request", 422)  # the schema says state is required
        await refused(f"{cb}/x/", {"code": good["code"], "state": "forged-state"}, "state_unknown")
        # Mix-up: the X code and state delivered to LinkedIn's callback.
        await refused(f"{cb}/linkedin/", good, "wrong_provider")
        # ...which consumed the state: replaying it, even at the right callback, is refused.
        await refused(f"{cb}/x/", good, "state_reused")

        # Code injection: session A's code with session B's state (B's PKCE verifier) is refused by X.
        a = dict((await _consent(c, await _start(c, "x"), "neg")).params)
        b = dict((await _consent(c, await _start(c, "x"), "neg")).params)
        pkce = _calls(system, "x:authorization_code:pkce_failed")
        await refused(f"{cb}/x/", {"code": a["code"], "state": b["state"]}, "code_refused")
        assert _calls(system, "x:authorization_code:pkce_failed") == pkce + 1

        # A reused code: a fresh state cannot make a used code work again.
        c1 = dict((await _consent(c, await _start(c, "tiktok"), "neg")).params)
        c2 = dict((await _consent(c, await _start(c, "tiktok"), "neg")).params)
        assert (await c.get(f"{cb}/tiktok/", params=c1)).status_code == 201
        await refused(f"{cb}/tiktok/", {"code": c1["code"], "state": c2["state"]}, "code_refused")
        assert _calls(system, "tiktok:authorization_code:code_reused") >= 1

        # A code from one provider with the other provider's own fresh state: the provider does not know it.
        li = dict((await _consent(c, await _start(c, "linkedin"), "neg")).params)
        await refused(f"{cb}/linkedin/", {"code": b["code"], "state": li["state"]}, "code_refused")

        # Expired state.
        url = await _start(c, "facebook")
        state = url.params["state"]
        await system.sql(
            "UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE state_hash = $1",
            hashlib.sha256(state.encode()).digest(),
        )
        await refused(f"{cb}/facebook/", dict((await _consent(c, url, "neg")).params), "state_expired")

        # Denied consent.
        denied = await _consent(c, await _start(c, "linkedin"), "neg", consent="deny")
        assert denied.params["error"] == "access_denied"
        await refused(f"{cb}/linkedin/", dict(denied.params), "consent_denied", status=403)

        # The provider itself: an inexact redirect URI is never redirected to; a missing verifier is refused.
        start = await _start(c, "x")
        r = await c.get(start.copy_set_param("redirect_uri", str(start.params["redirect_uri"]) + "extra"))
        assert r.status_code == 400 and "location" not in r.headers
        code = (await _consent(c, start, "neg")).params["code"]
        r = await c.post(
            f"{system.sandbox.url}/x/2/oauth2/token",
            auth=("sandbox-x", "sandbox-x-secret"),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": start.params["redirect_uri"]},
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_request"
        # Bad input to connect: problem+json naming the field.
        r = await c.post(f"{P}/accounts/connect/myspace/")
        assert r.status_code == 422 and r.json()["field"] == "platform"
        r = await c.post(f"{P}/accounts/connect/linkedin/", json={"account_type": "page"})
        assert r.status_code == 422 and r.json()["field"] == "account_type"
    after = (await system.sql("SELECT count(*) AS n FROM accounts"))[0]["n"]
    assert after == before + 1  # only the one legitimate TikTok connection


async def test_settings_are_validated_and_used_by_the_scheduler(system) -> None:  # type: ignore[no-untyped-def]
    [acct] = (await system.connect("acct", "x", "planner")).json()["results"]
    async with system.client("acct") as c:
        path = f"{P}/accounts/{acct['account_id']}/settings/"
        r = await c.put(path, json={"best_times": ["25:00"]})
        assert r.status_code == 422 and r.json()["field"] == "best_times"
        r = await c.put(path, json={"timezone": "Mars/Olympus"})
        assert r.status_code == 422 and r.json()["field"] == "timezone"
        r = await c.put(path, json={"best_times": ["09:30"], "max_per_day": 1, "cooldown_hours": 0, "timezone": "America/New_York"})
        assert r.status_code == 200 and r.json()["settings"]["best_times"] == ["09:30"]
        r = await c.post(f"{P}/posts/?wait=true", json={"site_id": "acct", "account_id": acct["account_id"], "text": "Planned"})
        post_id = (await c.get(f"{P}/posts/", params={"status": "draft"})).json()["results"][0]["post_id"]
        assert r.status_code == 202
        r = await c.post(f"{P}/posts/{post_id}/schedule/?wait=true")
        assert r.status_code == 202, r.text

        async def slotted():  # type: ignore[no-untyped-def]
            p = (await c.get(f"{P}/posts/{post_id}/")).json()
            return p if p["status"] == "scheduled" and p["scheduled_at"] else None

        p = await eventually(slotted, what="the post's slot")
    local = datetime.fromisoformat(p["scheduled_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (9, 30)


async def test_disconnect_revokes_then_shreds(system) -> None:  # type: ignore[no-untyped-def]
    [acct] = (await system.connect("acct", "linkedin", "leaver")).json()["results"]
    aid = acct["account_id"]
    assert await system.sql("SELECT 1 FROM vault_data_keys WHERE account_id = $1", aid)
    revokes = _calls(system, "linkedin:revoke:ok")
    async with system.client("acct") as c:
        r = await c.delete(f"{P}/accounts/{aid}/")
        assert r.status_code == 200 and r.json()["revoked"] is True
        assert (await c.get(f"{P}/accounts/{aid}/")).json()["status"] == "disconnected"
        r = await c.post(f"{P}/posts/", json={"site_id": "acct", "account_id": aid, "text": "after"})
        assert r.status_code == 404
    assert _calls(system, "linkedin:revoke:ok") == revokes + 1
    assert not await system.sql("SELECT 1 FROM vault_data_keys WHERE account_id = $1", aid)
    assert not await system.sql("SELECT 1 FROM vault_secrets WHERE account_id = $1", aid)


async def _publish_many(system, account_id: str, n: int, tag: str) -> list[str]:  # type: ignore[no-untyped-def]
    async with system.client("acct") as c:

        async def one(i: int) -> str:
            r = await c.post(f"{P}/posts/?wait=true", json={"site_id": "acct", "account_id": account_id, "text": f"{tag} {i}"})
            assert r.status_code == 202, r.text
            return r.json()["events"][0]["event_id"]

        await asyncio.gather(*(one(i) for i in range(n)))
        drafts = [
            p
            for p in (await c.get(f"{P}/posts/", params={"status": "draft", "limit": 1000})).json()["results"]
            if p["account_id"] == account_id
        ]
        await asyncio.gather(*(c.post(f"{P}/posts/{p['post_id']}/publish/") for p in drafts))
        return [p["post_id"] for p in drafts]


async def test_twenty_concurrent_publishes_on_an_expired_account_refresh_once(system) -> None:  # type: ignore[no-untyped-def]
    [acct] = (await system.connect("acct", "x", "flight", settings=FAST)).json()["results"]
    httpx.post(f"{system.sandbox.url}/_sandbox/oauth/expire", json={"provider": "x", "user": "flight"}).raise_for_status()
    ok, bad = _calls(system, "x:refresh_token:ok"), _calls(system, "x:refresh_token:invalid_grant")
    ids = await _publish_many(system, acct["account_id"], 20, "Single flight")
    assert len(ids) == 20

    async def published():  # type: ignore[no-untyped-def]
        rows = await system.sql("SELECT status FROM posts WHERE post_id = ANY($1::text[])", ids)
        return rows if all(r["status"] == "published" for r in rows) and len(rows) == 20 else None

    await eventually(published, timeout=90, what="20 posts published after one refresh")
    assert _calls(system, "x:refresh_token:ok") == ok + 1
    assert _calls(system, "x:refresh_token:invalid_grant") == bad


async def test_many_workers_refreshing_at_once_make_one_call_and_keep_the_rotated_token(system) -> None:  # type: ignore[no-untyped-def]
    """Two token sources (two workers) and 20 callers on an account whose token has expired by the clock."""
    from adapters.accounts.store import AccountStore
    from adapters.accounts.tokens import TokenSource
    from adapters.postgres import create_pool
    from adapters.vault.crypto import Keyring
    from adapters.vault.store import TokenVault
    from socializer.bootstrap import oauth_clients
    from socializer.settings import Settings

    [acct] = (await system.connect("acct", "x", "stampede")).json()["results"]
    aid = acct["account_id"]
    await system.sql("UPDATE accounts SET token_expires_at = now() - interval '1 minute' WHERE account_id = $1", aid)
    oauth = oauth_clients(Settings(api_port=system.api_port, sandbox_port=system.sandbox.port))
    pool = await create_pool(system.infra.dsn, max_size=8)
    try:
        store = AccountStore(pool, TokenVault(pool, Keyring.from_setting(VAULT_KEYS)), ttl=0)
        workers = [TokenSource(store, oauth), TokenSource(store, oauth)]
        ok, bad = _calls(system, "x:refresh_token:ok"), _calls(system, "x:refresh_token:invalid_grant")
        got = await asyncio.gather(*(workers[i % 2].authorized(aid) for i in range(20)))
        assert len({a.access_token for a in got}) == 1 and got[0].access_token.startswith("tok-canary-")
        assert sum(w.refresh_calls for w in workers) == 1
        assert _calls(system, "x:refresh_token:ok") == ok + 1 and _calls(system, "x:refresh_token:invalid_grant") == bad
        # The rotated refresh token was kept: the next refresh works.
        account = await store.get(aid, fresh=True)
        assert await workers[0].refresh(aid, account.token_version, why="test")  # type: ignore[union-attr]
        assert _calls(system, "x:refresh_token:invalid_grant") == bad
        # The hourly round refreshes what expires within two hours (YouTube: 1 h tokens), not the rest.
        [yt] = (await system.connect("acct", "youtube", "rounds")).json()["results"]
        await system.sql(
            "UPDATE accounts SET token_expires_at = now() + interval '30 days' WHERE platform <> 'youtube' AND status = 'active'"
        )
        before = _calls(system, "youtube:refresh_token:ok")
        done, failed = await workers[1].refresh_due(2 * 3600)
        assert done >= 1 and failed == 0 and _calls(system, "youtube:refresh_token:ok") >= before + 1
        fresh = await store.get(yt["account_id"], fresh=True)
        assert fresh.token_expires_at > datetime.now(UTC) + timedelta(minutes=50)  # type: ignore[union-attr,operator]
        # A refresh token past its own end (LinkedIn's 365 days) makes the account needs_reauth in the round.
        [li] = (await system.connect("acct", "linkedin", "yearold")).json()["results"]
        await system.sql("UPDATE accounts SET refresh_expires_at = now() - interval '1 day' WHERE account_id = $1", li["account_id"])
        await workers[0].refresh_due(2 * 3600)
        old = await store.get(li["account_id"], fresh=True)
        assert old.status == "needs_reauth" and "refresh token expired" in (old.status_reason or "")  # type: ignore[union-attr]
    finally:
        await pool.close()


async def test_a_dead_grant_makes_the_account_needs_reauth_and_stops_publishing(system) -> None:  # type: ignore[no-untyped-def]
    [acct] = (await system.connect("acct", "x", "doomed", settings=FAST)).json()["results"]
    aid = acct["account_id"]
    httpx.post(f"{system.sandbox.url}/_sandbox/oauth/revoke", json={"provider": "x", "user": "doomed"}).raise_for_status()
    bad = _calls(system, "x:refresh_token:invalid_grant")
    [first] = await _publish_many(system, aid, 1, "Doomed")

    async def failed():  # type: ignore[no-untyped-def]
        rows = await system.sql("SELECT status, error FROM posts WHERE post_id = $1", first)
        return rows[0] if rows and rows[0]["status"] == "failed" else None

    row = await eventually(failed, timeout=60, what="the post to fail with the reason")
    assert "needs_reauth" in (row["error"] or "")
    async with system.client("acct") as c:
        a = (await c.get(f"{P}/accounts/{aid}/")).json()
        assert a["status"] == "needs_reauth" and "refused" in a["status_reason"]
    assert _calls(system, "x:refresh_token:invalid_grant") == bad + 1
    # No further call uses the dead token: the next post fails at once, with no token call at all.
    calls = sum(system.sandbox.token_calls().values())
    [second] = await _publish_many(system, aid, 1, "Doomed again")
    first = second
    await eventually(failed, timeout=60, what="the second post to fail")
    assert sum(system.sandbox.token_calls().values()) == calls
    # Reconnecting brings the account back, and offers to send again what failed meanwhile.
    back = (await system.connect("acct", "x", "doomed")).json()
    [again] = back["results"]
    assert again["account_id"] == aid and again["status"] == "active"
    [offer] = back["requeue"]
    assert offer["account_id"] == aid and len(offer["post_ids"]) == 2 and offer["url"].endswith(f"/accounts/{aid}/requeue/")
    async with system.client("acct") as c:
        r = await c.post(f"{P}/accounts/{aid}/requeue/")
        assert r.status_code == 200 and sorted(r.json()["post_ids"]) == sorted(offer["post_ids"]), r.text

    async def republished():  # type: ignore[no-untyped-def]
        rows = await system.sql("SELECT status FROM posts WHERE post_id = ANY($1::text[])", offer["post_ids"])
        return rows if all(r["status"] == "published" for r in rows) else None

    await eventually(republished, timeout=90, what="the re-queued posts to be published")
    on_x = [p["text"] for p in system.sandbox.posts("x") if p["text"].startswith("Doomed")]
    assert sorted(on_x) == ["Doomed 0", "Doomed again 0"]  # each once: the failed attempts never reached the platform
    async with system.client("acct") as c:
        assert (await c.post(f"{P}/accounts/{aid}/requeue/")).json()["post_ids"] == []  # nothing failed is left

    async def history():  # type: ignore[no-untyped-def]
        async with system.client("acct") as c:
            types = [h["type"].split(".")[2] for h in (await c.get(f"{P}/accounts/{aid}/history/")).json()["results"]]
        return types if len(types) >= 3 else None

    assert await eventually(history, what="the account's history") == ["connected", "needs_reauth", "connected"]
