"""Every request is authenticated, and a hostile second site can neither read nor act on the
first site's resources: 404 for what is not theirs (existence is not revealed), 403 for its site id."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.articles import article
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration


async def test_no_key_a_bad_key_or_a_missing_scope_is_refused(system) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=system.api) as anon:
        r = await anon.get("/api/v1/social/posts/")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.headers["content-type"] == "application/problem+json"
        r = await anon.get("/api/v1/social/posts/", headers={"Authorization": "Bearer sk_0000_notarealkeynotarealkeyatall"})
        assert r.status_code == 401
        assert (await anon.get("/healthz")).status_code == 200  # health and the OpenAPI document stay open
        spec = (await anon.get("/openapi.json")).json()
        assert spec["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    async with system.client("itest-read") as ro:
        assert (await ro.get("/api/v1/social/posts/")).status_code == 200
        r = await ro.post("/api/v1/social/posts/", json={"site_id": "itest", "account_id": system.accounts["it-review"], "text": "x"})
        assert r.status_code == 403 and "write" in r.json()["detail"]


async def test_a_hostile_site_gets_404_or_403_on_every_endpoint(system) -> None:  # type: ignore[no-untyped-def]
    await system.emit(article("isolated-1"))
    async with system.client() as own:

        async def published():  # type: ignore[no-untyped-def]
            r = await own.get("/api/v1/social/analytics/posts/")
            rows = [x for x in r.json()["results"] if x["post_id"] in ids]
            return rows or None

        async def drafted():  # type: ignore[no-untyped-def]
            r = await own.get("/api/v1/social/posts/", params={"content_id": "isolated-1"})
            return r.json()["results"] if r.json()["count"] == 6 else None

        posts = await eventually(drafted, what="isolated-1 posts")
        ids = {p["post_id"] for p in posts}
        await eventually(published, timeout=90, what="engagement of isolated-1")
        draft = next(p for p in posts if p["account_id"] == system.accounts["it-review"])["post_id"]
        measured = (await own.get("/api/v1/social/analytics/posts/")).json()["results"][0]["post_id"]

    P = "/api/v1/social"
    async with system.client("hostile") as evil:
        # Reads of another site's resources: 404, as if they did not exist.
        for path in (f"{P}/posts/{draft}/", f"{P}/analytics/posts/{measured}/"):
            assert (await evil.get(path)).status_code == 404, path
        # Naming the other site: 403 naming the field.
        for path in (f"{P}/posts/", f"{P}/calendar/?month=2026-11", f"{P}/analytics/", f"{P}/analytics/posts/", f"{P}/accounts/"):
            sep = "&" if "?" in path else "?"
            r = await evil.get(f"{path}{sep}site_id=itest")
            assert r.status_code == 403 and r.json()["field"] == "site_id", path
        # Its own lists never show the other site's rows.
        mine = (await evil.get(f"{P}/posts/")).json()
        assert not {p["post_id"] for p in mine["results"]} & ids
        assert (await evil.get(f"{P}/analytics/")).json()["platforms"] == []
        # Commands on another site's posts and content: 404; creating for another site: 403.
        for method, path, body in (
            ("PUT", f"{P}/posts/{draft}/", {"text": "pwned"}),
            ("POST", f"{P}/posts/{draft}/schedule/", None),
            ("POST", f"{P}/posts/{draft}/publish/", None),
            ("DELETE", f"{P}/posts/{draft}/", None),
            ("POST", f"{P}/posts/bulk-schedule/", {"post_ids": [draft]}),
            ("POST", f"{P}/posts/generate/", {"content_id": "isolated-1"}),
            ("POST", f"{P}/posts/bulk-generate/", {"content_ids": ["isolated-1"]}),
            ("GET", f"{P}/accounts/{system.accounts['it-x']}/", None),
            ("GET", f"{P}/accounts/{system.accounts['it-x']}/history/", None),
            ("PUT", f"{P}/accounts/{system.accounts['it-x']}/settings/", {"max_per_day": 1}),
            ("DELETE", f"{P}/accounts/{system.accounts['it-x']}/", None),
        ):
            r = await evil.request(method, path, json=body)
            assert r.status_code == 404, (method, path, r.status_code, r.text)
        r = await evil.post(f"{P}/posts/", json={"site_id": "itest", "account_id": system.accounts["it-review"], "text": "pwned"})
        assert r.status_code == 403 and r.json()["field"] == "site_id"
        # Its own site cannot post through the other site's account either.
        r = await evil.post(f"{P}/posts/", json={"site_id": "hostile-site", "account_id": system.accounts["it-review"], "text": "pwned"})
        assert r.status_code == 404 and r.json()["field"] == "account_id"
        assert (await evil.get(f"{P}/accounts/")).json()["count"] == 0
    async with system.client() as own:
        x = (await own.get(f"{P}/accounts/{system.accounts['it-x']}/")).json()
        assert x["status"] == "active" and x["settings"]["max_per_day"] != 1
        after = (await own.get(f"{P}/posts/{draft}/")).json()
        assert after["status"] == "draft" and after["text"] != "pwned"
