"""Bulk import: CSV or JSON rows become posts through the posts' single writer, previewed first.

Each row is planned by :mod:`commands.imports` (the writer's own decider, run here without sending)
and, unless ``dry_run``, sent as one ``DecidePost`` per row: every command produced at once, their
outcomes awaited together, so a 1,000-row file costs about one round trip per partition's backlog.
A row's post id is derived from its identity: importing the same file again creates nothing.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from adapters.api_keys import Caller
from adapters.kafka import send_all
from adapters.post_states import Outcome
from commands import imports as planner
from domain.accounts import Site
from domain.imports import FileRefused, read_csv, rows_of
from domain.platforms import POSTING
from schemas import topics as t
from schemas.envelope import derived_id, utcnow
from schemas.registry import registry
from socializer.http.deps import SOURCE, Services, Svc, writer
from socializer.http.models import PROBLEMS, Position, ProblemDetail
from socializer.http.problems import ORJSON, problem

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)

MAX_BYTES = 8 * 1024 * 1024


class RowErrorOut(BaseModel):
    row: int = Field(description="the data row, counted from 1 (the header is not a row)")
    column: str
    detail: str


class ImportProblem(ProblemDetail):
    errors: list[RowErrorOut | dict[str, str | None]] | None = Field(  # type: ignore[assignment]
        None, description="every row's errors, at its row and column (or, for a bad query parameter, the field)"
    )


class ImportedRow(BaseModel):
    row: int
    key: str = Field(description="the row's identity: its id column, or a hash of site, account, text and time")
    post_id: str
    action: Literal["create", "exists", "duplicate", "invalid"] = Field(
        description="create: a new post; exists: imported before, nothing new; duplicate: an earlier row of this file; invalid: see errors"
    )
    account_id: str | None = None
    platform: str | None = None
    scheduled_at: datetime | None = Field(None, description="the time it gets (given, or the account's next free slot); none: a draft")
    slot: Literal["given", "next"] | None = None
    duplicate_of: int | None = None
    errors: list[RowErrorOut] = Field(default_factory=list)
    outcome: Literal["accepted", "refused", "pending"] | None = Field(None, description="what the posts' writer decided (not in a dry run)")
    version: int | None = None
    problem: dict[str, Any] | None = None


class ImportAnswer(BaseModel):
    dry_run: bool
    count: int
    summary: dict[str, int] = Field(description="rows per action (and, imported, per outcome)")
    pending: bool | None = None
    results: list[ImportedRow]


BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string", "description": "a header row, then one post a row"}},
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["rows"],
                    "properties": {"rows": {"type": "array", "items": {"type": "object", "additionalProperties": True}}},
                }
            },
        },
    }
}


async def _raw_rows(request: Request) -> list[dict[str, Any]]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise FileRefused("file", "send the CSV as the form's file field")
        data = await upload.read()
        return await asyncio.to_thread(read_csv, _text(data))
    data = await request.body()
    if len(data) > MAX_BYTES:
        raise FileRefused("file", f"{len(data)} bytes; at most {MAX_BYTES}")
    if kind in ("text/csv", "text/plain"):
        return await asyncio.to_thread(read_csv, _text(data))
    if kind == "application/json":
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise FileRefused("rows", "the body is not JSON") from None
        rows = body.get("rows") if isinstance(body, dict) else body
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise FileRefused("rows", "rows: a list of objects, one post each")
        return rows
    raise FileRefused("content-type", "send text/csv, multipart/form-data (file) or application/json ({rows: [...]})")


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRefused("file", "the CSV is not UTF-8") from None
    if "\x00" in text:
        raise FileRefused("file", "the CSV holds a NUL character")
    return text


async def _targets(svc: Services, site: Site) -> list[planner.Target]:
    accounts = [a for a in await svc.accounts.for_site(site.site_id) if a.platform in POSTING and a.status != "disconnected"]
    return [planner.Target(a.account_id, a.handle, a.platform, site.policy(a)) for a in accounts]


def _row_out(p: planner.Planned) -> ImportedRow:
    return ImportedRow(
        row=p.row,
        key=p.key,
        post_id=p.post_id,
        action=p.action,
        account_id=p.account_id,
        platform=p.platform,
        scheduled_at=p.scheduled_at,
        slot=p.slot,
        duplicate_of=p.duplicate_of,
        errors=[RowErrorOut(**x.as_dict()) for x in p.errors],
    )


async def plan_import(svc: Services, who: Caller, raw: list[dict[str, Any]]) -> list[planner.Planned]:
    """Every row planned against the site's accounts and the times their posts hold now."""
    site = await svc.sites.site(who.site_id) or Site(site_id=who.site_id)
    rows = await asyncio.to_thread(rows_of, raw, site_id=who.site_id, timezone=site.timezone)
    targets = await _targets(svc, site)
    now = utcnow()
    times = [r.when for r in rows if isinstance(r.when, datetime)]
    since = min([now, *times]) - timedelta(days=3)
    until = max([now + timedelta(days=62), *times]) + timedelta(days=3)
    occupied = {tg.account_id: await svc.states.occupied(tg.account_id, since, until) for tg in targets}
    ids = list(dict.fromkeys(planner.post_id_of(who.site_id, r.key) for r in rows))
    existing = await svc.states.versions(ids)
    campaign = site.utm_campaign or svc.settings.utm_campaign
    # Off the event loop: a file of thousands of rows is parsed, counted (X's weighted length) and
    # checked row by row, seconds of CPU that would stall every other request.
    return await asyncio.to_thread(
        planner.plan, rows, targets, occupied, existing, site_id=who.site_id, requested_by=who.key_id, now=now, campaign=campaign
    )


def _summary(rows: list[ImportedRow]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r.action] = out.get(r.action, 0) + 1
        if r.outcome:
            out[r.outcome] = out.get(r.outcome, 0) + 1
    return out


@router.post(
    "/posts/import/",
    response_model=ImportAnswer,
    summary="Import posts from CSV or JSON rows: ?dry_run=true previews every row (errors at row and column, slots, conflicts)",
    openapi_extra=BODY,
    responses={
        200: {"description": "the dry run: what each row would do"},
        202: {"model": ImportAnswer, "description": "imported: what the posts' writer decided for each row"},
        415: {"model": ProblemDetail, "description": "not CSV, multipart or JSON", "content": {"application/problem+json": {}}},
        422: {"model": ImportProblem, "description": "a row is invalid: every row's errors", "content": {"application/problem+json": {}}},
    },
)
async def import_posts(
    request: Request,
    dry_run: bool = Query(False, description="answer what each row would do, and create nothing"),
    partial: bool = Query(False, description="import the valid rows even where others are invalid (those are reported)"),
    wait: bool = Query(False, description="answer once the read model shows the new posts"),
    who: Caller = writer,
    svc: Services = Svc,
) -> Any:
    try:
        raw = await _raw_rows(request)
        planned = await plan_import(svc, who, raw)
    except FileRefused as err:
        status = 415 if err.field == "content-type" else 422
        return problem(status, "Invalid import", f"{err.field}: {err.detail}", field=err.field, code="invalid_import")
    rows = [_row_out(p) for p in planned]
    bad = [p for p in planned if p.action == "invalid"]
    if dry_run:
        return ORJSON(ImportAnswer(dry_run=True, count=len(rows), summary=_summary(rows), results=rows).model_dump(mode="json"))
    if bad and not partial:
        errors = [x.as_dict() for p in bad for x in p.errors]
        first = bad[0].errors[0] if bad[0].errors else None
        return problem(
            422,
            "Invalid import",
            f"{len(bad)} of {len(planned)} rows are invalid (first: row {first.row if first else '?'}, {first.column if first else ''}):"
            " nothing was imported (partial=true imports the valid rows)",
            field=first.column if first else "file",
            code="invalid_import",
            errors=errors,
        )
    sent = [p for p in planned if p.command is not None]
    deadline = time.monotonic() + svc.settings.command_deadline_seconds + len(sent) / 100
    known: dict[str, Outcome] = {}
    if sent:
        items = [
            (p.post_id, registry.envelope(p.command, source=SOURCE, subject=p.post_id, id=derived_id(p.command.command_id, "envelope")))
            for p in sent
            if p.command
        ]
        await send_all(svc.bus.sender, t.POST_COMMANDS, items)
        known = await svc.outcomes.wait([p.command.command_id for p in sent if p.command], max(0.0, deadline - time.monotonic()))
    positions = []
    by_row = {r.row: r for r in rows}
    for p in sent:
        assert p.command is not None
        r, outcome = by_row[p.row], known.get(p.command.command_id)
        if outcome is None:
            r.outcome = "pending"
        elif outcome.status == 202:
            r.outcome, r.version = "accepted", outcome.body.get("version")
            positions.extend(outcome.body.get("events", []))
        else:
            r.outcome = "refused"
            r.problem = {"status": outcome.status, **{k: outcome.body.get(k) for k in ("title", "detail", "code", "field")}}
    if wait and positions:
        last: dict[tuple[str, int], dict[str, Any]] = {}
        for pos in positions:  # the furthest offset per partition: the read model is past the rest
            k = (pos["topic"], pos["partition"])
            if k not in last or pos["offset"] > last[k]["offset"]:
                last[k] = pos
        await svc.wait_for([Position(**pos) for pos in last.values()], "posts", timeout=svc.settings.command_deadline_seconds + 5)
    answer = ImportAnswer(
        dry_run=False, count=len(rows), summary=_summary(rows), pending=any(r.outcome == "pending" for r in rows) or None, results=rows
    )
    return ORJSON(answer.model_dump(mode="json"), status_code=202)


class ScheduledPreviewOut(BaseModel):
    post_id: str
    outcome: Literal["would_schedule", "refused"]
    scheduled_at: datetime | None = None
    problem: dict[str, Any] | None = None


class SchedulePreviewAnswer(BaseModel):
    dry_run: bool = True
    results: list[ScheduledPreviewOut] = Field(description="each post in order: the time it would get, or why it would be refused")


async def preview_bulk_schedule(svc: Services, who: Caller, post_ids: list[str], scheduled_at: datetime | None, override: bool) -> Any:
    """``posts/bulk-schedule/?dry_run=true``: each post decided by its writer's decider, nothing sent."""
    site = await svc.sites.site(who.site_id) or Site(site_id=who.site_id)
    targets = {tg.account_id: tg for tg in await _targets(svc, site)}
    posts = [(pid, await svc.states.state(pid)) for pid in post_ids]
    now = utcnow()
    since, until = min(now, scheduled_at or now) - timedelta(days=3), max(now + timedelta(days=62), scheduled_at or now) + timedelta(days=3)
    accounts = {s.account_id for _, s in posts if s is not None and s.account_id in targets}
    occupied = {a: await svc.states.occupied(a, since, until) for a in accounts}
    previews = planner.preview_schedule(
        posts, targets, occupied, site_id=who.site_id, scheduled_at=scheduled_at, override=override, now=now
    )
    answer = SchedulePreviewAnswer(
        results=[
            ScheduledPreviewOut(post_id=p.post_id, outcome=p.outcome, scheduled_at=p.scheduled_at, problem=p.problem) for p in previews
        ]
    )
    return ORJSON(answer.model_dump(mode="json"))
