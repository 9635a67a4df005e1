"""What upstream sends that we do not know is accepted and said: the article is processed, the
unknown field's name is on its contents row and counted in /healthz."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.integration.articles import article
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration


async def test_an_unknown_upstream_field_is_processed_and_reported(system) -> None:  # type: ignore[no-untyped-def]
    raw = {**article("unknown-1").model_dump(mode="json"), "images": ["https://blog.example/x.jpg"]}
    await system.emit(orjson.dumps(raw), key="unknown-1")

    async def recorded():  # type: ignore[no-untyped-def]
        rows = await system.sql("SELECT unknown_fields FROM contents WHERE content_id = 'unknown-1'")
        return orjson.loads(rows[0]["unknown_fields"]) if rows else None  # (a plain connection: jsonb as text)

    assert await eventually(recorded, what="the article in the read model") == ["images"]

    async def drafted():  # type: ignore[no-untyped-def]
        return await system.sql("SELECT 1 FROM posts WHERE content_id = 'unknown-1'")

    await eventually(drafted, what="the article's posts")  # processed all the same
    health = httpx.get(f"{system.api}/healthz", timeout=10).json()
    assert health["upstream_unknown_fields"].get("images", 0) >= 1
