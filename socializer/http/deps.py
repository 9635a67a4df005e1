"""What every route is given: the services opened at start-up (:class:`Services`), who is calling
(an API key, scoped to one site), and the helpers that keep a caller inside its own site."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
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
from adapters.sites import SiteDirectory
from commands import posts as decider
from commands.exceptions import PostNotFound
from projections import queries as q
from schemas import commands as c
from schemas import topics as t
from schemas.events import Event
from schemas.registry import registry
from socializer.http.connections import Connections
from socializer.http.models import Accepted, Position
from socializer.settings import Settings

SOURCE = "socializer/api"


class Bus:
    """Appends events to their topics and reports where they landed."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all", linger_ms=1)
        self.sender = AIOKafkaSender(self.producer)

    async def append(self, topic: str, key: str, message: BaseModel, *, causation: str | None = None) -> Position:
        env = registry.envelope(message, source=SOURCE, subject=key, causationid=causation)
        (md,) = await send_all(self.sender, topic, [(key, env)])
        return Position(event_id=env.id, type=env.type, topic=topic, partition=md.partition, offset=md.offset)


@dataclass
class Services:
    settings: Settings
    sites: SiteDirectory
    pool: asyncpg.Pool
    keys: ApiKeys
    accounts: AccountStore
    connections: Connections
    bus: Bus

    def site_tz(self, site_id: str) -> str:
        site = self.sites.site(site_id)
        return site.timezone if site else "UTC"

    async def load_state(self, post_id: str, who: Caller) -> decider.PostState:
        row = await q.get_post(self.pool, post_id)
        if row is None or row["site_id"] != who.site_id:  # another site's post does not exist for this caller
            raise PostNotFound(f"no post {post_id}", field="post_id")
        return decider.PostState(
            post_id=row["post_id"],
            site_id=row["site_id"],
            account_id=row["account_id"],
            platform=row["platform"],
            status=row["status"],
            scheduled_at=row["scheduled_at"],
        )

    async def wait_for(self, positions: list[Position], projection: str, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a deadline over many polls
        deadline = time.monotonic() + timeout
        for p in positions:
            while not await q.position_reached(self.pool, projection, p.topic, p.partition, p.offset):
                if time.monotonic() > deadline:
                    return
                await asyncio.sleep(0.02)

    async def append_events(self, events: list[Event], wait: bool) -> Accepted:
        positions = [await self.bus.append(t.POSTS, ev.post_id, ev) for ev in events]  # type: ignore[attr-defined]
        if wait:
            await self.wait_for(positions, "posts")
        return Accepted(events=positions)

    async def decide_and_append(self, post_id: str, cmd: c.Command, wait: bool, who: Caller) -> Accepted:
        st = await self.load_state(post_id, who)
        return await self.append_events(decider.decide(st, cmd, datetime.now(UTC)), wait)


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
