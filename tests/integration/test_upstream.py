"""Nothing is lost silently: a field upstream sends that we do not know is accepted and said (on the
article's contents row, counted in /healthz); a post type an article has no material for is said,
with the reason, in the generate answer and in the read model."""

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


async def test_what_an_article_cannot_become_is_said_in_the_answer_and_the_read_model(system) -> None:  # type: ignore[no-untyped-def]
    await system.emit(article("skips-1", html="<p>One short paragraph, no questions asked.</p>"))

    async def recorded():  # type: ignore[no-untyped-def]
        return await system.sql("SELECT 1 FROM contents WHERE content_id = 'skips-1'")

    await eventually(recorded, what="the article in the read model")
    async with system.client() as api:
        r = await api.post("/api/v1/social/posts/generate/", json={"content_id": "skips-1", "post_types": ["faq_snippet"]})
    assert r.status_code == 202, r.text
    skipped = r.json()["skipped"]
    assert skipped and all("question-and-answer" in s["reason"] for s in skipped) and r.json()["post_ids"] == []

    async def kept():  # type: ignore[no-untyped-def]
        rows = await system.sql("SELECT platform, reason FROM post_skips WHERE content_id = 'skips-1' AND post_type = 'faq_snippet'")
        return rows if len(rows) == len(skipped) else None

    rows = await eventually(kept, what="the skips in the read model")
    assert {r["platform"] for r in rows} == {s["platform"] for s in skipped}
