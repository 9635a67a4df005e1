"""``GeneratePosts``: decide which posts an article becomes for a site's accounts.

Post ids derive from (content, account, post type), so a redelivered command drafts the same
posts. Whatever writer wrote a draft, it passes the platform validator before it becomes an event;
a draft that breaks a rule is rewritten by the fallback writer, with the reason on the event.
"""
from __future__ import annotations

import logging
from typing import Protocol

from adapters.accounts import Account, Site
from adapters.writer.reading import Digest, read_article
from adapters.writer.rules import Draft
from adapters.writer.score import virality
from adapters.writer.validate import conform, violations
from schemas.commands import GeneratePosts
from schemas.envelope import derived_id
from schemas.events import PostDrafted

log = logging.getLogger("socializer.generation")

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

    def write(self, digest: Digest, url: str, platform: str, post_type: str) -> Draft | None: ...


class AsyncWriter(Protocol):
    name: str

    async def awrite(self, digest: Digest, url: str, platform: str, post_type: str) -> Draft | None: ...


def post_id_for(content_id: str, account_id: str, post_type: str) -> str:
    return derived_id("post", content_id, account_id, post_type)


def targets(cmd: GeneratePosts, site: Site, digest: Digest) -> list[tuple[Account, str]]:
    platforms = set(cmd.platforms or site.platforms or [a.platform for a in site.accounts])
    post_types = cmd.post_types or site.post_types
    out = []
    for account in site.accounts:
        if account.platform not in platforms:
            continue
        out += [(account, t) for t in post_types if account.platform in COMPATIBLE[t]]
    return out


def to_event(cmd: GeneratePosts, site: Site, account: Account, post_type: str, draft: Draft, writer: str,
             note: str | None = None) -> PostDrafted:
    score, parts, reasons = virality(account.platform, post_type, draft)
    auto = account.settings.auto_publish if cmd.auto_schedule is None else cmd.auto_schedule
    return PostDrafted(
        post_id=post_id_for(cmd.article.content_id, account.account_id, post_type),
        site_id=site.site_id, account_id=account.account_id, platform=account.platform,
        post_type=post_type,  # type: ignore[arg-type]
        text=draft.text, content_id=cmd.article.content_id, hashtags=draft.hashtags, link_url=draft.link_url,
        utm=draft.utm, thread=draft.thread, media_urls=draft.media_urls, auto_schedule=auto, writer=writer,
        writer_note=note, first_comment=draft.first_comment, media_plan=draft.media_plan,
        virality=score, virality_parts=parts, virality_reasons=reasons,
    )


def checked(platform: str, post_type: str, draft: Draft | None) -> tuple[Draft | None, list[str]]:
    if draft is None:
        return None, []
    draft = conform(platform, post_type, draft)
    return draft, violations(platform, post_type, draft)


def generate_posts(cmd: GeneratePosts, site: Site, writer: Writer, digest: Digest | None = None) -> list[PostDrafted]:
    digest = digest or read_article(cmd.article)
    out = []
    for account, post_type in targets(cmd, site, digest):
        draft, problems = checked(account.platform, post_type, writer.write(digest, str(cmd.article.url), account.platform, post_type))
        if draft is None:
            continue  # the article has no material for this type (no FAQ, no points)
        if problems:
            log.error("%s %s for %s breaks rules, not drafted: %s", writer.name, post_type, account.platform, problems)
            continue
        out.append(to_event(cmd, site, account, post_type, draft, writer.name))
    return out


async def generate_posts_async(cmd: GeneratePosts, site: Site, writer: AsyncWriter, fallback: Writer,
                               digest: Digest | None = None) -> list[PostDrafted]:
    """With a writer that calls out (an LLM): each draft is validated; a failure or a broken rule
    falls back to the deterministic writer, and the reason travels on the event."""
    digest = digest or read_article(cmd.article)
    url = str(cmd.article.url)
    out = []
    for account, post_type in targets(cmd, site, digest):
        note = None
        try:
            draft, problems = checked(account.platform, post_type, await writer.awrite(digest, url, account.platform, post_type))
            name = writer.name
            if problems:
                note = f"{writer.name} draft broke rules: {'; '.join(problems)}"
        except Exception as err:  # any failure of the remote writer: fall back, say why
            draft, problems, name = None, [], writer.name
            note = f"{writer.name} failed: {type(err).__name__}: {err}"[:500]
        if draft is None or problems:
            draft, problems = checked(account.platform, post_type, fallback.write(digest, url, account.platform, post_type))
            name = fallback.name
            if draft is None or problems:
                continue
        out.append(to_event(cmd, site, account, post_type, draft, name, note))
    return out
