"""The usage ledger over HTTP: a site's credits (balance, reserved, available) and what a period
cost, by operation. And the check the routes that start AI or render work make first: a site that
cannot cover the work gets a 402 before anything is sent, never halfway through."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from adapters.api_keys import Caller
from adapters.credits import available
from domain.usage import Line, total
from projections import usage as u
from socializer.http.deps import Services, Svc, own_site, reader
from socializer.http.models import PROBLEMS, ProblemDetail
from socializer.http.problems import Problem

router = APIRouter(prefix="/api/v1", responses=PROBLEMS)
# The routes that start AI or render work document their 402.
CREDITS: dict[int | str, dict[str, Any]] = {
    402: {
        "model": ProblemDetail,
        "description": "Not enough credits for this work (GET /api/v1/usage/)",
        "content": {"application/problem+json": {}},
    }
}


class OperationUsage(BaseModel):
    operation: str
    quantity: str
    credits: str
    charges: int


class Usage(BaseModel):
    site_id: str
    balance: str  # credits granted minus credits charged, all time (decimal strings: a hashtag set costs 0.5)
    reserved: str  # held for work under way
    available: str  # what new work may reserve
    opened: bool  # false: no work yet; the balance is the opening grant to come
    period_from: datetime | None = None
    period_to: datetime | None = None
    granted: str  # in the period
    charged: str  # in the period
    by_operation: list[OperationUsage]


@router.get("/usage/", response_model=Usage, summary="A site's credits and what a period cost, by operation")
async def usage(
    site_id: str | None = None,
    start: datetime | None = Query(None, alias="from", description="the period's start (inclusive); none: from the first charge"),
    end: datetime | None = Query(None, alias="to", description="the period's end (exclusive); none: now"),
    who: Caller = reader,
    svc: Services = Svc,
) -> Any:
    site_id = own_site(who, site_id)
    if start is not None and end is not None and end <= start:
        raise Problem(422, "Invalid request", "to: must be after from", field="to", code="invalid_request")
    balance, reserved = await u.balance(svc.pool, site_id)
    opening = svc.settings.credit_opening_grant
    shown = opening if balance is None else balance
    return {
        "site_id": site_id,
        "balance": str(shown),
        "reserved": str(reserved),
        "available": str(available(balance, reserved, opening)),
        "opened": balance is not None,
        "period_from": start,
        "period_to": end,
    } | await u.period(svc.pool, site_id, start, end)


async def require_credits(svc: Services, site_id: str, lines: list[Line], what: str) -> None:
    """A 402 when the site's available credits cannot cover ``lines`` (the least the work costs)."""
    if not svc.settings.credit_charging:
        return
    needed = total(lines)
    balance, reserved = await u.balance(svc.pool, site_id)
    left = available(balance, reserved, svc.settings.credit_opening_grant)
    if left < needed or left <= Decimal(0):
        raise Problem(
            402,
            "Payment Required",
            f"site {site_id} has {left} credits available; {what} needs at least {needed} (GET /api/v1/usage/)",
            code="insufficient_credits",
        )


async def with_costs(svc: Services, rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The rows with what each cost (``credits_used``) and the model that did the work."""
    costs = await u.cost_of(svc.pool, [r[key] for r in rows]) if rows else {}
    out = []
    for r in rows:
        credits, model = costs.get(r[key], (Decimal(0), ""))
        out.append({**r, "credits_used": str(credits), "model": model or r.get("writer") or ""})
    return out
