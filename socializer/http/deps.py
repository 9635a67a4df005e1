"""What every route is given: the services opened at start-up (:class:`Services`), who is calling
(an API key, scoped to one site), and the helpers that keep a caller inside its own site."""

from __future__ import annotations

import asyncio
import hmac
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
from adapters.learning import Learning
from adapters.outbox import PostgresOutbox
from adapters.outcomes import PostgresOutcomes
from adapters.post_states import Outcome, PostgresPostStates
from adapters.sites import SiteStore
from adapters.voice import Synthesizer
from adapters.web_sessions import Session, WebSessions
from adapters.webhooks import WebhookStore
from adapters.writer.llm import LLMWriter
from commands.exceptions import PostNotFound
from projections import queries as q
from schemas import commands as c
from schemas import topics as t
from schemas.envelope import Envelope, derived_id
from schemas.events import ContentPublished
from schemas.registry import registry
from socializer.http.connections import Connections
from socializer.http.models import Accepted, CommandResult, Position
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
    outcomes: PostgresOutcomes  # what the posts' single writer decided, by command id
    voices: Synthesizer  # the voices videos are narrated in
    narrator: LLMWriter | None = None  # an LLM that may rewrite a video's narration (the rule writer's otherwise)
    learning: Learning | None = None  # what the best-time learner knows per account
    webhooks: WebhookStore | None = None  # the sites' outbound webhook endpoints and deliveries
    web_sessions: WebSessions | None = None  # the dashboard's signed-in browsers

    async def site_tz(self, site_id: str) -> str:
        site = await self.sites.site(site_id)
        return site.timezone if site else "UTC"

    async def article(self, content_id: str, who: Caller) -> ContentPublished:
        """A published article of the caller's site, as upstream sent it (another site's is a 404)."""
        row = await q.get_content(self.pool, content_id)
        if row is None or row["site_id"] != who.site_id:
            raise PostNotFound(f"no content {content_id} has been published", field="content_id")
        return ContentPublished.model_validate(row)

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
        """Send a command to the post's single writer and answer with what it decided: the problem
        if it refused, or ``pending`` if it did not decide within the deadline."""
        (result,) = await self.commands(who, [post_id], idempotency_key=idempotency_key, if_match=if_match, platform=platform, **action)
        if result.outcome == "refused":
            b = result.problem or {}
            raise Problem(
                b.get("status", 409),
                b.get("title", "Refused"),
                b.get("detail", ""),
                code=b.get("code"),
                field=b.get("field"),
                extra={"conflict": b["conflict"]} if b.get("conflict") else None,
            )
        if wait and result.events:
            await self.wait_for(result.events, "posts")
        return Accepted(
            events=result.events,
            post_id=post_id,
            version=result.version,
            command_id=result.command_id,
            pending=result.outcome == "pending" or None,
        )

    async def commands(
        self,
        who: Caller,
        post_ids: list[str],
        *,
        idempotency_key: str | None = None,
        if_match: str | None = None,
        platform: str | None = None,
        **action: Any,
    ) -> list[CommandResult]:
        """The same command on many posts: every command is sent first, then their outcomes are
        awaited together under one deadline, so a bulk request costs about one round trip."""
        (kind,) = action
        deadline = time.monotonic() + self.settings.command_deadline_seconds

        def command_id(post_id: str) -> str:
            if idempotency_key:
                key = f"{idempotency_key}:{post_id}" if len(post_ids) > 1 else idempotency_key
                return derived_id("command", who.site_id, key, kind, post_id)
            return str(uuid.uuid4())

        ids = {pid: command_id(pid) for pid in post_ids}
        known = await self.outcomes.wait(list(ids.values()), 0) if idempotency_key else {}  # a retried request gets the first answer
        refused: dict[str, CommandResult] = {}
        to_send: list[tuple[str, Envelope]] = []
        if kind != "create":
            seen = await q.post_versions(self.pool, [p for p in post_ids if ids[p] not in known])
            folded = await self.states.versions([p for p in seen if seen[p][0] == who.site_id])
        for pid in post_ids:
            if ids[pid] in known:
                continue
            expected = None
            if kind != "create":
                site, read = seen.get(pid, (None, None))
                if site != who.site_id:  # another site's post does not exist for this caller
                    refused[pid] = _refused(pid, ids[pid], 404, "PostNotFound", f"no post {pid}", "post_not_found", "post_id")
                    continue
                # The newest version the caller could have read: the writer decides on no older state.
                newest = max(read or 0, folded.get(pid) or 0)
                expected = version_of(if_match) if if_match else newest
                if expected > newest:
                    detail = f"post {pid} has no version {expected} (it is at {newest}): read it again"
                    refused[pid] = _refused(pid, ids[pid], 409, "VersionConflict", detail, "version_conflict", "If-Match")
                    continue
            cmd = c.DecidePost(
                command_id=ids[pid],
                post_id=pid,
                site_id=who.site_id,
                expected_version=expected,
                requested_by=who.key_id,
                platform=platform,
                **action,
            )
            to_send.append((pid, registry.envelope(cmd, source=SOURCE, subject=pid, id=derived_id(ids[pid], "envelope"))))
        if to_send:
            await send_all(self.bus.sender, t.POST_COMMANDS, to_send)
            waiting = [ids[pid] for pid, _ in to_send]
            known |= await self.outcomes.wait(waiting, max(0.0, deadline - time.monotonic()))
        return [refused.get(pid) or _result(pid, ids[pid], known.get(ids[pid])) for pid in post_ids]


def _refused(post_id: str, command_id: str, status: int, title: str, detail: str, code: str, field: str) -> CommandResult:
    problem = {"status": status, "title": title, "detail": detail, "code": code, "field": field}
    return CommandResult(post_id=post_id, outcome="refused", command_id=command_id, problem=problem)


def _result(post_id: str, command_id: str, outcome: Outcome | None) -> CommandResult:
    if outcome is None:
        return CommandResult(post_id=post_id, outcome="pending", command_id=command_id)
    b = outcome.body
    if outcome.status != 202:
        problem = {"status": outcome.status, **{k: b.get(k) for k in ("title", "detail", "code", "field")}}
        if b.get("conflict"):  # a schedule conflict: the post in the way and the next free slot
            problem["conflict"] = b["conflict"]
        return CommandResult(post_id=post_id, outcome="refused", command_id=command_id, problem=problem)
    events = [Position(**p) for p in b.get("events", [])]
    return CommandResult(post_id=post_id, outcome="accepted", command_id=command_id, version=b.get("version"), events=events)


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


SESSION_COOKIE = "socializer_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def session_of(request: Request, svc: Services) -> Session | None:
    """The dashboard's signed-in browser, if the request carries its cookie."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or svc.web_sessions is None:
        return None
    return await svc.web_sessions.find(cookie)


async def caller(
    request: Request, creds: HTTPAuthorizationCredentials | None = Security(bearer), svc: Services = Depends(services)
) -> Caller:
    """An API key, or the dashboard's session cookie: a browser's request that changes something must
    also carry the session's CSRF token in ``X-CSRF-Token`` (another site's page cannot read it)."""
    if creds:
        found = await svc.keys.verify(creds.credentials)
    elif (session := await session_of(request, svc)) is not None:
        if request.method not in SAFE_METHODS and not hmac.compare_digest(request.headers.get("x-csrf-token", ""), session.csrf):
            raise StarletteHTTPException(403, "X-CSRF-Token: missing or not this session's")
        found = session.caller
    else:
        found = None
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
