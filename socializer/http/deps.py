"""What every route is given: the services opened at start-up (:class:`Services`), who is calling
(an API key, scoped to one site), and the helpers that keep a caller inside its own site."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.accounts.store import AccountStore
from adapters.api_keys import ApiKeys, Caller
from adapters.kafka import AIOKafkaSender, send_all
from adapters.outbox import PostgresOutbox
from adapters.post_states import PostgresPostStates
from adapters.sites import SiteStore
from adapters.voice import Synthesizer
from adapters.writer.llm import LLMWriter
from commands.exceptions import PostNotFound
from projections import queries as q
from schemas import commands as c
from schemas import topics as t
from schemas.envelope import derived_id
from schemas.events import ContentPublished
from schemas.registry import registry
from socializer.http.connections import Connections
from socializer.http.models import Accepted, Position
from socializer.http.problems import Problem
from socializer.settings import Settings

SOURCE = "socializer/api"


class Bus:
    """Appends events to their topics and reports where they landed."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all", linger_ms=1)
        self.sender = AIOKafkaSender(self.producer)

    async def append(self, topic: str, key: str, message: BaseModel, *, causation: str | None = None, id: str | None = None) -> Position:  # noqa: A002 - the envelope's own name
        """``id``: a derived id makes a retried request's message the same message (consumers dedupe on it)."""
        env = registry.envelope(message, source=SOURCE, subject=key, causationid=causation, **({"id": id} if id else {}))
        (md,) = await send_all(self.sender, topic, [(key, env)])
        return Position(event_id=env.id, type=env.type, topic=topic, partition=md.partition, offset=md.offset)


@dataclass
class Services:
    settings: Settings
    sites: SiteStore
    pool: asyncpg.Pool
    keys: ApiKeys
    accounts: AccountStore
    connections: Connections
    bus: Bus
    states: PostgresPostStates
    voices: Synthesizer  # the voices videos are narrated in
    narrator: LLMWriter | None = None  # an LLM that may rewrite a video's narration (the rule writer's otherwise)

    async def site_tz(self, site_id: str) -> str:
        site = await self.sites.site(site_id)
        return site.timezone if site else "UTC"

    async def article(self, content_id: str, who: Caller) -> ContentPublished:
        """A published article of the caller's site, as upstream sent it (another site's is a 404)."""
        row = await q.get_content(self.pool, content_id)
        if row is None or row["site_id"] != who.site_id:
            raise PostNotFound(f"no content {content_id} has been published", field="content_id")
        return ContentPublished.model_validate(row)

    async def visible(self, post_id: str, who: Caller) -> int | None:
        """404 unless the post is this caller's; then wait (briefly) until its single writer knows it,
        and return the version it knows (None: not yet)."""
        row = await q.get_post(self.pool, post_id)
        if row is None or row["site_id"] != who.site_id:  # another site's post does not exist for this caller
            raise PostNotFound(f"no post {post_id}", field="post_id")
        deadline = time.monotonic() + 5.0
        while (version := await self.states.version(post_id)) is None and time.monotonic() < deadline:  # noqa: ASYNC110 - polls another process's table
            await asyncio.sleep(0.02)
        return version

    async def wait_for(self, positions: list[Position], projection: str, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a deadline over many polls
        deadline = time.monotonic() + timeout
        for p in positions:
            while not await q.position_reached(self.pool, projection, p.topic, p.partition, p.offset):
                if time.monotonic() > deadline:
                    return
                await asyncio.sleep(0.02)

    async def command(
        self,
        who: Caller,
        post_id: str,
        *,
        wait: bool,
        idempotency_key: str | None = None,
        if_match: str | None = None,
        platform: str | None = None,
        **action: Any,
    ) -> Accepted:
        """Send a command to the post's single writer and answer with what it decided."""
        (kind,) = action
        command_id = derived_id("command", who.site_id, idempotency_key, kind, post_id) if idempotency_key else str(uuid.uuid4())
        outcome = await self.states.outcome(command_id)  # a retried request gets the first answer
        if outcome is None:
            current = await self.visible(post_id, who) if kind != "create" else None
            expected = version_of(if_match) if if_match else current
            cmd = c.DecidePost(
                command_id=command_id,
                post_id=post_id,
                site_id=who.site_id,
                expected_version=expected,
                requested_by=who.key_id,
                platform=platform,
                **action,
            )  # type: ignore[arg-type]
            await self.bus.append(t.POST_COMMANDS, post_id, cmd)
            deadline = time.monotonic() + COMMAND_TIMEOUT
            while (outcome := await self.states.outcome(command_id)) is None:
                if time.monotonic() > deadline:
                    return Accepted(events=[], post_id=post_id, command_id=command_id)  # decided later; the read model will show it
                await asyncio.sleep(0.02)
        if outcome.status != 202:
            b = outcome.body
            raise Problem(outcome.status, b.get("title", "Refused"), b.get("detail", ""), code=b.get("code"), field=b.get("field"))
        positions = [Position(**p) for p in outcome.body["events"]]
        if wait:
            await self.wait_for(positions, "posts")
        return Accepted(events=positions, post_id=post_id, version=outcome.body.get("version"), command_id=command_id)


COMMAND_TIMEOUT = 15.0


def version_of(if_match: str) -> int:
    """``If-Match: "7"`` (the ETag a read returned), or a bare number."""
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise Problem(400, "Invalid request", "If-Match: the post's version, as its ETag gave it", code="invalid_request", field="If-Match")
    return int(raw)


def page(request: Request, items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    """A list answer: this page (``count`` items), how many match in all, and the next page's URL."""
    more = offset + len(items) < total
    nxt = str(request.url.include_query_params(offset=offset + limit, limit=limit)) if more and items else None
    return {"count": len(items), "total": total, "next": nxt, "results": items}


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey", description="A site's API key: `Authorization: Bearer sk_…`")


async def caller(creds: HTTPAuthorizationCredentials | None = Security(bearer), svc: Services = Depends(services)) -> Caller:
    found = await svc.keys.verify(creds.credentials) if creds else None
    if found is None:
        raise StarletteHTTPException(
            401, "a valid API key is required (Authorization: Bearer sk_…)", headers={"WWW-Authenticate": "Bearer"}
        )
    return found


def scope(name: str) -> Any:
    async def check(who: Caller = Depends(caller)) -> Caller:
        if name not in who.scopes:
            raise StarletteHTTPException(403, f"this API key has no {name!r} scope")
        return who

    return check


reader, writer = Depends(scope("read")), Depends(scope("write"))
Svc = Depends(services)


def own_site(who: Caller, site_id: str | None) -> str:
    if site_id is not None and site_id != who.site_id:
        raise StarletteHTTPException(403, "site_id: this API key belongs to another site")
    return who.site_id


async def relay_now(svc: Services) -> None:
    """Send the events just committed (accounts, sites); if the broker hiccups the worker's relay sends them."""
    try:
        await PostgresOutbox(svc.pool).relay(svc.bus.sender)
    except Exception as err:  # noqa: BLE001 - the events are safe in the outbox
        logging.getLogger("socializer.api").warning("outbox relay deferred to the worker: %s", type(err).__name__)
