"""Notifications: the site's feed of incidents (one per incident, resolved when it clears) and a
person's "read" marks on it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from adapters.api_keys import Caller
from projections import queries as q
from schemas.envelope import utcnow
from schemas.events import NotificationKind
from socializer.http.deps import Services, Svc, own_site, page, reader, writer
from socializer.http.models import PROBLEMS, NotificationOut, NotificationPage, ReadAll
from socializer.http.problems import ORJSON, Problem

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)


@router.get(
    "/notifications/",
    response_model=NotificationPage,
    summary="The site's notifications, newest first: a page, the total, the next page's URL",
)
async def list_notifications(
    request: Request,
    site_id: str | None = None,
    who: Caller = reader,
    kind: NotificationKind | None = None,
    unread: bool | None = Query(None, description="true: only unread; false: only read"),
    open: bool | None = Query(None, description="true: only open incidents; false: only resolved ones"),  # noqa: A002
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    svc: Services = Svc,
) -> Any:
    items, total = await q.list_notifications(
        svc.pool, site_id=own_site(who, site_id), kind=kind, unread=unread, open=open, limit=limit, offset=offset
    )
    return ORJSON(page(request, items, total, limit, offset))


@router.post("/notifications/read-all/", response_model=ReadAll, summary="Mark every notification of the site read")
async def read_all(site_id: str | None = None, who: Caller = writer, svc: Services = Svc) -> Any:
    return {"marked": await q.mark_read(svc.pool, own_site(who, site_id), None, utcnow())}


@router.post("/notifications/{notification_id}/read/", response_model=NotificationOut, summary="Mark one notification read")
async def read_one(notification_id: str, who: Caller = writer, svc: Services = Svc) -> Any:
    row = await q.get_notification(svc.pool, notification_id)
    if row is None or row["site_id"] != who.site_id:
        raise Problem(404, "Not found", f"no notification {notification_id}", code="notification_not_found", field="notification_id")
    await q.mark_read(svc.pool, who.site_id, [notification_id], utcnow())
    return ORJSON(await q.get_notification(svc.pool, notification_id))
