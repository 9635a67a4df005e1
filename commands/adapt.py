"""``GeneratePosts``: decide which posts an article becomes for a site's accounts.

Post ids derive from (content, account, post type), so a redelivered command drafts the same
posts. Whatever writer wrote a draft, it passes the platform validator before it becomes an event;
a draft that breaks a rule is rewritten by the fallback writer, with the reason on the event.
"""

from __future__ import annotations

from domain.accounts import Account, Site
from domain.platforms import compatible
from domain.post.reading import Digest, read_article
from domain.post.rules import Draft, campaign_for, retag, why_not
from domain.post.score import virality
from domain.post.validate import conform, violations
from domain.post.writer import Writer
from schemas.commands import GeneratePosts
from schemas.envelope import derived_id
from schemas.events import PostDrafted, PostSkipped


def with_niche(digest: Digest, site: Site) -> Digest:
    """The article as the site's writer reads it: the site's niche tags fill in where the article yields too few."""
    from dataclasses import replace

    return replace(digest, niche=tuple(site.niche_hashtags)) if site.niche_hashtags else digest


def post_id_for(content_id: str, account_id: str, post_type: str) -> str:
    return derived_id("post", content_id, account_id, post_type)


def targets(cmd: GeneratePosts, site: Site) -> list[tuple[Account, str]]:
    platforms: set[str] = set(cmd.platforms or site.platforms or ()) or {a.platform for a in site.accounts}
    post_types = cmd.post_types or site.post_types
    out: list[tuple[Account, str]] = []
    for account in site.accounts:
        if account.platform not in platforms:
            continue
        out += [(account, t) for t in post_types if compatible(account.platform, t)]
    return out


def to_event(
    cmd: GeneratePosts, site: Site, account: Account, post_type: str, draft: Draft, writer: str, note: str | None = None
) -> PostDrafted:
    score, parts, reasons = virality(account.platform, post_type, draft)
    # Queued on its own only where the site and the account both say so; otherwise a person approves it.
    auto = site.auto_social_publish and account.settings.auto_publish if cmd.auto_schedule is None else cmd.auto_schedule
    return PostDrafted(
        post_id=post_id_for(cmd.article.content_id, account.account_id, post_type),
        site_id=site.site_id,
        account_id=account.account_id,
        platform=account.platform,
        post_type=post_type,
        text=draft.text,
        content_id=cmd.article.content_id,
        hashtags=draft.hashtags,
        link_url=draft.link_url,
        utm=draft.utm,
        thread=draft.thread,
        media_urls=draft.media_urls,
        auto_schedule=auto,
        writer=writer,
        writer_note=note,
        first_comment=draft.first_comment,
        media_plan=draft.media_plan,
        virality=score,
        virality_parts=parts,
        virality_reasons=reasons,
    )


def short_code(post_id: str) -> str:
    """What ``utm_content`` carries: enough of the post's id to name it (manual posts carry the same)."""
    return post_id[:12]


def checked(platform: str, post_type: str, draft: Draft | None, tag: tuple[str, str] | None = None) -> tuple[Draft | None, list[str]]:
    """The draft made to conform, and what it still breaks; ``tag`` (campaign, post code) is the UTM
    set its links get first."""
    if draft is None:
        return None, []
    if tag is not None:
        draft = retag(draft, platform=platform, campaign=tag[0], content=tag[1])
    draft = conform(platform, post_type, draft)
    return draft, violations(platform, post_type, draft)


def skipped(cmd: GeneratePosts, account: Account, post_type: str, reason: str) -> PostSkipped:
    return PostSkipped(
        post_id=post_id_for(cmd.article.content_id, account.account_id, post_type),
        site_id=cmd.article.site_id,
        content_id=cmd.article.content_id,
        account_id=account.account_id,
        platform=account.platform,
        post_type=post_type,
        reason=reason,
    )


def utm_tag(cmd: GeneratePosts, site: Site, account: Account, post_type: str, template: str) -> tuple[str, str]:
    """(utm_campaign, utm_content) of one post: the site's campaign template filled in, the post's code."""
    campaign = campaign_for(template, site=site.site_id, content=cmd.article.content_id, platform=account.platform, post_type=post_type)
    return campaign, short_code(post_id_for(cmd.article.content_id, account.account_id, post_type))


def draft_posts(
    cmd: GeneratePosts, site: Site, writer: Writer, digest: Digest | None = None
) -> tuple[list[PostDrafted], list[PostSkipped]]:
    """The drafts, and each (account, post type) not drafted with its reason: no material for it, or
    a draft that broke a platform rule (which never becomes a post)."""
    digest = with_niche(digest or read_article(cmd.article), site)
    out, skips = [], []
    for account, post_type in targets(cmd, site):
        tag = utm_tag(cmd, site, account, post_type, getattr(writer, "campaign", "socializer"))
        draft, problems = checked(account.platform, post_type, writer.write(digest, str(cmd.article.url), account.platform, post_type), tag)
        if draft is None:
            skips.append(skipped(cmd, account, post_type, why_not(digest, account.platform, post_type)))
        elif problems:
            skips.append(
                skipped(cmd, account, post_type, f"the {writer.name} draft breaks {account.platform}'s rules: {'; '.join(problems)}")
            )
        else:
            out.append(to_event(cmd, site, account, post_type, draft, writer.name))
    return out, skips


def generate_posts(cmd: GeneratePosts, site: Site, writer: Writer, digest: Digest | None = None) -> list[PostDrafted]:
    return draft_posts(cmd, site, writer, digest)[0]


def settle(
    cmd: GeneratePosts,
    site: Site,
    account: Account,
    post_type: str,
    digest: Digest,
    *,
    writer: str,
    answer: Draft | None,
    error: str | None,
    fallback: Writer,
) -> PostDrafted | PostSkipped:
    """What a remote writer answered (or how it failed) becomes a draft: validated, or rewritten by
    the deterministic ``fallback`` writer with the reason on the event (``writer_note``); or, when
    neither makes one, the skip with its reason."""
    url = str(cmd.article.url)
    note = None
    tag = utm_tag(cmd, site, account, post_type, getattr(fallback, "campaign", "socializer"))
    draft, problems = checked(account.platform, post_type, answer, tag) if error is None else (None, [])
    name = writer
    if error is not None:
        note = f"{writer} failed: {error}"[:500]
    elif problems:
        note = f"{writer} draft broke rules: {'; '.join(problems)}"
    if draft is None or problems:
        draft, problems = checked(account.platform, post_type, fallback.write(digest, url, account.platform, post_type), tag)
        name = fallback.name
        if draft is None:
            return skipped(cmd, account, post_type, why_not(digest, account.platform, post_type))
        if problems:
            return skipped(cmd, account, post_type, f"the {name} draft breaks {account.platform}'s rules: {'; '.join(problems)}")
    return to_event(cmd, site, account, post_type, draft, name, note)
