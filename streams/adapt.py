"""adapt: turn a ``GeneratePosts`` command into one ``PostDrafted`` per account and post type, or a
``PostSkipped`` saying why not.

Reading and writing cost ~40 ms of CPU an article: they run in the process pool, never on the event
loop. A remote (LLM) writer is awaited here, and :func:`commands.adapt.settle` decides what its
answer becomes (validated, or rewritten by the rule writer with the reason).
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Mapping
from concurrent.futures import Executor
from decimal import Decimal
from typing import Any

from adapters.accounts import Accounts
from adapters.credits import Credits
from adapters.images import MediaRenderer
from adapters.images.render import TooSmall
from adapters.kafka import Producer, send_all
from adapters.sites import SiteDirectory
from adapters.transient import is_transient
from commands.adapt import draft_posts, settle, targets, with_niche
from domain.accounts import Site
from domain.platforms import POSTING
from domain.post.reading import Digest, read_article
from domain.post.writer import AsyncWriter, Writer
from domain.usage import DEFAULT_COSTS, merged, post_lines, total
from schemas import topics as t
from schemas.commands import GeneratePosts
from schemas.envelope import derived_id
from schemas.events import ChargedSubject, PostDrafted, PostSkipped
from schemas.exceptions import InvalidEvent
from schemas.registry import registry
from streams.charge import credits_for
from streams.exceptions import Unprocessable
from streams.intake import skip
from streams.plumbing import Agent

SOURCE = "socializer/adapt"
log = logging.getLogger("socializer.adapt")


async def _cpu(cpu: Executor | None, fn: Any, *args: Any) -> Any:
    if cpu is None:
        return fn(*args)
    return await asyncio.get_running_loop().run_in_executor(cpu, fn, *args)


async def generate_posts_async(
    cmd: GeneratePosts, site: Site, writer: AsyncWriter, fallback: Writer, digest: Digest | None = None
) -> tuple[list[PostDrafted], list[PostSkipped]]:
    """With a writer that calls out (an LLM): each answer, or its failure, is settled by the decider."""
    digest = with_niche(digest or read_article(cmd.article), site)
    url = str(cmd.article.url)
    out, skips = [], []
    for account, post_type in targets(cmd, site):
        answer, error = None, None
        try:
            answer = await writer.awrite(digest, url, account.platform, post_type)
        except Exception as err:  # any failure of the remote writer: fall back, say why
            error = f"{type(err).__name__}: {err}"
        made = settle(cmd, site, account, post_type, digest, writer=writer.name, answer=answer, error=error, fallback=fallback)
        if isinstance(made, PostDrafted):
            out.append(made)
        else:
            skips.append(made)
    return out, skips


async def with_media(media: MediaRenderer, draft: PostDrafted) -> PostDrafted:
    """Render the draft's media plan (in the process pool) and point the post at the stored images.
    A source image that cannot be fetched leaves its original URL: the post is still publishable."""
    if not draft.media_plan:
        return draft
    try:
        urls = await media.materialize(draft.media_plan, draft.platform)
    except TooSmall as err:  # a pixel or an icon is never the post's picture
        log.warning("post %s: image not used (%s)", draft.post_id, err)
        return draft.model_copy(update={"media_urls": [], "media_plan": None})
    except Exception as err:  # one bad image must not cost the post
        log.warning("post %s: media not rendered (%s)", draft.post_id, err)
        return draft
    return draft.model_copy(update={"media_urls": urls})


async def handle(
    value: bytes | None,
    *,
    sites: SiteDirectory,
    accounts: Accounts,
    writer: Writer | AsyncWriter,
    fallback: Writer,
    out: Producer,
    media: MediaRenderer | None = None,
    cpu: Executor | None = None,
    credits: Credits | None = None,
    costs: Mapping[str, Decimal] = DEFAULT_COSTS,
) -> list[PostDrafted]:
    decoded = registry.decode(value or b"")
    cmd = decoded.message
    if not isinstance(cmd, GeneratePosts):
        raise InvalidEvent(f"envelope.type: expected GeneratePosts, got {decoded.envelope.type!r}")
    site = await sites.site(cmd.article.site_id)
    if site is None:
        raise Unprocessable(f"data.article.site_id: no site {cmd.article.site_id!r} is configured")
    if not site.social_enabled:  # turned off after intake let the article through
        await skip(out, cmd.article.content_id, site.site_id, decoded.envelope)
        return []
    writer, fallback = _campaign(writer, site.utm_campaign), _campaign(fallback, site.utm_campaign)  # type: ignore[assignment]
    connected = await accounts.for_site(site.site_id)
    site = site.model_copy(update={"accounts": [a for a in connected if a.platform in POSTING]})
    charge_id = decoded.envelope.id  # the charge is the command's: a redelivery is the same charge
    estimate = [line for _, post_type in targets(cmd, site) for line in post_lines(costs, post_type, image=True)]
    credits = credits if estimate else None  # nothing to write: nothing to charge
    if credits is not None:  # held at the most it can cost (every post with an image), before the writer is called
        held = await credits.reserve(site.site_id, charge_id, estimate, decoded.envelope)
        if not held.held:  # before any writing: no half-done work
            await skip(out, cmd.article.content_id, site.site_id, decoded.envelope, reason=held.reason or "not enough credits")
            return []
    try:
        drafts, skips = await _draft(cmd, site, writer, fallback, media, cpu)
    except Exception as err:
        if credits is not None and not is_transient(err):
            await credits.release(site.site_id, charge_id, f"{type(err).__name__}: {err}", decoded.envelope)
        raise
    if credits is not None:
        await _commit(credits, costs, site.site_id, charge_id, drafts, decoded, rendered=media is not None)
    env = decoded.envelope
    await send_all(
        out,
        t.POSTS,
        [
            (
                d.post_id,
                registry.envelope(
                    d,
                    source=SOURCE,
                    subject=d.post_id,
                    id=derived_id(env.id, d.post_id),
                    correlationid=env.correlationid,
                    causationid=env.id,
                ),
            )
            for d in [*drafts, *skips]  # a skip is said, with its reason, where the post would have been
        ],
        wait=False,
    )
    return drafts


async def _draft(
    cmd: GeneratePosts, site: Site, writer: Any, fallback: Writer, media: MediaRenderer | None, cpu: Executor | None
) -> tuple[list[PostDrafted], list[PostSkipped]]:
    if hasattr(writer, "awrite"):  # a remote (LLM) writer, checked and backed by the rule writer
        digest = await _cpu(cpu, read_article, cmd.article)
        drafts, skips = await generate_posts_async(cmd, site, writer, fallback, digest)
    else:
        drafts, skips = await _cpu(cpu, draft_posts, cmd, site, writer)
    if media is not None:
        drafts = list(await asyncio.gather(*(with_media(media, d) for d in drafts)))
    return drafts, skips


async def _commit(
    credits: Credits,
    costs: Mapping[str, Decimal],
    site_id: str,
    charge_id: str,
    drafts: list[PostDrafted],
    decoded: Any,
    *,
    rendered: bool,
) -> None:
    """What the drafts really cost (an image only when one was made for the post: a source image
    passed on as it is costs nothing); nothing drafted: released."""
    if not drafts:
        await credits.release(site_id, charge_id, "no post drafted", decoded.envelope)
        return
    per = [(d, post_lines(costs, d.post_type, image=rendered and bool(d.media_plan and d.media_urls))) for d in drafts]
    subjects = [ChargedSubject(subject_id=d.post_id, kind="post", credits=total(lines), model=d.writer) for d, lines in per]
    models = sorted({d.writer for d in drafts})
    await credits.commit(
        site_id, charge_id, merged(line for _, lines in per for line in lines), decoded.envelope, model=",".join(models), subjects=subjects
    )


def _campaign(writer: Any, campaign: str | None) -> Any:
    """The writer as the site wants its links tagged: a copy with the site's ``utm_campaign``."""
    if campaign and getattr(writer, "campaign", campaign) != campaign:
        writer = copy.copy(writer)
        writer.campaign = campaign
    return writer


def register(agent: Agent) -> None:
    d = agent.deps
    credits = credits_for(agent)

    async def one(message: Any) -> None:
        await handle(
            message.value,
            sites=d.sites,
            accounts=d.accounts,
            writer=d.writer,
            fallback=d.fallback_writer,
            out=agent.producer,
            media=d.media,
            cpu=d.cpu,
            credits=credits,
            costs=d.settings.credit_costs,
        )

    # Two in flight keep both pool processes busy; drafts of one article are idempotent, so order
    # between articles does not matter.
    agent.consume(t.POSTS_GENERATE, "adapt", one, concurrency=2)
