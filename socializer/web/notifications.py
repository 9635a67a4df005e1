"""The notifications page: the site's incidents (open first to hand, resolved with the reason), each
with where its email went, and the channel they go out on. Marking read goes through the API.

Channels are the operator's settings (``SOCIALIZER_SMTP_*``), not the site's: the page shows the email
channel as configured and says so; the API has no per-site channel or rule to create or change."""

from __future__ import annotations

from typing import get_args

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from projections import queries as q
from schemas.events import NotificationKind
from socializer.http.deps import Services, services
from socializer.web.auth import Viewer, viewer
from socializer.web.render import page

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/socializer/notifications")
async def notifications(
    request: Request,
    kind: str | None = None,
    state: str | None = None,
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Viewer = Depends(viewer),
    svc: Services = Depends(services),
) -> Response:
    kinds = get_args(NotificationKind)
    chosen = {"kind": kind if kind in kinds else None, "state": state if state in ("open", "resolved", "unread") else None}
    rows, total = await q.list_notifications(
        svc.pool,
        site_id=who.site_id,
        kind=chosen["kind"],
        open={"open": True, "resolved": False}.get(chosen["state"] or ""),
        unread=True if chosen["state"] == "unread" else None,
        limit=PAGE,
        offset=offset,
    )
    emails: dict[str, list[dict[str, object]]] = {}
    for e in await svc.pool.fetch(
        "SELECT notification_id, event, state, error, attempted_at FROM notification_emails"
        " WHERE site_id = $1 AND notification_id = ANY($2::text[]) ORDER BY attempted_at",
        who.site_id,
        [r["notification_id"] for r in rows],
    ):
        emails.setdefault(e["notification_id"], []).append(dict(e))
    s = svc.settings
    channel = {
        "configured": bool(s.smtp_host and s.smtp_to),
        "server": f"{s.smtp_host}:{s.smtp_port}" if s.smtp_host else "",
        "recipients": [a.strip() for a in s.smtp_to.split(",") if a.strip()],
        "on_resolve": s.smtp_on_resolve,
    }
    return page(
        request, "notifications.html", who, rows=rows, total=total, offset=offset, size=PAGE, chosen=chosen, kinds=kinds,
        emails=emails, channel=channel,
    )  # fmt: skip
