"""The HTTP API: read endpoints over the read models, command endpoints that append events.

Commands go to their aggregate's single writer and are answered with what it decided: the events'
ids and positions (topic, partition, offset); ``?wait=true`` returns only once the read model has applied it
(read-your-writes). Every error is ``application/problem+json`` naming the field.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI

from adapters.accounts.states import PostgresStates
from adapters.accounts.store import AccountStore
from adapters.api_keys import ApiKeys
from adapters.heartbeats import Heartbeats
from adapters.lag import LagReader
from adapters.learning import PostgresLearning
from adapters.outcomes import PostgresOutcomes
from adapters.post_states import PostgresPostStates
from adapters.postgres import create_pool
from adapters.sites import PostgresSites
from adapters.vault.crypto import Keyring
from adapters.vault.store import TokenVault
from adapters.voice import Synthesizer
from adapters.web_sessions import WebSessions
from adapters.webhooks import PostgresWebhooks
from adapters.writer.llm import LLMWriter
from socializer import web
from socializer.http import (
    accounts,
    analytics,
    automations,
    calendar,
    inbound,
    inbox,
    notifications,
    ops,
    posts,
    problems,
    sites,
    video,
    webhooks,
)
from socializer.http.automation_runs import router as automation_runs_router
from socializer.http.connections import Connections
from socializer.http.deps import Bus, Services
from socializer.http.imports import router as imports_router
from socializer.http.ops import Signals
from socializer.http.queues import router as queues_router
from socializer.http.usage import router as usage_router
from socializer.observability import GROUPS, beat_until
from socializer.settings import Settings


def create_api(settings: Settings, oauth: dict[str, Any], voices: Synthesizer, narrator: LLMWriter | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.require("broker", "database_url", "vault_keys")
        pool = await create_pool(settings.database_url, max_size=10)  # type: ignore[arg-type]
        vault = TokenVault(pool, Keyring.from_setting(settings.vault_keys, settings.vault_active_key))
        store = AccountStore(pool, vault, ttl=0)
        bus = Bus(settings.broker)  # type: ignore[arg-type]
        await bus.producer.start()
        outcomes = PostgresOutcomes(pool, lambda: asyncpg.connect(settings.database_url))
        app.state.services = Services(
            settings=settings,
            sites=PostgresSites(pool),
            pool=pool,
            keys=ApiKeys(pool),
            accounts=store,
            connections=Connections(PostgresStates(pool), store, oauth, state_ttl_seconds=settings.oauth_state_ttl_seconds),
            bus=bus,
            states=PostgresPostStates(pool),
            outcomes=outcomes,
            voices=voices,
            narrator=narrator,
            learning=PostgresLearning(pool),
            webhooks=PostgresWebhooks(pool, vault),
            web_sessions=WebSessions(pool, settings.web_session_ttl_seconds),
        )
        app.state.signals = Signals(Heartbeats(pool), LagReader(settings.broker, GROUPS))  # type: ignore[arg-type]
        stop = asyncio.Event()
        beating = asyncio.create_task(beat_until(settings, "api", stop))
        try:
            yield
        finally:
            stop.set()
            await beating
            await app.state.signals.lag.close()
            await bus.producer.stop()
            await outcomes.close()
            await pool.close()

    app = FastAPI(
        title="Socializer",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=problems.ORJSON,
        description="Turns published articles into social posts, schedules, publishes and measures them.",
        docs_url=None,  # served by socializer.web from vendored assets: they work offline
        redoc_url=None,
    )
    problems.install(app)
    _problems_as_problem_json(app)
    # The order of the original single router: reads first, then accounts, then commands.
    for router in (
        posts.reads,
        calendar.router,
        analytics.router,
        accounts.router,
        sites.router,
        posts.router,
        video.router,
        webhooks.router,
        notifications.router,
        inbox.router,
        automations.router,
        automation_runs_router,
        ops.router,
        imports_router,
        usage_router,
        queues_router,
    ):
        app.include_router(router)
    web.install(app)
    app.add_middleware(inbound.InboundWebhooks)  # the outermost: platforms' webhooks skip the app's stack
    return app


def _problems_as_problem_json(app: FastAPI) -> None:
    """Error responses are documented as what they are: ``application/problem+json``, not JSON; but
    a status that carries the route's own body (``/healthz``'s 503 is its report, degraded) stays JSON."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            for ops in spec.get("paths", {}).values():
                for op in ops.values():
                    answers = op.get("responses", {})
                    own = answers.get("200", {}).get("content", {}).get("application/json", {}).get("schema")
                    for code, resp in answers.items():
                        content = resp.get("content", {})
                        if code[:1] in ("4", "5") and "application/json" in content and content["application/json"].get("schema") != own:
                            content["application/problem+json"] = content.pop("application/json")
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
