"""share: a video that rendered clean becomes a ``video`` post for each of its site's YouTube,
Instagram and TikTok accounts (a long one for YouTube alone) — drafts in the social calendar,
scheduled on best-time slots under the same caps and cooldowns, editable, cancellable, published
through the same at-most-once attempt as every post. One post per project and account: a later
render of the project does not post it again."""

from __future__ import annotations

from typing import Any

from adapters.accounts import Accounts
from adapters.kafka import Producer, send_all
from adapters.sites import SiteDirectory
from domain.video.share import caption, platforms_for
from schemas import events as e
from schemas import topics as t
from schemas.envelope import derived_id
from schemas.registry import registry
from streams.plumbing import Agent

SOURCE = "socializer/share"


def post_id(project_id: str, account_id: str) -> str:
    return derived_id("post", project_id, account_id, "video")


async def handle(value: bytes | None, sites: SiteDirectory, accounts: Accounts, out: Producer) -> list[e.PostDrafted]:
    decoded = registry.decode(value or b"")
    m = decoded.message
    if not isinstance(m, e.VideoRendered) or m.problems or not m.site_id:
        return []  # not a finished video, or one its probe found wrong: nothing to post
    site = await sites.site(m.site_id)
    if site is None:
        return []
    seo = m.seo or {}
    wanted = platforms_for(m.preset)
    drafts = []
    for account in await accounts.for_site(m.site_id):
        if account.platform not in wanted:
            continue
        text, tags = caption(
            account.platform, title=seo.get("title") or m.title, description=seo.get("description", ""), keywords=seo.get("tags", [])
        )
        video = e.VideoAttachment(
            project_id=m.project_id,
            revision=m.revision,
            preset=m.preset,
            video_url=m.video_url,
            thumbnail_url=m.thumbnail_url,
            captions_url=m.vtt_url,
            title=(seo.get("title") or m.title)[:100],
            tags=list(seo.get("tags", [])),
            language=m.language,
            seconds=m.seconds,
        )
        drafts.append(
            e.PostDrafted(
                post_id=post_id(m.project_id, account.account_id),
                site_id=m.site_id,
                account_id=account.account_id,
                platform=account.platform,  # type: ignore[arg-type]
                post_type="video",
                text=text,
                content_id=m.content_id or None,
                hashtags=tags,
                media_urls=[m.thumbnail_url],
                auto_schedule=site.auto_social_publish and account.settings.auto_publish,
                writer="rules",
                video=video,
            )
        )
    items = [
        (
            d.post_id,
            registry.envelope(d, source=SOURCE, subject=d.post_id, id=derived_id(d.post_id, "drafted"), causationid=decoded.envelope.id),
        )
        for d in drafts
    ]
    if items:
        await send_all(out, t.POSTS, items)
    return drafts


def register(agent: Agent) -> None:
    d = agent.deps

    async def one(message: Any) -> None:
        await handle(message.value, d.sites, d.accounts, agent.producer)

    agent.consume(t.VIDEO_PROJECTS, "share", one)
