"""What an automation did: its audit log (every message it queued or skipped, with the outcome:
queued, sent, failed, or skipped with the code and reason) and its runs (who went through it, where
each is). Read models (:mod:`projections.automation_log`), scoped to the caller's site."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request

from adapters.api_keys import Caller
from projections import automation_log as q
from socializer.http.deps import Services, Svc, page, reader
from socializer.http.models import PROBLEMS
from socializer.http.problems import ORJSON

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)


@router.get("/automations/{automation_id}/log/", summary="Every message the automation queued or skipped, newest first, with its outcome")
async def automation_log(
    request: Request,
    automation_id: str,
    status: Literal["queued", "sent", "failed", "skipped"] | None = None,
    run_id: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    who: Caller = reader,
    svc: Services = Svc,
) -> Any:
    rows, total = await q.log(
        svc.pool, site_id=who.site_id, automation_id=automation_id, status=status, run_id=run_id, limit=limit, offset=offset
    )
    return ORJSON(page(request, rows, total, limit, offset))


@router.get("/automations/{automation_id}/runs/", summary="The automation's runs, newest first: who, where each is, why it ended")
async def automation_runs(
    request: Request,
    automation_id: str,
    status: Literal["running", "waiting", "ended"] | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    who: Caller = reader,
    svc: Services = Svc,
) -> Any:
    rows, total = await q.runs(svc.pool, site_id=who.site_id, automation_id=automation_id, status=status, limit=limit, offset=offset)
    return ORJSON(page(request, rows, total, limit, offset))
