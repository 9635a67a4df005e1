"""intake: validate what the upstream pipeline publishes and turn each article into ``GeneratePosts``.

Accepts a CloudEvents envelope of type ``socializer.content.published.v1`` or, for simple
producers, the bare ContentPublished object. Anything else is dead-lettered with the reason. An
article of a site with social posting off becomes ``ContentSkipped`` with the reason.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.kafka import Producer, send_all
from adapters.sites import SiteDirectory
from domain.post.reading import MAX_HTML_CHARS
from schemas import topics as t
from schemas.commands import GeneratePosts
from schemas.envelope import Envelope, derived_id
from schemas.events import ContentPublished, ContentSkipped
from schemas.registry import decode_upstream, registry, unknown_fields
from streams.exceptions import Unprocessable
from streams.plumbing import Agent

SOURCE = "socializer/intake"
log = logging.getLogger("socializer.intake")
# Upstream messages past this size are refused (dead-lettered by reference, with the reason).
MAX_MESSAGE_BYTES = 1 << 20


async def handle(value: bytes | None, sites: SiteDirectory, out: Producer, *, strict: bool = False) -> list[str]:
    """Returns the names of the fields the event carried that ContentPublished does not know."""
    if value is not None and len(value) > MAX_MESSAGE_BYTES:
        raise Unprocessable(f"message: {len(value):,} bytes; content.published takes up to {MAX_MESSAGE_BYTES:,}")
    decoded = decode_upstream(value)
    article: ContentPublished = decoded.message  # type: ignore[assignment]
    unknown = unknown_fields(decoded)
    if unknown and strict:
        raise Unprocessable(f"data: unknown fields {', '.join(unknown)} (strict: SOCIALIZER_STRICT_UPSTREAM)")
    if unknown:  # accepted; said in the log, and in the contents read model and /healthz
        log.warning("content %s: unknown fields ignored: %s", article.content_id, ", ".join(unknown))
    site = await sites.site(article.site_id)
    if site is None:
        raise Unprocessable(f"data.site_id: no site {article.site_id!r} is configured")
    if not site.social_enabled:  # the site's choice, not a fault: recorded with the reason, not dead-lettered
        await skip(out, article.content_id, site.site_id, decoded.envelope)
        return unknown
    if len(article.html) > MAX_HTML_CHARS:  # what reading would not look at anyway, kept off the next topic
        article = article.model_copy(update={"html": article.html[:MAX_HTML_CHARS]})
    env = registry.envelope(
        GeneratePosts(article=article),
        source=SOURCE,
        subject=article.content_id,
        id=derived_id(decoded.envelope.id, "generate"),
        correlationid=decoded.envelope.correlationid or decoded.envelope.id,
        causationid=decoded.envelope.id,
    )
    await send_all(out, t.POSTS_GENERATE, [(article.content_id, env)], wait=False)
    return unknown


async def skip(out: Producer, content_id: str, site_id: str, cause: Envelope, *, reason: str = "") -> None:
    reason = reason or f"site {site_id} has social posting off (social_enabled: false)"
    ev = ContentSkipped(content_id=content_id, site_id=site_id, reason=reason)
    env = registry.envelope(
        ev,
        source=SOURCE,
        subject=content_id,
        id=derived_id(cause.id, "skipped"),
        correlationid=cause.correlationid or cause.id,
        causationid=cause.id,
    )
    await send_all(out, t.POSTS, [(content_id, env)], wait=False)


def register(agent: Agent) -> None:
    async def one(message: Any) -> None:
        await handle(message.value, agent.deps.sites, agent.producer, strict=agent.deps.settings.strict_upstream)

    agent.consume(t.CONTENT_PUBLISHED, "intake", one)
