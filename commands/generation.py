"""``GeneratePosts``: decide which posts an article becomes for a site's accounts.

Pure given the writer: post ids derive from (content, account, post type), so a redelivered
command drafts the same posts and every consumer sees a duplicate, not a second post.
"""
from __future__ import annotations

from typing import Protocol

from adapters.accounts import Site
from adapters.writer.limits import NEEDS_MEDIA
from adapters.writer.rules import Draft
from schemas.commands import GeneratePosts
from schemas.envelope import derived_id
from schemas.events import ContentPublished, PostDrafted

# Which post types each platform accepts (seed spec §2.4, plus threads on X).
COMPATIBLE: dict[str, set[str]] = {
    "announcement": {"linkedin", "x", "facebook", "instagram", "tiktok"},
    "highlights": {"linkedin", "x", "facebook", "instagram", "tiktok"},
    "quote_card": {"linkedin", "x", "facebook", "instagram", "tiktok"},
    "faq_snippet": {"linkedin", "x", "facebook"},
    "carousel": {"instagram", "linkedin"},
    "thread": {"x"},
}


class Writer(Protocol):
    name: str

    def write(self, article: ContentPublished, platform: str, post_type: str = "announcement") -> Draft: ...


def post_id_for(content_id: str, account_id: str, post_type: str) -> str:
    return derived_id("post", content_id, account_id, post_type)


def generate_posts(cmd: GeneratePosts, site: Site, writer: Writer) -> list[PostDrafted]:
    article = cmd.article
    platforms = set(cmd.platforms or site.platforms or [a.platform for a in site.accounts])
    post_types = cmd.post_types or site.post_types
    drafts: list[PostDrafted] = []
    for account in site.accounts:
        if account.platform not in platforms:
            continue
        if account.platform in NEEDS_MEDIA and not article.image_urls:
            continue  # Instagram and TikTok posts need an image; the article has none.
        for post_type in post_types:
            if account.platform not in COMPATIBLE[post_type]:
                continue
            d = writer.write(article, account.platform, post_type)
            auto = account.settings.auto_publish if cmd.auto_schedule is None else cmd.auto_schedule
            drafts.append(
                PostDrafted(
                    post_id=post_id_for(article.content_id, account.account_id, post_type),
                    site_id=site.site_id,
                    account_id=account.account_id,
                    platform=account.platform,
                    post_type=post_type,  # type: ignore[arg-type]
                    text=d.text,
                    content_id=article.content_id,
                    hashtags=d.hashtags,
                    link_url=d.link_url,
                    utm=d.utm,
                    thread=d.thread,
                    media_urls=d.media_urls,
                    auto_schedule=auto,
                    writer=writer.name,
                )
            )
    return drafts
