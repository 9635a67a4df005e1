"""The calendar: scheduled and published posts by day, in the site's time zone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from adapters.api_keys import Caller
from projections import queries as q
from socializer.http.deps import Services, Svc, own_site, reader
from socializer.http.models import PROBLEMS, Calendar
from socializer.http.problems import ORJSON, problem

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)


@router.get(
    "/calendar/",
    response_model=Calendar,
    summary="Scheduled and published posts by day: an ISO week if given, else a month (default: this one)",
)
async def calendar(
    site_id: str | None = None,
    who: Caller = reader,
    month: str | None = Query(None, pattern=r"^(19[7-9]\d|20\d\d)-(0[1-9]|1[0-2])$", description="YYYY-MM; default: the current month"),
    week: str | None = Query(
        None,
        pattern=r"^(19[7-9]\d|20\d\d)-W(0[1-9]|[1-4]\d|5[0-3])$",
        description="YYYY-Www (ISO week); wins over month; W53 only in years that have one",
    ),
    svc: Services = Svc,
) -> Any:
    site_id = own_site(who, site_id)
    if not week:
        month = month or datetime.now(ZoneInfo(await svc.site_tz(site_id))).strftime("%Y-%m")
    if month and not week:
        y, m = map(int, month.split("-"))
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
