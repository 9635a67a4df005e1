"""adapt: turn a ``GeneratePosts`` command into one ``PostDrafted`` per account and post type."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from adapters.writer.reading import read_article
from commands.generation import generate_posts, generate_posts_async
from schemas.commands import GeneratePosts
from schemas.envelope import derived_id
from schemas.events import PostDrafted
from schemas.exceptions import InvalidEvent
from schemas.events import PLATFORMS
from schemas.registry import registry
from streams.app import SOURCE
from streams.exceptions import Unprocessable
from streams.plumbing import each, send_all


log = logging.getLogger("socializer.adapt")


async def with_media(media: Any, draft: PostDrafted) -> PostDrafted:
    """Render the draft's media plan (in the process pool) and point the post at the stored images.
    A source image that cannot be fetched leaves its original URL: the post is still publishable."""
    if not draft.media_plan:
        return draft
    try:
        urls = await media.materialize(draft.media_plan, draft.platform)
    except Exception as err:  # one bad image must not cost the post
        log.warning("post %s: media not rendered (%s)", draft.post_id, err)
        return draft
    return draft.model_copy(update={"media_urls": urls})


def register(app: Any, topics: Any, deps: Any) -> None:
    # Two in flight keep both pool processes busy; drafts of one article are idempotent, so order
    # between articles does not matter.
    @app.agent(topics.generate, name="adapt", concurrency=2)
    async def adapt(stream: Any) -> None:
        async def handle(message: Any) -> None:
            decoded = registry.decode(message.value or b"")
            cmd = decoded.message
            if not isinstance(cmd, GeneratePosts):
                raise InvalidEvent(f"envelope.type: expected GeneratePosts, got {decoded.envelope.type!r}")
            site = deps.sites.site(cmd.article.site_id)
            if site is None:
                raise Unprocessable(f"data.article.site_id: no site {cmd.article.site_id!r} is configured")
            accounts = await (await deps.accounts()).for_site(site.site_id)
            site = site.model_copy(update={"accounts": [a for a in accounts if a.platform in PLATFORMS]})
            env = decoded.envelope
            if hasattr(deps.writer, "awrite"):  # a remote (LLM) writer, checked and backed by the rule writer
                digest = None
                if deps.cpu is not None:  # reading the article is CPU work: in the pool, not on the event loop
                    digest = await asyncio.get_running_loop().run_in_executor(deps.cpu, read_article, cmd.article)
                drafts = await generate_posts_async(cmd, site, deps.writer, deps.fallback_writer, digest)
            elif deps.cpu is not None:  # reading and writing cost ~40 ms of CPU: not on the event loop
                drafts = await asyncio.get_running_loop().run_in_executor(deps.cpu, generate_posts, cmd, site, deps.writer)
            else:
                drafts = generate_posts(cmd, site, deps.writer)
            if deps.media is not None:
                drafts = list(await asyncio.gather(*(with_media(deps.media, d) for d in drafts)))
            await send_all(
                topics.posts,
                [
                    (d.post_id, registry.envelope(d, source=SOURCE, subject=d.post_id, id=derived_id(env.id, d.post_id),
                                                  correlationid=env.correlationid, causationid=env.id))
                    for d in drafts
                ],
                wait=False,
            )

        await each(stream, agent="adapt", dlq_topic=topics.dlq[topics.generate.get_topic_name()], handle=handle)
