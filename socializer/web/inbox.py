"""The inbox page: comments, mentions and messages across the site's accounts, the ones that wait
for an answer first to hand, and one item's thread with our replies and their delivery status. A
reply goes through the API's own reply route (with an Idempotency-Key), never around it."""

from __future__ import annotations

from typing import Any, get_args

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from domain.platforms import PROFILES
from projections import inbox as q
from schemas.events import InboxKind
from socializer.http.deps import Services, services
from socializer.web.auth import Viewer, viewer
from socializer.web.render import page

router = APIRouter(include_in_schema=False)
KINDS = get_args(InboxKind)
PAGE = 50


def _choice(value: str | None, allowed: tuple[str, ...] | list[str]) -> str | None:
    """A filter from the address bar: one of the allowed values, or none (an unknown one is ignored)."""
    return value if value in allowed else None


@router.get("/socializer/inbox")
async def inbox(
    request: Request,
    platform: str | None = None,
    kind: str | None = None,
    unanswered: str | None = None,
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Viewer = Depends(viewer),
    svc: Services = Depends(services),
) -> Response:
    platforms = sorted(PROFILES)
    chosen = {"platform": _choice(platform, platforms), "kind": _choice(kind, KINDS), "unanswered": unanswered == "true"}
    items, total = await q.list_items(
        svc.pool,
        site_id=who.site_id,
        platform=chosen["platform"],
        kind=chosen["kind"],
        unanswered=True if chosen["unanswered"] else None,
        limit=PAGE,
        offset=offset,
    )
    accounts = await _accounts(svc, who.site_id)
    return page(
        request, "inbox.html", who, items=items, total=total, offset=offset, size=PAGE, chosen=chosen,
        platforms=platforms, kinds=KINDS, accounts=accounts,
    )  # fmt: skip


@router.get("/socializer/inbox/{item_id}")
async def thread(request: Request, item_id: str, who: Viewer = Depends(viewer), svc: Services = Depends(services)) -> Response:
    item = await q.get_item(svc.pool, item_id)
    if item is None or item["site_id"] != who.site_id:
        return page(request, "missing.html", who, status=404, what="inbox item", back="/socializer/inbox")
    # The thread: the conversation's messages, or the comments on the same post, oldest first.
    if item["kind"] == "message":
        rows, _ = await q.list_items(svc.pool, site_id=who.site_id, conversation_id=item["thread"], limit=200)
    else:
        rows, _ = await q.list_items(svc.pool, site_id=who.site_id, platform=item["platform"], post_id=item["thread"], limit=200)
    rows.reverse()
    accounts = await _accounts(svc, who.site_id)
    return page(request, "inbox_thread.html", who, item=item, thread=rows or [item], accounts=accounts)


async def _accounts(svc: Services, site_id: str) -> dict[str, Any]:
    rows = await svc.pool.fetch("SELECT account_id, platform, handle FROM accounts WHERE site_id = $1", site_id)
    return {r["account_id"]: r["handle"] or r["platform"] for r in rows}
