"""The usage ledger through the real roles: an article's posts and video charge the site's credits
once each (a redelivered render job charges nothing more), a replay of ``social.usage`` rebuilds
identical balances, and a site at zero credits gets a 402 before any work starts, and its next
article is skipped with the reason."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from projections.read_models import ALL
from projections.replay import replay
from schemas import topics as t
from schemas.registry import registry
from socializer.cli import main
from tests.integration.articles import article
from tests.integration.conftest import eventually
from tests.integration.test_dead_letters import topic_messages

pytestmark = pytest.mark.integration
SITE = "usage"
ZERO = r"0(\.0+)?"  # a decimal zero, as the ledger's arithmetic writes it


async def usage(system: Any, **params: str) -> dict[str, Any]:
    async with system.client(SITE) as c:
        r = await c.get("/api/v1/usage/", params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def events_of(system: Any, topic: str, subject: str) -> list[Any]:
    return [registry.decode(m.value) for m in await topic_messages(system.infra.broker, topic) if m.key == subject.encode()]


async def test_an_article_charges_its_posts_and_its_video_once_even_when_the_render_job_is_redelivered(system) -> None:  # type: ignore[no-untyped-def]
    await system.emit(article("usage-1", site_id=SITE, title="What a credit buys"))

    async def rendered():  # type: ignore[no-untyped-def]
        rows = await system.sql("SELECT project_id FROM video_projects WHERE content_id = 'usage-1' AND status = 'ready'")
        return rows[0]["project_id"] if rows else None

    pid = await eventually(rendered, timeout=300, every=2, what="the usage site's video to be rendered")

    async def charged():  # type: ignore[no-untyped-def]
        rows = await system.sql("SELECT count(*) AS n FROM usage_reservations WHERE site_id = $1 AND open", SITE)
        done = await system.sql("SELECT count(*) AS n FROM usage_ledger WHERE site_id = $1 AND operation = 'render'", SITE)
        return rows[0]["n"] == 0 and done[0]["n"] == 1

    await eventually(charged, timeout=60, what="the render's charge committed")
    before = await usage(system)
    ops = {o["operation"]: o for o in before["by_operation"]}
    assert {"adaptation", "hashtags", "video_script", "voice_minutes", "render"} <= set(ops), before
    assert ops["render"]["charges"] == 1 and Decimal(ops["render"]["credits"]) == 5
    assert Decimal(before["balance"]) == Decimal(1_000_000) - Decimal(before["charged"]) and before["reserved"] == "0"

    # Each post and the project say what they cost and which model worked.
    async with system.client(SITE) as c:
        posts = (await c.get("/api/v1/social/posts/", params={"content_id": "usage-1"})).json()["results"]
        project = (await c.get(f"/api/v1/video/projects/{pid}/")).json()
    assert posts and all(Decimal(p["credits_used"]) >= Decimal("1.5") and p["model"] == "rules" for p in posts), posts
    assert Decimal(project["credits_used"]) >= 5 + 10 + 5 and "ffmpeg" in project["model"], project

    # The render job, delivered again as it was: the work is found done, and nothing is charged twice.
    [job] = [m for m in await topic_messages(system.infra.broker, t.VIDEO_RENDER) if m.key == pid.encode()]
    job_id = registry.decode(job.value).envelope.id
    producer = AIOKafkaProducer(bootstrap_servers=system.infra.broker, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(t.VIDEO_RENDER, job.value, key=job.key, headers=list(job.headers))
    finally:
        await producer.stop()

    async def rendered_twice():  # type: ignore[no-untyped-def]
        done = [d for d in await events_of(system, t.VIDEO_PROJECTS, pid) if d.envelope.type.endswith("video.rendered.v1")]
        return len(done) == 2  # the same event (the same id) said again: the job was read and carried out again

    await eventually(rendered_twice, timeout=120, every=2, what="the redelivered render job to be carried out")
    charges = [d for d in await events_of(system, t.USAGE, SITE) if getattr(d.message, "charge_id", None) == job_id]
    assert [type(d.message).__name__ for d in charges] == ["CreditsReserved", "CreditsCommitted"]
    after = await usage(system)
    assert after["balance"] == before["balance"] and after["by_operation"] == before["by_operation"]

    # A period before the first charge holds none of it.
    empty = await usage(system, **{"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"})
    assert empty["by_operation"] == [] and empty["charged"] == "0" and empty["balance"] == after["balance"]


async def test_a_replayed_log_rebuilds_identical_balances(system) -> None:  # type: ignore[no-untyped-def]
    before = await usage(system)
    balances = await system.sql("SELECT site_id, sum(credits) AS balance FROM usage_ledger GROUP BY site_id ORDER BY site_id")
    report = await replay(system.infra.dsn, system.infra.broker, ALL["usage"], swap=True, require_identical=True)
    assert report.swapped and report.events > 0 and not any(report.differences.values()), report.summary()
    again = await system.sql("SELECT site_id, sum(credits) AS balance FROM usage_ledger GROUP BY site_id ORDER BY site_id")
    assert again == balances and await usage(system) == before


async def test_a_site_at_zero_credits_gets_a_402_and_no_work_starts(system, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SOCIALIZER_BROKER", system.infra.broker)
    monkeypatch.setenv("SOCIALIZER_DATABASE_URL", system.infra.dsn)
    monkeypatch.setenv("SOCIALIZER_CREDIT_OPENING_GRANT", "1000000")
    balance = Decimal((await usage(system))["balance"])
    await asyncio.to_thread(main, ["credits", "grant", SITE, str(-balance), "--reason", "test_usage: down to zero"])
    assert re.search(rf"balance {ZERO}, available {ZERO}$", capsys.readouterr().out.strip())

    async def zero():  # type: ignore[no-untyped-def]
        return Decimal((await usage(system))["available"]) == 0

    await eventually(zero, timeout=30, what="the read model at zero credits")
    await asyncio.to_thread(main, ["credits", "show", SITE])
    assert re.search(rf"available {ZERO}\b", capsys.readouterr().out)

    generated = await system.sql("SELECT count(*) AS n FROM posts WHERE site_id = $1", SITE)
    commands = len(await topic_messages(system.infra.broker, t.POSTS_GENERATE))
    async with system.client(SITE) as c:
        r = await c.post("/api/v1/social/posts/generate/", json={"content_id": "usage-1"})
        assert r.status_code == 402 and r.headers["content-type"] == "application/problem+json", r.text
        assert re.search(rf"has {ZERO} credits available", r.json()["detail"])
        v = await c.post("/api/v1/video/projects/", json={"content_id": "usage-1"})
        assert v.status_code == 402, v.text
        projects = (await c.get("/api/v1/video/projects/")).json()["total"]
    assert len(await topic_messages(system.infra.broker, t.POSTS_GENERATE)) == commands  # no command was sent
    assert (await system.sql("SELECT count(*) AS n FROM posts WHERE site_id = $1", SITE)) == generated
    assert projects == 1  # the first article's only

    # An article published meanwhile is skipped, with the reason; no post, no project.
    await system.emit(article("usage-2", site_id=SITE))

    async def skipped():  # type: ignore[no-untyped-def]
        return await system.sql("SELECT reason FROM content_skips WHERE content_id = 'usage-2'")

    [row] = await eventually(skipped, timeout=60, what="usage-2 skipped for want of credits")
    assert re.search(rf"has {ZERO} credits available", row["reason"]), row["reason"]

    async def refused():  # type: ignore[no-untyped-def]
        return [d.message for d in await events_of(system, t.USAGE, SITE) if type(d.message).__name__ == "CreditsRefused"]

    await eventually(lambda: _two(refused), timeout=60, what="the posts' and the video script's reservations refused")
    assert not await system.sql("SELECT 1 FROM posts WHERE content_id = 'usage-2'")
    assert not await system.sql("SELECT 1 FROM video_projects WHERE content_id = 'usage-2'")

    # Granted again, the site works again.
    await asyncio.to_thread(main, ["credits", "grant", SITE, "100"])
    assert re.search(r"balance 100(\.0+)?, available 100(\.0+)?$", capsys.readouterr().out.strip())


async def _two(refused: Any) -> bool:
    return len(await refused()) == 2
