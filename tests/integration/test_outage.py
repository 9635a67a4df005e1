"""An outage is waited out, not dead-lettered: a database restart while articles flow loses none of
them and sends none to a dead-letter topic; the worker and the projector carry on by themselves."""

from __future__ import annotations

import asyncio

import pytest

from schemas import topics as t
from tests.integration.articles import article
from tests.integration.conftest import eventually
from tests.integration.test_dead_letters import topic_messages

pytestmark = pytest.mark.integration
DLQS = [t.dlq(name) for name in t.CONSUMED]


async def dead_letters(broker: str) -> int:
    return sum([len(await topic_messages(broker, name)) for name in DLQS])


async def test_a_database_restart_while_articles_flow_loses_none_and_dead_letters_none(system) -> None:  # type: ignore[no-untyped-def]
    before = await dead_letters(system.infra.broker)
    ids = [f"outage-{i}" for i in range(3)]
    await system.emit(article(ids[0]))

    def emit_while_down() -> None:
        for cid in ids[1:]:
            asyncio.run(system.emit(article(cid)))

    await asyncio.to_thread(system.infra.restart_postgres, 8.0, emit_while_down)

    async def all_drafted():  # type: ignore[no-untyped-def]
        rows = await system.sql("SELECT content_id, count(*) AS n FROM posts WHERE content_id = ANY($1::text[]) GROUP BY content_id", ids)
        return {r["content_id"]: r["n"] for r in rows} if len(rows) == len(ids) and all(r["n"] == 6 for r in rows) else None

    assert await eventually(all_drafted, timeout=120, what="every article's posts after the restart")
    assert await dead_letters(system.infra.broker) == before
