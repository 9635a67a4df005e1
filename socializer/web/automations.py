"""The automations pages: the site's automations with their status, one automation's definition
with activate and pause (through the API, with If-Match on its version), its runs and every message
it sent or skipped. A simple automation (a keyword, one answer) is made from a form; a flow with
conditions and delays is written against the API (``/docs``)."""

from __future__ import annotations

import json
from typing import Any, get_args

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from projections import automation_log as log_q
from projections import automations as q
from schemas.automations import TriggerKind
from socializer.http.deps import Services, services
from socializer.web.auth import Viewer, viewer
from socializer.web.render import page

router = APIRouter(include_in_schema=False)
STATUSES = ("draft", "active", "paused")
PAGE = 50


def _definition(row: dict[str, Any]) -> dict[str, Any]:
    d = row["definition"]
    return json.loads(d) if isinstance(d, str) else dict(d)


@router.get("/socializer/automations")
async def automations(
    request: Request,
    status: str | None = None,
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Viewer = Depends(viewer),
    svc: Services = Depends(services),
) -> Response:
    chosen = status if status in STATUSES else None
    rows, total = await q.automations(svc.pool, site_id=who.site_id, status=chosen, limit=PAGE, offset=offset)
    for r in rows:
        r["definition"] = _definition(r)
        _, r["runs"] = await log_q.runs(svc.pool, site_id=who.site_id, automation_id=r["automation_id"], limit=1)
    return page(
        request, "automations.html", who, rows=rows, total=total, offset=offset, size=PAGE, chosen=chosen, statuses=STATUSES,
        kinds=get_args(TriggerKind),
    )  # fmt: skip


@router.get("/socializer/automations/{automation_id}")
async def automation(request: Request, automation_id: str, who: Viewer = Depends(viewer), svc: Services = Depends(services)) -> Response:
    row = await q.automation(svc.pool, automation_id)
    if row is None or row["site_id"] != who.site_id or row["status"] == "deleted":
        return page(request, "missing.html", who, status=404, what="automation", back="/socializer/automations")
    definition = _definition(row)
    runs, runs_total = await log_q.runs(svc.pool, site_id=who.site_id, automation_id=automation_id, limit=100)
    sends, sends_total = await log_q.log(svc.pool, site_id=who.site_id, automation_id=automation_id, limit=100)
    return page(
        request, "automation.html", who, a=row, definition=definition, pretty=json.dumps(definition, indent=2, ensure_ascii=False),
        runs=runs, runs_total=runs_total, sends=sends, sends_total=sends_total,
    )  # fmt: skip
