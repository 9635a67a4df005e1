"""Posts: the read model's list and detail, and the commands that append lifecycle events (decided by :mod:`commands.posts`)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request

from adapters.api_keys import Caller
from commands.adapt import draft_posts, post_id_for, targets
from commands.exceptions import CommandRefused, PostNotFound
from domain.accounts import Site
from domain.platforms import POSTING
from domain.post.rules import RuleWriter
from domain.usage import post_lines
from projections import queries as q
from schemas import commands as c
from schemas import topics as t
from schemas.envelope import derived_id
from schemas.events import PLATFORMS, Platform, PostStatus
from socializer.http.deps import Services, Svc, own_site, page, reader, writer
from socializer.http.imports import SchedulePreviewAnswer, preview_bulk_schedule
from socializer.http.models import (
    PROBLEMS,
    Accepted,
    BulkGenerateRequest,
    BulkScheduleRequest,
    GenerateRequest,
    Position,
    PostDetail,
    PostPage,
    SkippedPost,
)
from socializer.http.problems import ORJSON, Problem, problem
from socializer.http.usage import CREDITS, require_credits, with_costs

reads = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)
router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)


@reads.get("/posts/", response_model=PostPage, summary="List posts with filters: a page, the total, and the next page's URL")
async def list_posts(
    request: Request,
    site_id: str | None = None,
    who: Caller = reader,
    platform: Platform | None = None,
    status: PostStatus | None = None,
    content_id: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    svc: Services = Svc,
) -> Any:
    items, total = await q.list_posts(
        svc.pool,
        site_id=own_site(who, site_id),
        platform=platform,
        status=status,
        content_id=content_id,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )
    return ORJSON(page(request, await with_costs(svc, items, "post_id"), total, limit, offset))


@reads.get("/posts/{post_id}/", response_model=PostDetail, summary="One post; its ETag is its version, for If-Match on the commands")
async def get_post(post_id: str, who: Caller = reader, svc: Services = Svc) -> Any:
    row = await q.get_post(svc.pool, post_id)
    if row is None or row["site_id"] != who.site_id:
        raise PostNotFound(f"no post {post_id}", field="post_id")
    return ORJSON((await with_costs(svc, [row], "post_id"))[0], headers={"ETag": f'"{row["version"]}"'})


# ---------- commands ----------
@router.post("/posts/generate/", status_code=202, response_model=Accepted, responses=CREDITS, summary="Adapt one article into posts")
async def generate(body: GenerateRequest, who: Caller = writer, svc: Services = Svc) -> Any:
    position, ids, skips = await generate_for(svc, body.content_id, body, who)
    return Accepted(events=[position], post_ids=ids, skipped=skips)


@router.post("/posts/bulk-generate/", status_code=202, response_model=Accepted, responses=CREDITS, summary="Adapt several articles")
async def bulk_generate(body: BulkGenerateRequest, who: Caller = writer, svc: Services = Svc) -> Any:
    made = [await generate_for(svc, cid, body, who) for cid in body.content_ids]
    return Accepted(
        events=[p for p, _, _ in made], post_ids=[i for _, ids, _ in made for i in ids], skipped=[s for *_, ss in made for s in ss]
    )


IdempotencyKey = Header(
    None,
    alias="Idempotency-Key",
    max_length=200,
    description="a retried request with the same key gets the first answer, and changes nothing",
)
IfMatch = Header(None, alias="If-Match", description="the post's version (its ETag): refused with 409 if the post changed since")


@router.post("/posts/", status_code=202, response_model=Accepted, summary="Create a manual post for one account")
async def create_post(
    body: c.CreatePost, wait: bool = False, who: Caller = writer, svc: Services = Svc, idempotency_key: str | None = IdempotencyKey
) -> Any:
    own_site(who, body.site_id)
    found = await svc.accounts.get(body.account_id, fresh=True)
    if found is None or found.site_id != body.site_id or found.status == "disconnected":
        raise PostNotFound(f"no account {body.account_id} on site {body.site_id}", field="account_id")
    if found.platform not in PLATFORMS:
        raise CommandRefused(f"account_id: {found.platform} accounts publish videos, not posts", field="account_id")
    post_id = derived_id("post", who.site_id, "manual", idempotency_key) if idempotency_key else str(uuid.uuid4())
    return await svc.command(who, post_id, wait=wait, idempotency_key=idempotency_key, platform=found.platform, create=body)


@dataclass
class Sender:
    """Who sends a command on a post, and how: what every post command route shares."""

    who: Caller
    svc: Services
    wait: bool
    idempotency_key: str | None
    if_match: str | None

    async def __call__(self, post_id: str, **action: Any) -> Accepted:
        return await self.svc.command(
            self.who, post_id, wait=self.wait, idempotency_key=self.idempotency_key, if_match=self.if_match, **action
        )


async def sender(
    wait: bool = False,
    who: Caller = writer,
    svc: Services = Svc,
    idempotency_key: str | None = IdempotencyKey,
    if_match: str | None = IfMatch,
) -> Sender:
    return Sender(who, svc, wait, idempotency_key, if_match)


Send = Depends(sender)


@router.put("/posts/{post_id}/", status_code=202, response_model=Accepted, summary="Edit a draft or scheduled post")
async def edit_post(post_id: str, body: c.EditPost, send: Sender = Send) -> Any:
    return await send(post_id, edit=body)


@router.post(
    "/posts/{post_id}/schedule/",
    status_code=202,
    response_model=Accepted,
    summary="Schedule at a time, or (no body) at the account's next free best-time slot",
)
async def schedule_post(post_id: str, body: c.SchedulePost | None = None, send: Sender = Send) -> Any:
    return await send(post_id, schedule=body or c.SchedulePost())


@router.post("/posts/{post_id}/publish/", status_code=202, response_model=Accepted, summary="Publish now")
async def publish_now(
    post_id: str,
    override: bool = Query(False, description="publish even where the account's cap or cooldown would refuse it (recorded)"),
    send: Sender = Send,
) -> Any:
    return await send(post_id, publish_now=c.PublishPostNow(override=override))


@router.delete("/posts/{post_id}/", status_code=202, response_model=Accepted, summary="Cancel a post")
async def cancel_post(post_id: str, reason: str = "", send: Sender = Send) -> Any:
    return await send(post_id, cancel=c.CancelPost(reason=reason))


def command_route(path: str, summary: str) -> Any:
    """A command on posts: accepted (202) with what its writer decided."""
    return router.post(path, status_code=202, response_model=Accepted, summary=summary)


@command_route("/posts/{post_id}/approve/", "Approve a draft awaiting review: into its account's next best-time slot, or at scheduled_at")
async def approve_post(post_id: str, body: c.ApprovePost | None = None, send: Sender = Send) -> Any:
    return await send(post_id, approve=body or c.ApprovePost())


@command_route("/posts/{post_id}/reject/", "Reject a post under review: it is cancelled, the review kept")
async def reject_post(post_id: str, body: c.RejectPost | None = None, send: Sender = Send) -> Any:
    return await send(post_id, reject=body or c.RejectPost())


@router.post(
    "/posts/bulk-schedule/",
    status_code=202,
    response_model=Accepted,
    summary="Schedule many posts, auto-spaced over their accounts' best-time slots: every command sent at once, each post's outcome in `results`",
    responses={200: {"model": SchedulePreviewAnswer, "description": "dry_run: the time each post would get, or why it would be refused"}},
)
async def bulk_schedule(
    body: BulkScheduleRequest,
    wait: bool = False,
    dry_run: bool = Query(False, description="answer what each post would get, and change nothing"),
    who: Caller = writer,
    svc: Services = Svc,
    idempotency_key: str | None = IdempotencyKey,
) -> Any:
    if not body.auto_space and body.scheduled_at is None:
        return problem(422, "Invalid request", "scheduled_at: required when auto_space is false", field="scheduled_at")
    if dry_run:
        at = None if body.auto_space else body.scheduled_at
        if at is not None and at.tzinfo is None:
            return problem(422, "Invalid request", "scheduled_at: needs a time zone offset (RFC 3339)", field="scheduled_at")
        return await preview_bulk_schedule(svc, who, list(dict.fromkeys(body.post_ids)), at, body.override)
    cmd = c.SchedulePost(scheduled_at=None if body.auto_space else body.scheduled_at, override=body.override)
    results = await svc.commands(who, list(dict.fromkeys(body.post_ids)), idempotency_key=idempotency_key, schedule=cmd)
    if all(r.problem and r.problem["status"] == 404 for r in results):  # not one post of this caller's
        raise PostNotFound(f"no post of site {who.site_id} among post_ids", field="post_ids")
    events = [p for r in results for p in r.events]
    if wait and events:
        await svc.wait_for(events, "posts")
    return Accepted(events=events, results=results, pending=any(r.outcome == "pending" for r in results) or None)


async def generate_for(
    svc: Services, content_id: str, body: GenerateRequest | BulkGenerateRequest, who: Caller
) -> tuple[Position, list[str], list[SkippedPost]]:
    """Send GeneratePosts; the post ids are derived exactly as adapt derives them, and what the
    article has no material for is said now, with the reason (the rule writer's verdict: the LLM
    writer falls back to it)."""
    site = await svc.sites.site(who.site_id)
    if site is not None and not site.social_enabled:
        raise Problem(
            409,
            "Social posting is off",
            f"site {who.site_id} has social_enabled: false (PATCH /api/v1/social/settings/)",
            field="social_enabled",
        )
    article = await svc.article(content_id, who)
    cmd = c.GeneratePosts(article=article, platforms=body.platforms, post_types=body.post_types, auto_schedule=body.auto_schedule)
    connected = [a for a in await svc.accounts.for_site(who.site_id) if a.platform in POSTING]
    targeted = (site or Site(site_id=who.site_id)).model_copy(update={"accounts": connected})
    _, skips = await asyncio.to_thread(draft_posts, cmd, targeted, RuleWriter())
    missing = {s.post_id for s in skips}
    costs = svc.settings.credit_cost_table
    least = [line for _, kind in targets(cmd, targeted) for line in post_lines(costs, kind, image=False)]
    if least:  # before anything is sent: no half-done work
        await require_credits(svc, who.site_id, least, f"adapting {content_id}")
    ids = [i for i in (post_id_for(content_id, a.account_id, kind) for a, kind in targets(cmd, targeted)) if i not in missing]
    said = [
        SkippedPost(post_id=s.post_id, account_id=s.account_id, platform=s.platform, post_type=s.post_type, reason=s.reason) for s in skips
    ]
    return await svc.bus.append(t.POSTS_GENERATE, content_id, cmd), ids, said
