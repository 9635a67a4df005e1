"""share: a video that rendered clean becomes a ``video`` post for each of its site's accounts on a
platform that takes it (:func:`domain.platforms.platforms_for`: a long one for YouTube alone, a
vertical one for YouTube, Instagram and TikTok where its length is allowed) — drafts in the social
calendar, scheduled on best-time slots under the same caps and cooldowns, editable, cancellable,
published through the same at-most-once attempt as every post. Its text keeps the platform's post
rules (the article's link tagged with the site's campaign and the post's code; "link in bio" where
links are not clickable): a draft that breaks them becomes a ``PostSkipped`` saying why, as any
refused draft does. One post per project and account: a later render does not post it again."""

from __future__ import annotations

from typing import Any

from adapters.accounts import Accounts
from adapters.kafka import Producer, send_all
from adapters.sites import SiteDirectory
from commands.adapt import short_code
from domain.platforms import platforms_for
from domain.post.rules import campaign_for
from domain.video import limits
from domain.video.share import POST_TYPE, draft, problems
from schemas import events as e
from schemas import topics as t
from schemas.envelope import derived_id
from schemas.registry import registry
from streams.plumbing import Agent

SOURCE = "socializer/share"


def post_id(project_id: str, account_id: str) -> str:
    return derived_id("post", project_id, account_id, "video")


async def handle(
    value: bytes | None, sites: SiteDirectory, accounts: Accounts, out: Producer, campaign: str = "socializer"
) -> list[e.PostDrafted]:
    """``campaign``: the deployment's ``utm_campaign``, for a site that names none."""
    decoded = registry.decode(value or b"")
    m = decoded.message
    if not isinstance(m, e.VideoRendered) or m.problems or not m.site_id:
        return []  # not a finished video, or one its probe found wrong: nothing to post
    site = await sites.site(m.site_id)
    if site is None:
        return []
    seo = m.seo or {}
    title = limits.title(seo.get("title") or m.title)
    keywords = list(seo.get("tags", []))
    wanted = platforms_for(m.preset, m.seconds or None)
    drafts: list[e.PostDrafted] = []
    skips: list[e.PostSkipped] = []
    for account in await accounts.for_site(m.site_id):
        if account.platform not in wanted:
            continue
        pid = post_id(m.project_id, account.account_id)
        template = site.utm_campaign or campaign
        tag = campaign_for(template, site=m.site_id, content=m.content_id, platform=account.platform, post_type=POST_TYPE)
        d = draft(
            account.platform,
            title=m.title or title,
            description=seo.get("description", ""),
            keywords=keywords,
            campaign=tag,
            code=short_code(pid),
            language=m.language,
            media=[m.thumbnail_url],
        )
        refused = problems(account.platform, d, title=title, tags=keywords)
        if refused:
            skips.append(
                e.PostSkipped(
                    post_id=pid,
                    site_id=m.site_id,
                    content_id=m.content_id,
                    account_id=account.account_id,
                    platform=account.platform,
                    post_type=POST_TYPE,
                    reason=f"the rules draft breaks {account.platform}'s rules: {'; '.join(refused)}",
                )
            )
            continue
        video = e.VideoAttachment(
            project_id=m.project_id,
            revision=m.revision,
            preset=m.preset,
            video_url=m.video_url,
            thumbnail_url=m.thumbnail_url,
            captions_url=m.vtt_url,
            title=title,
            tags=keywords,
            language=m.language,
            seconds=m.seconds,
        )
        drafts.append(
            e.PostDrafted(
                post_id=pid,
                site_id=m.site_id,
                account_id=account.account_id,
                platform=account.platform,
                post_type=POST_TYPE,
                text=d.text,
                content_id=m.content_id or None,
                hashtags=d.hashtags,
                link_url=d.link_url,
                utm=d.utm,
                media_urls=d.media_urls,
                auto_schedule=site.auto_social_publish and account.settings.auto_publish,
                writer="rules",
                video=video,
            )
        )
    said: list[e.PostDrafted | e.PostSkipped] = [*drafts, *skips]
    items = [
        (
            ev.post_id,
            registry.envelope(
                ev,
                source=SOURCE,
                subject=ev.post_id,
                id=derived_id(ev.post_id, "drafted" if isinstance(ev, e.PostDrafted) else "skipped"),
                causationid=decoded.envelope.id,
            ),
        )
        for ev in said  # a skip is said, with its reason, where the post would have been
    ]
    if items:
        await send_all(out, t.POSTS, items)
    return drafts


def register(agent: Agent) -> None:
    d = agent.deps

    async def one(message: Any) -> None:
        await handle(message.value, d.sites, d.accounts, agent.producer, d.settings.utm_campaign)

    agent.consume(t.VIDEO_PROJECTS, "share", one)
