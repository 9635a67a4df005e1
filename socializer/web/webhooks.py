"""The webhooks pages: the site's endpoints (address, events, whether enabled; never a secret — the
API shows one only once, at create and at rotate, and so does the page), and each endpoint's
deliveries with their answers, attempts and next retry. Every change goes through the API."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from domain import webhooks as w
from socializer.http.deps import Services, services
from socializer.web.auth import Viewer, viewer
from socializer.web.render import page

router = APIRouter(include_in_schema=False)
PAGE = 100


@router.get("/socializer/webhooks")
async def webhooks(request: Request, who: Viewer = Depends(viewer), svc: Services = Depends(services)) -> Response:
    endpoints = [e.view() for e in await svc.webhooks.endpoints(who.site_id)] if svc.webhooks else []
    return page(request, "webhooks.html", who, endpoints=endpoints, types=w.EVENT_TYPES, configured=svc.webhooks is not None)


@router.get("/socializer/webhooks/{endpoint_id}")
async def endpoint(
    request: Request,
    endpoint_id: str,
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Viewer = Depends(viewer),
    svc: Services = Depends(services),
) -> Response:
    ep = await svc.webhooks.endpoint(who.site_id, endpoint_id) if svc.webhooks else None
    if ep is None or svc.webhooks is None:
        return page(request, "missing.html", who, status=404, what="webhook endpoint", back="/socializer/webhooks")
    rows, total = await svc.webhooks.deliveries(who.site_id, endpoint_id, PAGE, offset)
    return page(request, "webhook.html", who, ep=ep.view(), deliveries=rows, total=total, offset=offset, size=PAGE, types=w.EVENT_TYPES)
