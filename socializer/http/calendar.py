"""The calendar: scheduled and published posts by day, in the site's time zone."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query

from adapters.api_keys import Caller
from projections import queries as q
from socializer.http.deps import Services, Svc, own_site, reader
from socializer.http.models import PROBLEMS
from socializer.http.problems import ORJSON, problem

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)


@router.get("/calendar/", summary="Scheduled and published posts by day, for a month or an ISO week")
async def calendar(
    site_id: str | None = None,
    who: Caller = reader,
    month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$"),
    week: str | None = Query(None, pattern=r"^\d{4}-W\d{2}$"),
    svc: Services = Svc,
) -> Any:
    site_id = own_site(who, site_id)
    if bool(month) == bool(week):
        return problem(422, "Invalid request", "give exactly one of month=YYYY-MM or week=YYYY-Www", field="month")
    if month:
        y, m = map(int, month.split("-"))
        if not 1 <= m <= 12:
            return problem(422, "Invalid request", "month: must be 01..12", field="month")
        start, end = date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)
    else:
        y, w = int(week[:4]), int(week[6:])  # type: ignore[index]
        try:
            start = date.fromisocalendar(y, w, 1)
        except ValueError:
            return problem(422, "Invalid request", "week: no such ISO week", field="week")
        end = date.fromordinal(start.toordinal() + 7)
    # Responses are rendered by orjson directly: FastAPI's jsonable_encoder would walk every row in Python.
    return ORJSON(await q.calendar(svc.pool, site_id=site_id, start=start, end=end, tz=await svc.site_tz(site_id)))
