"""The HTTP API: read endpoints over the read models, command endpoints that append events.

Commands are decided against the read model's state and answered with the event id and its
position (topic, partition, offset); ``?wait=true`` returns only once the read model has applied it
(read-your-writes). Every error is ``application/problem+json`` naming the field.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.accounts.states import PostgresStates
from adapters.accounts.store import AccountStore
from adapters.api_keys import ApiKeys, Caller
from adapters.kafka import AIOKafkaSender, send_all
from adapters.outbox import PostgresOutbox
from adapters.postgres import create_pool
from adapters.sites import SiteDirectory
from adapters.vault.crypto import Keyring
from adapters.vault.store import TokenVault
from commands import posts as decider
from commands.exceptions import AccountNotFound, CommandRefused, ConnectionRefused, InvalidTransition, PostNotFound
from domain.accounts import AccountSettings
from projections import queries as q
from schemas import commands as c
from schemas import topics as t
from schemas.events import PLATFORMS, ContentPublished, Event, Platform, PostStatus, PostType
from schemas.registry import registry
from socializer.http.connections import Connections
from socializer.settings import Settings

SOURCE = "socializer/api"
log = logging.getLogger("socializer.api")
PROBLEM = "application/problem+json"


class ORJSON(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str, option=orjson.OPT_UTC_Z)


def problem(
    status: int, title: str, detail: str, *, field: str | None = None, code: str | None = None, errors: list[dict[str, Any]] | None = None
) -> Response:
    body: dict[str, Any] = {"type": f"https://socializer.dev/problems/{code or status}", "title": title, "status": status, "detail": detail}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM)


class Position(BaseModel):
    event_id: str
    type: str
    topic: str
    partition: int
    offset: int


class Accepted(BaseModel):
    events: list[Position]


class GenerateRequest(BaseModel):
    content_id: str = Field(min_length=1)
    platforms: list[Platform] | None = None
    post_types: list[PostType] | None = None
    auto_schedule: bool | None = None


class BulkGenerateRequest(BaseModel):
    content_ids: list[str] = Field(min_length=1, max_length=500)
    platforms: list[Platform] | None = None
    post_types: list[PostType] | None = None
    auto_schedule: bool | None = None


class BulkScheduleRequest(BaseModel):
    post_ids: list[str] = Field(min_length=1, max_length=1000)
    auto_space: bool = True
    scheduled_at: datetime | None = None


class ConnectRequest(BaseModel):
    account_type: str | None = Field(
        None, description="linkedin: personal|organization; facebook: page; instagram: business; youtube: channel; others: personal"
    )
    features: list[str] = Field(default_factory=lambda: ["publish"], description="publish, analytics: the least scopes they need")
    select: list[str] | None = Field(None, description="connect only these platform account ids (pages, organizations)")
    settings: AccountSettings | None = None
    user: str = Field("", max_length=200, description="who starts the connection (your user id), kept on the account")


class Connect(BaseModel):
    authorization_url: str
    state_expires_at: datetime
    scopes: list[str]
    redirect_uri: str


class Bus:
    """Appends events to their topics and reports where they landed."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all", linger_ms=1)
        self.sender = AIOKafkaSender(self.producer)

    async def append(self, topic: str, key: str, message: BaseModel, *, causation: str | None = None) -> Position:
        env = registry.envelope(message, source=SOURCE, subject=key, causationid=causation)
        (md,) = await send_all(self.sender, topic, [(key, env)])
        return Position(event_id=env.id, type=env.type, topic=topic, partition=md.partition, offset=md.offset)


def create_api(settings: Settings, sites: SiteDirectory, oauth: dict[str, Any]) -> FastAPI:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        settings.require("broker", "database_url", "vault_keys")
        state["pool"] = await create_pool(settings.database_url, max_size=10)  # type: ignore[arg-type]
        state["keys"] = ApiKeys(state["pool"])
        store = AccountStore(
            state["pool"], TokenVault(state["pool"], Keyring.from_setting(settings.vault_keys, settings.vault_active_key)), ttl=0
        )
        state["accounts"] = store
        state["connections"] = Connections(PostgresStates(state["pool"]), store, oauth, state_ttl_seconds=settings.oauth_state_ttl_seconds)
        bus = Bus(settings.broker)  # type: ignore[arg-type]
        await bus.producer.start()
        state["bus"] = bus
        try:
            yield
        finally:
            await bus.producer.stop()
            await state["pool"].close()

    app = FastAPI(
        title="Socializer",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=ORJSON,
        description="Turns published articles into social posts, schedules, publishes and measures them.",
    )
    api = APIRouter(prefix="/api/v1/social")

    def pool() -> asyncpg.Pool:
        return state["pool"]

    # ---------- who is calling ----------
    bearer = HTTPBearer(auto_error=False, scheme_name="ApiKey", description="A site's API key: `Authorization: Bearer sk_…`")

    async def caller(creds: HTTPAuthorizationCredentials | None = Security(bearer)) -> Caller:
        found = await state["keys"].verify(creds.credentials) if creds else None
        if found is None:
            raise StarletteHTTPException(
                401, "a valid API key is required (Authorization: Bearer sk_…)", headers={"WWW-Authenticate": "Bearer"}
            )
        return found

    def scope(name: str):  # type: ignore[no-untyped-def]
        async def check(c: Caller = Depends(caller)) -> Caller:
            if name not in c.scopes:
                raise StarletteHTTPException(403, f"this API key has no {name!r} scope")
            return c

        return check

    reader, writer = Depends(scope("read")), Depends(scope("write"))

    def own_site(c: Caller, site_id: str | None) -> str:
        if site_id is not None and site_id != c.site_id:
            raise StarletteHTTPException(403, "site_id: this API key belongs to another site")
        return c.site_id

    def bus() -> Bus:
        return state["bus"]

    # ---------- errors ----------
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, err: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]} for e in err.errors()]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        return problem(
            422, "Invalid request", f"{first['field']}: {first['message']}", field=first["field"], code="invalid_request", errors=errors
        )

    @app.exception_handler(CommandRefused)
    async def refused(_: Request, err: CommandRefused) -> Response:
        status = 404 if isinstance(err, (PostNotFound, AccountNotFound)) else 409 if isinstance(err, InvalidTransition) else 422
        if isinstance(err, ConnectionRefused):
            status = err.status
        return problem(status, type(err).__name__, err.detail, field=err.field, code=err.code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, err: StarletteHTTPException) -> Response:
        resp = problem(
            err.status_code,
            {401: "Unauthorized", 403: "Forbidden"}.get(err.status_code, "HTTP error"),
            str(err.detail),
            field="site_id" if str(err.detail).startswith("site_id") else None,
        )
        resp.headers.update(err.headers or {})
        return resp

    # ---------- helpers ----------
    def site_tz(site_id: str) -> str:
        site = sites.site(site_id)
        return site.timezone if site else "UTC"

    async def load_state(post_id: str, c: Caller) -> decider.PostState:
        row = await q.get_post(pool(), post_id)
        if row is None or row["site_id"] != c.site_id:  # another site's post does not exist for this caller
            raise PostNotFound(f"no post {post_id}", field="post_id")
        return decider.PostState(
            post_id=row["post_id"],
            site_id=row["site_id"],
            account_id=row["account_id"],
            platform=row["platform"],
            status=row["status"],
            scheduled_at=row["scheduled_at"],
        )

    async def wait_for(positions: list[Position], projection: str, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a deadline over many polls
        deadline = time.monotonic() + timeout
        for p in positions:
            while not await q.position_reached(pool(), projection, p.topic, p.partition, p.offset):
                if time.monotonic() > deadline:
                    return
                await asyncio.sleep(0.02)

    async def append_events(events: list[Event], wait: bool) -> Accepted:
        positions = [await bus().append(t.POSTS, ev.post_id, ev) for ev in events]  # type: ignore[attr-defined]
        if wait:
            await wait_for(positions, "posts")
        return Accepted(events=positions)

    async def decide_and_append(post_id: str, cmd: c.Command, wait: bool, who: Caller) -> Accepted:
        st = await load_state(post_id, who)
        return await append_events(decider.decide(st, cmd, datetime.now(UTC)), wait)

    async def generate_for(content_id: str, body: GenerateRequest | BulkGenerateRequest, who: Caller) -> Position:
        row = await q.get_content(pool(), content_id)
        if row is None or row["site_id"] != who.site_id:
            raise PostNotFound(f"no content {content_id} has been published", field="content_id")
        article = ContentPublished.model_validate({**row, "image_urls": row["image_urls"], "keywords": row["keywords"]})
        cmd = c.GeneratePosts(article=article, platforms=body.platforms, post_types=body.post_types, auto_schedule=body.auto_schedule)
        return await bus().append(t.POSTS_GENERATE, content_id, cmd)

    # ---------- reads ----------
    @api.get("/posts/", summary="List posts with filters")
    async def list_posts(
        site_id: str | None = None,
        who: Caller = reader,
        platform: Platform | None = None,
        status: PostStatus | None = None,
        content_id: str | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> Any:
        items = await q.list_posts(
            pool(),
            site_id=own_site(who, site_id),
            platform=platform,
            status=status,
            content_id=content_id,
            date_from=date_from,
            date_to=date_to,
            limit=limit,
            offset=offset,
        )
        return ORJSON({"count": len(items), "results": items})

    @api.get("/posts/{post_id}/", summary="One post")
    async def get_post(post_id: str, who: Caller = reader) -> Any:
        row = await q.get_post(pool(), post_id)
        if row is None or row["site_id"] != who.site_id:
            raise PostNotFound(f"no post {post_id}", field="post_id")
        return ORJSON(row)

    @api.get("/calendar/", summary="Scheduled and published posts by day, for a month or an ISO week")
    async def calendar(
        site_id: str | None = None,
        who: Caller = reader,
        month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$"),
        week: str | None = Query(None, pattern=r"^\d{4}-W\d{2}$"),
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
        return ORJSON(await q.calendar(pool(), site_id=site_id, start=start, end=end, tz=site_tz(site_id)))

    @api.get("/analytics/", summary="Per-platform performance, top posts and best hours")
    async def analytics(site_id: str | None = None, who: Caller = reader, top: int = Query(10, ge=1, le=100)) -> Any:
        site_id = own_site(who, site_id)
        return ORJSON(await q.analytics(pool(), site_id=site_id, tz=site_tz(site_id), top=top))

    @api.get("/analytics/posts/", summary="Per-post engagement")
    async def analytics_posts(
        site_id: str | None = None,
        who: Caller = reader,
        platform: Platform | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> Any:
        items = await q.analytics_posts(pool(), site_id=own_site(who, site_id), platform=platform, limit=limit, offset=offset)
        return ORJSON({"count": len(items), "results": items})

    @api.get("/analytics/posts/{post_id}/", summary="One post's engagement and its history")
    async def post_analytics(post_id: str, who: Caller = reader) -> Any:
        row = await q.post_analytics(pool(), post_id)
        if row is None or row["site_id"] != who.site_id:
            raise PostNotFound(f"no engagement recorded for post {post_id}", field="post_id")
        return row

    # ---------- accounts ----------
    def accounts_store() -> AccountStore:
        return state["accounts"]

    async def relay_now() -> None:
        """Send the account events just committed; if the broker hiccups the worker's relay sends them."""
        try:
            await PostgresOutbox(pool()).relay(bus().sender)
        except Exception as err:  # noqa: BLE001 - the events are safe in the outbox
            log.warning("outbox relay deferred to the worker: %s", type(err).__name__)

    async def own_account(account_id: str, who: Caller) -> Any:
        account = await accounts_store().get(account_id, fresh=True)
        if account is None or account.site_id != who.site_id:
            raise AccountNotFound(f"no account {account_id}", field="account_id")
        return account

    @api.get("/accounts/", summary="Connected accounts of a site, with their status (never tokens)")
    async def accounts(
        site_id: str | None = None,
        who: Caller = reader,
        platform: str | None = None,
        status: str | None = Query(None, pattern="^(active|needs_reauth|disconnected)$"),
    ) -> Any:
        rows = await accounts_store().for_site(own_site(who, site_id), include_inactive=True)
        rows = [a for a in rows if (platform is None or a.platform == platform) and (status is None or a.status == status)]
        return ORJSON({"count": len(rows), "results": [a.model_dump(mode="json") for a in rows]})

    @api.get("/accounts/{account_id}/", summary="One connected account (never tokens)")
    async def account(account_id: str, who: Caller = reader) -> Any:
        return ORJSON((await own_account(account_id, who)).model_dump(mode="json"))

    @api.get(
        "/accounts/{account_id}/history/",
        summary="The account's events, newest first: connections, refreshes, re-authorisations, settings changes",
    )
    async def account_history(account_id: str, who: Caller = reader, limit: int = Query(100, ge=1, le=1000)) -> Any:
        await own_account(account_id, who)
        items = await q.account_history(pool(), account_id, limit)
        return ORJSON({"count": len(items), "results": items})

    @api.post(
        "/accounts/connect/{platform}/",
        status_code=201,
        response_model=Connect,
        summary="Start connecting an account: send the user's browser to authorization_url",
    )
    async def connect(platform: str, body: ConnectRequest | None = None, who: Caller = writer) -> Any:
        body = body or ConnectRequest()
        url, expires, scopes = await state["connections"].start(
            site_id=who.site_id,
            key_id=who.key_id,
            platform=platform,
            account_type=body.account_type,
            features=body.features,
            select=body.select,
            settings=body.settings,
            user_ref=body.user,
        )
        return Connect(authorization_url=url, state_expires_at=expires, scopes=scopes, redirect_uri=settings.redirect_uri(platform))

    @api.get(
        "/accounts/callback/{platform}/",
        status_code=201,
        openapi_extra={"security": [{}, {"ApiKey": []}]},
        summary="Where the provider sends the browser back: the one-time state authenticates it; an API key, if"
        " sent (a dashboard relaying the redirect), must be the same site's",
    )
    async def callback(platform: str, request: Request, creds: HTTPAuthorizationCredentials | None = Security(bearer)) -> Any:
        who = await state["keys"].verify(creds.credentials) if creds else None
        connected = await state["connections"].finish(platform, dict(request.query_params), caller_site=who.site_id if who else None)
        await relay_now()
        return ORJSON({"count": len(connected), "results": [a.model_dump(mode="json") for a in connected]}, status_code=201)

    @api.put("/accounts/{account_id}/settings/", summary="Posting settings the scheduler uses for this account")
    async def account_settings(account_id: str, body: AccountSettings, who: Caller = writer) -> Any:
        account = await own_account(account_id, who)
        updated = await accounts_store().update_settings(account, body)
        await relay_now()
        return ORJSON(updated.model_dump(mode="json"))

    @api.delete("/accounts/{account_id}/", summary="Disconnect: revoke the grant at the platform, then shred the tokens")
    async def disconnect(account_id: str, who: Caller = writer) -> Any:
        account = await own_account(account_id, who)
        revoked, note = await state["connections"].disconnect(account)
        await relay_now()
        return ORJSON({"account_id": account_id, "status": "disconnected", "revoked": revoked, "note": note})

    # ---------- commands ----------
    @api.post("/posts/generate/", status_code=202, response_model=Accepted, summary="Adapt one article into posts")
    async def generate(body: GenerateRequest, who: Caller = writer) -> Any:
        return Accepted(events=[await generate_for(body.content_id, body, who)])

    @api.post("/posts/bulk-generate/", status_code=202, response_model=Accepted, summary="Adapt several articles")
    async def bulk_generate(body: BulkGenerateRequest, who: Caller = writer) -> Any:
        return Accepted(events=[await generate_for(cid, body, who) for cid in body.content_ids])

    @api.post("/posts/", status_code=202, response_model=Accepted, summary="Create a manual post for one account")
    async def create_post(body: c.CreatePost, wait: bool = False, who: Caller = writer) -> Any:
        own_site(who, body.site_id)
        found = await accounts_store().get(body.account_id, fresh=True)
        if found is None or found.site_id != body.site_id or found.status == "disconnected":
            raise PostNotFound(f"no account {body.account_id} on site {body.site_id}", field="account_id")
        if found.platform not in PLATFORMS:
            raise CommandRefused(f"account_id: {found.platform} accounts publish videos, not posts", field="account_id")
        events = decider.create(body, platform=found.platform, post_id=decider.new_post_id())
        return await append_events(events, wait)

    @api.put("/posts/{post_id}/", status_code=202, response_model=Accepted, summary="Edit a draft or scheduled post")
    async def edit_post(post_id: str, body: c.EditPost, wait: bool = False, who: Caller = writer) -> Any:
        return await decide_and_append(post_id, body, wait, who)

    @api.post(
        "/posts/{post_id}/schedule/",
        status_code=202,
        response_model=Accepted,
        summary="Schedule at a time, or (no body) at the account's next free best-time slot",
    )
    async def schedule_post(post_id: str, body: c.SchedulePost | None = None, wait: bool = False, who: Caller = writer) -> Any:
        return await decide_and_append(post_id, body or c.SchedulePost(), wait, who)

    @api.post("/posts/{post_id}/publish/", status_code=202, response_model=Accepted, summary="Publish now")
    async def publish_now(post_id: str, wait: bool = False, who: Caller = writer) -> Any:
        return await decide_and_append(post_id, c.PublishPostNow(), wait, who)

    @api.delete("/posts/{post_id}/", status_code=202, response_model=Accepted, summary="Cancel a post")
    async def cancel_post(post_id: str, reason: str = "", wait: bool = False, who: Caller = writer) -> Any:
        return await decide_and_append(post_id, c.CancelPost(reason=reason), wait, who)

    @api.post(
        "/posts/bulk-schedule/",
        status_code=202,
        response_model=Accepted,
        summary="Schedule many posts, auto-spaced over their accounts' best-time slots",
    )
    async def bulk_schedule(body: BulkScheduleRequest, wait: bool = False, who: Caller = writer) -> Any:
        cmd = c.SchedulePost(scheduled_at=None if body.auto_space else body.scheduled_at)
        if not body.auto_space and body.scheduled_at is None:
            return problem(422, "Invalid request", "scheduled_at: required when auto_space is false", field="scheduled_at")
        now = datetime.now(UTC)
        events: list[Event] = []
        for pid in body.post_ids:
            events += decider.decide(await load_state(pid, who), cmd, now)
        return await append_events(events, wait)

    app.include_router(api)

    media_root = settings.media_path

    @app.get("/media/{name}", summary="A rendered image (content-addressed, immutable)", responses={200: {"content": {"image/jpeg": {}}}})
    async def media(name: str) -> Any:
        from fastapi.responses import FileResponse

        if not re.fullmatch(r"[0-9a-f]{64}\.(jpg|png|webp)", name):
            return problem(404, "Not found", "no such media", field="name")
        path = media_root / name[:2] / name
        if not path.exists():
            return problem(404, "Not found", "no such media", field="name")
        return FileResponse(
            path,
            media_type="image/jpeg" if name.endswith(".jpg") else f"image/{name.rsplit('.', 1)[1]}",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    @app.get("/healthz", summary="Broker, database and projection lag")
    async def healthz() -> Any:
        out: dict[str, Any] = {}
        try:
            await pool().fetchval("SELECT 1")
            out["database"] = "ok"
        except Exception as err:
            out["database"] = f"error: {type(err).__name__}"
        try:
            await asyncio.wait_for(bus().producer.client.fetch_all_metadata(), 3)
            out["broker"] = "ok"
        except Exception as err:
            out["broker"] = f"error: {type(err).__name__}"
        lag: dict[str, int] = {}
        if out["database"] == "ok":
            for r in await q.checkpoints(pool()):
                lag[r["projection"]] = lag.get(r["projection"], 0) + r["lag"]
        out["projection_lag"] = lag
        ok = out["database"] == "ok" and out["broker"] == "ok"
        out["status"] = "ok" if ok else "degraded"
        return ORJSON(out, status_code=200 if ok else 503)

    return app
