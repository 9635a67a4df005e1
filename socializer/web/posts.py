"""Posts: the list with its filters and bulk review, and one post with a preview as each platform
shows it (X's weighted count and thread, LinkedIn's fold, Instagram's crop), its edit form, review
and schedule buttons, and its history. Reads are the API's queries; actions are its routes."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from domain.lifecycle import EDITABLE
from domain.post.limits import x_weighted_length
from projections import queries as q
from schemas.events import PLATFORMS
from socializer.http.deps import Services, services
from socializer.web.auth import Viewer, viewer
from socializer.web.render import page

router = APIRouter(include_in_schema=False)

STATUSES = ("draft", "scheduled", "publishing", "published", "failed", "cancelled")
PAGE = 50
X_LIMIT = 280
FOLD_CHARS, FOLD_LINES = 210, 3  # LinkedIn cuts a post's text after about this much, behind "…see more"
TAG = re.compile(r"(#\w+)")


def fold(text: str, chars: int = FOLD_CHARS, lines: int = FOLD_LINES) -> tuple[str, str]:
    """LinkedIn's "…see more": what shows before the fold (three lines, ~210 characters, cut at a word), and the rest."""
    head = "\n".join(text.split("\n")[:lines])
    if len(head) > chars:
        cut = head.rfind(" ", 0, chars)
        head = head[: cut if cut > chars // 2 else chars]
    return (text, "") if len(head) >= len(text) else (head.rstrip(), text[len(head) :].lstrip())


def tagged(text: str) -> list[tuple[bool, str]]:
    """The text in pieces, hashtags marked (they show as links on Instagram and TikTok)."""
    return [(bool(TAG.fullmatch(p)), p) for p in TAG.split(text) if p]


def preview(post: dict[str, Any]) -> dict[str, Any]:
    """What the post's platform shows: its parts and counts, computed as the validator counts them."""
    text = post["text"] or ""
    out: dict[str, Any] = {"platform": post["platform"], "domain": urlsplit(post["link_url"]).hostname if post["link_url"] else None}
    if post["platform"] == "x":
        parts = list(post["thread"] or [text])
        out["tweets"] = [{"text": t, "count": x_weighted_length(t), "over": x_weighted_length(t) > X_LIMIT} for t in parts]
        out["limit"] = X_LIMIT
    elif post["platform"] == "linkedin":
        out["head"], out["rest"] = fold(text)
    else:
        out["pieces"] = tagged(text)
        extra = [h for h in post["hashtags"] or [] if f"#{h.lstrip('#')}".lower() not in text.lower()]
        out["tags"] = [f"#{h.lstrip('#')}" for h in extra]
    return out


def history(post: dict[str, Any]) -> list[tuple[datetime, str]]:
    """The post's life from its read model, oldest first."""
    steps: list[tuple[datetime | None, str]] = [(post["created_at"], f"drafted by the {post['writer'] or 'manual'} writer")]
    if post["reviewed_at"]:
        steps.append((post["reviewed_at"], f"{post['review']} by {post['reviewed_by'] or 'a reviewer'}"))
    if post["scheduled_at"] and post["status"] != "draft":
        why = post["slot_why"] or {}
        how = f" ({why.get('method')} slot, expected {why['lift']:+.0%})" if why.get("lift") is not None else ""
        steps.append((post["scheduled_at"], f"scheduled for this time{how}"))
    if post["published_at"]:
        steps.append((post["published_at"], "published" + (f" as {post['platform_post_id']}" if post["platform_post_id"] else "")))
    if post["status"] in ("failed", "cancelled"):
        steps.append((post["updated_at"], f"{post['status']}" + (f": {post['error']}" if post["error"] else "")))
    return sorted(((at, what) for at, what in steps if at is not None), key=lambda s: s[0])


def _bound(day: date | None, tz: str, *, after: bool = False) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1) if after else day, time(), tzinfo=ZoneInfo(tz))


@router.get("/socializer/posts")
async def posts_page(
    request: Request,
    status: str = "",
    platform: str = "",
    account_id: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    search: str = Query("", alias="q", max_length=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Viewer = Depends(viewer),
    svc: Services = Depends(services),
) -> Response:
    items, total = await q.list_posts(
        svc.pool,
        site_id=who.site_id,
        status=status if status in STATUSES else None,
        platform=platform if platform in PLATFORMS else None,
        account_id=account_id or None,
        date_from=_bound(date_from, who.timezone),
        date_to=_bound(date_to, who.timezone, after=True),
        search=search.strip() or None,
        limit=PAGE,
        offset=offset,
    )
    accounts = [a for a in await svc.accounts.for_site(who.site_id) if a.platform in PLATFORMS]
    review = {a.account_id for a in accounts if not a.settings.auto_publish}
    filters = {
        "status": status,
        "platform": platform,
        "account_id": account_id,
        "date_from": date_from.isoformat() if date_from else "",
        "date_to": date_to.isoformat() if date_to else "",
        "q": search,
    }
    kept = {k: v for k, v in filters.items() if v}
    more = urlencode({**kept, "offset": offset + PAGE}) if offset + len(items) < total else None
    back = urlencode({**kept, "offset": max(0, offset - PAGE)}) if offset else None
    return page(
        request,
        "posts.html",
        who,
        items=items,
        total=total,
        offset=offset,
        more=more,
        back=back,
        filters=filters,
        statuses=STATUSES,
        platforms=PLATFORMS,
        accounts=accounts,
        review=review,
    )


@router.get("/socializer/posts/{post_id}")
async def post_page(post_id: str, request: Request, who: Viewer = Depends(viewer), svc: Services = Depends(services)) -> Response:
    post = await q.get_post(svc.pool, post_id)
    if post is None or post["site_id"] != who.site_id:
        return page(request, "post_missing.html", who, status=404, post_id=post_id)
    account = await svc.accounts.get(post["account_id"])
    awaits_review = post["status"] == "draft" and post["review"] is None and account is not None and not account.settings.auto_publish
    return page(
        request,
        "post.html",
        who,
        post=post,
        view=preview(post),
        steps=history(post),
        awaits_review=awaits_review,
        editable=post["status"] in EDITABLE,
    )
