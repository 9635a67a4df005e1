"""A site's outbound webhooks (Standard Webhooks): endpoints to create, list, read, change, delete;
the secret rotated (the old one still signs for 24 h); a test event; the delivery log and
redelivery of everything since a time. A secret is answered twice only: at create and at rotate."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from adapters.api_keys import Caller
from adapters.netguard import Policy, Refused, check_url
from adapters.vault.crypto import Secret
from adapters.webhooks import Endpoint, NewDelivery
from domain import webhooks as w
from schemas.envelope import utcnow
from socializer.http.deps import Services, Svc, page, reader, writer
from socializer.http.models import PROBLEMS
from socializer.http.problems import ORJSON, Problem

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS, tags=["webhooks"])
TYPES = f"the event types it receives: {', '.join(w.EVENT_TYPES)}; `*` = every one but engagement.snapshot (opt-in)"
RESOLVE_SECONDS = 5.0


def _types(v: list[str]) -> list[str]:
    unknown = w.unknown_types(v)
    if unknown:
        raise ValueError(f"unknown event types {unknown}: {', '.join(w.EVENT_TYPES)} or *")
    return list(dict.fromkeys(v))


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="where the messages are POSTed (http or https; no private or metadata address)")
    event_types: list[str] = Field(min_length=1, max_length=len(w.EVENT_TYPES) + 1, description=TYPES)
    description: str = Field("", max_length=500)

    @field_validator("event_types")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        return _types(v)


class WebhookPatch(BaseModel):
    """A field not sent is not changed; ``enabled: true`` re-enables a disabled endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl | None = None
    event_types: list[str] | None = Field(None, min_length=1, max_length=len(w.EVENT_TYPES) + 1, description=TYPES)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = None

    @field_validator("event_types")
    @classmethod
    def _known(cls, v: list[str] | None) -> list[str] | None:
        return v if v is None else _types(v)


class WebhookOut(BaseModel):
    id: str
    site_id: str
    url: str
    event_types: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None = Field(description="the first failed delivery since the last success (5 days of it disables)")
    previous_secret_until: datetime | None = Field(description="after a rotation: the old secret also signs until then")
    created_at: datetime | None
    updated_at: datetime | None


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="whsec_…: shown only now (at create and at rotate), never again")


class WebhookPage(BaseModel):
    count: int
    total: int
    next: str | None
    results: list[WebhookOut]


class DeliveryOut(BaseModel):
    event_id: str
    webhook_id: str = Field(description="the webhook-id header: the same on every attempt and redelivery")
    event_type: str
    status: str = Field(description="pending, delivered or failed (the schedule spent, or the endpoint answered 410)")
    attempt: int = Field(description="attempts made")
    http_status: int | None
    latency_ms: int | None
    response: str | None = Field(description="at most 1 KB of the last answer")
    error: str | None = Field(description="why the last attempt got no answer (refused, timed out, …)")
    next_attempt_at: datetime | None
    created_at: datetime
    attempted_at: datetime | None
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    count: int
    total: int
    next: str | None
    results: list[DeliveryOut]


class Sent(BaseModel):
    event_id: str
    webhook_id: str


class RedeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: datetime = Field(description="RFC 3339: every delivery of this endpoint made since then is sent again (same webhook-id)")

    @field_validator("since")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("needs a time zone offset (RFC 3339)")
        return v


class Redelivered(BaseModel):
    count: int = Field(description="deliveries queued again")


def _store(svc: Services) -> Any:
    if svc.webhooks is None:
        raise Problem(404, "Not found", "webhooks are not configured here", code="not_found")
    return svc.webhooks


async def _safe(url: str, svc: Services) -> None:
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            await check_url(url, Policy.parse(svc.settings.outbound_allow))
    except Refused as err:
        raise Problem(422, "Invalid request", f"url: {err}", code="url_refused", field="url") from err
    except TimeoutError as err:
        raise Problem(422, "Invalid request", "url: its host did not resolve in time", code="url_refused", field="url") from err


async def _mine(svc: Services, who: Caller, webhook: str) -> Endpoint:
    ep: Endpoint | None = await _store(svc).endpoint(who.site_id, webhook)
    if ep is None:
        raise Problem(404, "Not found", f"no webhook {webhook}", code="not_found", field="webhook_id")
    return ep


def _secret() -> str:
    return w.new_secret(os.urandom(w.SECRET_BYTES))


@router.post("/webhooks/", status_code=201, response_model=WebhookWithSecret, summary="Add an endpoint; its secret is answered only now")
async def create(body: WebhookIn, who: Caller = writer, svc: Services = Svc) -> Any:
    await _safe(str(body.url), svc)
    secret = _secret()
    ep = await _store(svc).create(who.site_id, str(body.url), body.event_types, body.description, Secret(secret))
    return ORJSON({**ep.view(), "secret": secret}, status_code=201)


@router.get("/webhooks/", response_model=WebhookPage, summary="The site's endpoints")
async def list_(
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    who: Caller = reader,
    svc: Services = Svc,
) -> Any:
    eps = await _store(svc).endpoints(who.site_id)
    return ORJSON(page(request, [e.view() for e in eps[offset : offset + limit]], len(eps), limit, offset))


@router.get("/webhooks/{webhook_id}/", response_model=WebhookOut, summary="One endpoint (never its secret)")
async def read(webhook_id: str, who: Caller = reader, svc: Services = Svc) -> Any:
    return ORJSON((await _mine(svc, who, webhook_id)).view())


@router.patch("/webhooks/{webhook_id}/", response_model=WebhookOut, summary="Change an endpoint: a field not sent is not changed")
async def update(webhook_id: str, body: WebhookPatch, who: Caller = writer, svc: Services = Svc) -> Any:
    await _mine(svc, who, webhook_id)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if "url" in changes:
        changes["url"] = str(changes["url"])
        await _safe(changes["url"], svc)
    ep = await _store(svc).update(who.site_id, webhook_id, changes)
    if ep is None:
        raise Problem(404, "Not found", f"no webhook {webhook_id}", code="not_found", field="webhook_id")
    return ORJSON(ep.view())


@router.delete(
    "/webhooks/{webhook_id}/", status_code=204, response_class=Response, summary="Remove an endpoint, its deliveries and its secret"
)
async def delete(webhook_id: str, who: Caller = writer, svc: Services = Svc) -> Response:
    if not await _store(svc).delete(who.site_id, webhook_id):
        raise Problem(404, "Not found", f"no webhook {webhook_id}", code="not_found", field="webhook_id")
    return Response(status_code=204)


@router.post(
    "/webhooks/{webhook_id}/rotate/",
    response_model=WebhookWithSecret,
    summary="A new secret, answered only now; the old one still signs (beside it) for 24 h",
)
async def rotate(webhook_id: str, who: Caller = writer, svc: Services = Svc) -> Any:
    await _mine(svc, who, webhook_id)
    secret = _secret()
    ep = await _store(svc).rotate(who.site_id, webhook_id, Secret(secret), utcnow() + w.PREVIOUS_SECRET_VALID)
    if ep is None:
        raise Problem(404, "Not found", f"no webhook {webhook_id}", code="not_found", field="webhook_id")
    return ORJSON({**ep.view(), "secret": secret})


@router.post("/webhooks/{webhook_id}/test/", status_code=202, response_model=Sent, summary="Send a webhook.test event to this endpoint")
async def test(webhook_id: str, who: Caller = writer, svc: Services = Svc) -> Any:
    ep = await _mine(svc, who, webhook_id)
    now = utcnow()
    event_id = f"test_{uuid.uuid4().hex}"
    data = {"endpoint_id": ep.endpoint_id, "site_id": who.site_id, "message": "a test event from Socializer"}
    msg = w.message_id(event_id, ep.endpoint_id)
    await _store(svc).enqueue([NewDelivery(ep.endpoint_id, event_id, msg, w.TEST, w.body(w.TEST, now, data))], now)
    return ORJSON({"event_id": event_id, "webhook_id": msg}, status_code=202)


@router.get("/webhooks/{webhook_id}/deliveries/", response_model=DeliveryPage, summary="The endpoint's deliveries, newest first")
async def deliveries(
    webhook_id: str,
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    who: Caller = reader,
    svc: Services = Svc,
) -> Any:
    await _mine(svc, who, webhook_id)
    rows, total = await _store(svc).deliveries(who.site_id, webhook_id, limit, offset)
    return ORJSON(page(request, rows, total, limit, offset))


@router.post(
    "/webhooks/{webhook_id}/redeliver/",
    status_code=202,
    response_model=Redelivered,
    summary="Send again every delivery made since a time (same webhook-id; the schedule starts over)",
)
async def redeliver(webhook_id: str, body: RedeliverIn, who: Caller = writer, svc: Services = Svc) -> Any:
    await _mine(svc, who, webhook_id)
    n = await _store(svc).redeliver(who.site_id, webhook_id, body.since, utcnow())
    return ORJSON({"count": n}, status_code=202)
