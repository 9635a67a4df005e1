"""Automations' definitions through the real roles: created as a draft, an activation refused naming
the node that is wrong, fixed with a new version (If-Match), activated, paused, deleted; a stale
version refused, another site kept out, the read model replayed identical."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from projections.automations import AUTOMATIONS
from projections.replay import replay
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration

BASE = "/api/v1/social/automations/"


def definition(text: str) -> dict[str, Any]:
    return {
        "name": "Guide by DM",
        "trigger": {"on": ["comment"], "keywords": ["guide"], "match": "word"},
        "nodes": [
            {"id": "thanks", "type": "public_reply", "text": "Sent it to you, {{name}}!", "next": "ask"},
            {"id": "ask", "type": "private_reply", "text": text},
        ],
        "start": "thanks",
    }


async def decided(send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """A command's answer once its writer decided (a first command may find the worker still joining:
    ``pending``, and the same Idempotency-Key asks again for the first answer)."""

    async def answer() -> httpx.Response | None:
        r = await send()
        return None if r.status_code == 202 and r.json().get("status") == "pending" else r

    got: httpx.Response = await eventually(answer, timeout=90, every=1, what="the automations' writer to decide")
    return got


async def test_an_automation_is_drafted_checked_fixed_activated_paused_and_deleted(system) -> None:  # type: ignore[no-untyped-def]
    async with system.client() as api:
        created = await decided(lambda: api.post(BASE, json=definition("Here is {{coupon}}"), headers={"Idempotency-Key": "auto-1"}))
        assert created.status_code == 201, created.text
        body = created.json()
        aid = body["automation_id"]
        assert (body["status"], body["version"], body["site_id"]) == ("draft", 1, "itest")
        assert body["definition"]["nodes"][1]["text"] == "Here is {{coupon}}" and created.headers["etag"] == '"1"'
        again = await api.post(BASE, json=definition("Here is {{coupon}}"), headers={"Idempotency-Key": "auto-1"})
        assert again.status_code == 201 and again.json()["automation_id"] == aid  # a retry: the first answer, nothing new

        refused = await api.post(f"{BASE}{aid}/activate/")
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["field"] == "nodes[1].text" and "node 'ask'" in problem["detail"] and "{{coupon}}" in problem["detail"]

        read = await api.get(f"{BASE}{aid}/")
        assert read.status_code == 200 and read.json()["status"] == "draft" and read.headers["etag"] == '"1"'
        fixed = await api.put(f"{BASE}{aid}/", json=definition("Here is the guide, {{name}}"), headers={"If-Match": read.headers["etag"]})
        assert fixed.status_code == 200 and fixed.json()["version"] == 2, fixed.text
        stale = await api.put(f"{BASE}{aid}/", json=definition("Again"), headers={"If-Match": '"1"'})
        assert stale.status_code == 409 and stale.json()["field"] == "If-Match" and "at version 2" in stale.json()["detail"]

        active = await api.post(f"{BASE}{aid}/activate/", headers={"If-Match": '"2"'})
        assert active.status_code == 200 and (active.json()["status"], active.json()["version"]) == ("active", 2), active.text
        shown = (await api.get(f"{BASE}{aid}/")).json()  # read your writes: the answer came once the read model had it
        assert (shown["status"], shown["version"], shown["activated_at"] is not None) == ("active", 2, True)
        assert shown["definition"]["nodes"][1]["text"] == "Here is the guide, {{name}}"
        listed = (await api.get(BASE, params={"status": "active"})).json()
        assert aid in [a["automation_id"] for a in listed["results"]]
        runs_see = await system.sql("SELECT status, version FROM automation_states WHERE automation_id = $1", aid)
        assert [(r["status"], r["version"]) for r in runs_see] == [("active", 2)]  # what the runs read (PostgresAutomations)

        broken = await api.put(f"{BASE}{aid}/", json=definition("{{link}}"))  # an active automation stays runnable
        assert broken.status_code == 422 and broken.json()["field"] == "nodes[1].text"

        async with system.client("hostile") as other:
            assert (await other.get(f"{BASE}{aid}/")).status_code == 404
            assert aid not in [a["automation_id"] for a in (await other.get(BASE)).json()["results"]]
            assert (await other.post(f"{BASE}{aid}/pause/")).status_code == 404
            assert (await other.delete(f"{BASE}{aid}/")).status_code == 404

        paused = await api.post(f"{BASE}{aid}/pause/")
        assert paused.status_code == 200 and paused.json()["status"] == "paused"
        assert (await api.post(f"{BASE}{aid}/pause/")).status_code == 409  # paused already
        deleted = await api.delete(f"{BASE}{aid}/")
        assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
        assert (await api.get(f"{BASE}{aid}/")).status_code == 404
        assert aid not in [a["automation_id"] for a in (await api.get(BASE)).json()["results"]]
        assert (await api.post(f"{BASE}{aid}/activate/")).status_code == 404

    report = await replay(system.infra.dsn, system.infra.broker, AUTOMATIONS, swap=True, require_identical=True)
    assert report.swapped and report.events >= 5 and not any(report.differences.values()), report.summary()
