"""The calendar: scheduled and published posts by day, in the site's time zone; and each account's
best-time slots as data: what the learner believes of every hour, and the times a person pinned."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import ValidationError

from adapters.api_keys import Caller
from domain import learner
from domain.accounts import AccountSettings
from domain.schedule import WINDOW_HOURS
from projections import queries as q
from socializer.http.accounts import own_account
from socializer.http.deps import Services, Svc, own_site, reader, relay_now, writer
from socializer.http.models import PROBLEMS, Calendar, SlotPins, SlotTable
from socializer.http.problems import ORJSON, invalid_merge, problem

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


async def slot_table(svc: Services, account: Any) -> dict[str, Any]:
    site = await svc.sites.site(account.site_id)
    tz = account.settings.timezone or (site.timezone if site else "UTC")
    st = account.settings
    assert svc.learning is not None, "the API is built with a learner (socializer.http.app)"
    beliefs = await svc.learning.beliefs(account.account_id, account.platform, account.site_id, tz, tuple(st.best_times))
    cells = []
    for day in range(7):
        for hour in WINDOW_HOURS:
            lift, low, high = beliefs.lift(day, hour)
            cells.append({"weekday": day, "hour": hour, "lift": round(lift, 4), "low": round(low, 4), "high": round(high, 4)})
    method = "interval" if st.interval_minutes else "pinned" if st.best_times else "learned" if svc.settings.learned_slots else "default"
    return {
        "account_id": account.account_id,
        "platform": account.platform,
        "timezone": tz,
        "method": method,
        "evidence": beliefs.n,
        "half_life_days": learner.HALF_LIFE_DAYS,
        "best_times": list(st.best_times),
        "pinned": {str(d): t for d, t in st.weekday_times.items()},
        "best": sorted(cells, key=lambda c: -c["lift"])[:5],
        "cells": cells,
    }


@router.get(
    "/calendar/slots/",
    response_model=SlotTable,
    summary="An account's hours as the scheduler sees them: the learned lift of every weekday × hour with its 80 % interval, and the pinned slots",
)
async def slots(account_id: str, who: Caller = reader, svc: Services = Svc) -> Any:
    return ORJSON(await slot_table(svc, await own_account(svc, account_id, who)))


@router.put(
    "/calendar/slots/",
    response_model=SlotTable,
    summary="Pin or clear an account's slots per weekday: pinned times win over learned ones on that weekday",
)
async def pin_slots(body: SlotPins, who: Caller = writer, svc: Services = Svc) -> Any:
    account = await own_account(svc, body.account_id, who)
    pins = {**account.settings.weekday_times, **body.weekdays}
    try:
        settings = AccountSettings.model_validate({**account.settings.model_dump(), "weekday_times": pins})
    except ValidationError as err:
        return invalid_merge(err)
    updated = await svc.accounts.update_settings(account, settings)
    await relay_now(svc)
    return ORJSON(await slot_table(svc, updated))
