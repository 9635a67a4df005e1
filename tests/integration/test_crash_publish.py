"""A worker killed mid-publish and restarted leaves every post published exactly once on the platform.

The sandbox accepts each X post and then hangs; the worker is killed with SIGKILL while it waits for
the answer. The restarted worker must find the posts by looking them up, not post them again.
"""

from __future__ import annotations

import time

import pytest

from tests.integration.articles import article
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration


async def test_killed_worker_never_double_posts(system) -> None:  # type: ignore[no-untyped-def]
    system.sandbox.fault("x", "hang_after_accept", times=3, hang_seconds=60)
    try:
        await system.emit(article("crash-1", site_id="crash", title="Crash-safe publishing, exactly once"))

        async def accepted():  # type: ignore[no-untyped-def]
            return [p for p in system.sandbox.posts("x") if "Crash-safe" in p["text"]] or None

        await eventually(accepted, timeout=60, every=0.1, what="the sandbox to accept the first post")
        system.kill("worker")  # mid-publish: the platform has the post, the worker has no answer
        time.sleep(1)
        system.start("worker")

        async def all_published():  # type: ignore[no-untyped-def]
            rows = await system.sql("SELECT post_id, status, platform_post_id FROM posts WHERE content_id = 'crash-1'")
            return rows if len(rows) == 3 and all(r["status"] == "published" for r in rows) else None

        rows = await eventually(all_published, timeout=150, every=1, what="all three crash posts to be published")
    finally:
        system.sandbox.fault("x", "none")

    on_platform = [p for p in system.sandbox.posts("x") if "Crash-safe" in p["text"]]
    assert len(on_platform) == 3, on_platform  # one per account, none twice
    assert {p["id"] for p in on_platform} == {r["platform_post_id"] for r in rows}
    attempts = await system.sql(
        "SELECT state, payload->>'_reconciled' AS reconciled FROM publish_attempts WHERE post_id = ANY($1::text[])",
        [r["post_id"] for r in rows],
    )
    assert all(a["state"] == "published" for a in attempts)
    assert any(a["reconciled"] == "true" for a in attempts)  # at least one was found by lookup, not re-posted
