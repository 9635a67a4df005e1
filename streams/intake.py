"""intake: validate what the upstream pipeline publishes and turn each article into ``GeneratePosts``.

Accepts a CloudEvents envelope of type ``socializer.content.published.v1`` or, for simple
producers, the bare ContentPublished object. Anything else is dead-lettered with the reason.
"""
from __future__ import annotations

from typing import Any

from schemas.commands import GeneratePosts
from schemas.envelope import derived_id
from schemas.events import ContentPublished
from schemas.registry import decode_upstream, registry
from streams.app import SOURCE
from streams.exceptions import Unprocessable
from streams.plumbing import each, send_all



def register(app: Any, topics: Any, deps: Any) -> None:
    @app.agent(topics.content_published, name="intake")
    async def intake(stream: Any) -> None:
        async def handle(message: Any) -> None:
            decoded = decode_upstream(message.value)
            article: ContentPublished = decoded.message  # type: ignore[assignment]
            if deps.sites.site(article.site_id) is None:
                raise Unprocessable(f"data.site_id: no site {article.site_id!r} is configured")
            cmd = GeneratePosts(article=article)
            env = registry.envelope(
                cmd, source=SOURCE, subject=article.content_id,
                id=derived_id(decoded.envelope.id, "generate"),
                correlationid=decoded.envelope.correlationid or decoded.envelope.id, causationid=decoded.envelope.id,
            )
            await send_all(topics.generate, [(article.content_id, env)], wait=False)

        await each(stream, agent="intake", dlq_topic=topics.dlq[topics.content_published.get_topic_name()], handle=handle)
