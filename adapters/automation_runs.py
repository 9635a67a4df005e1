"""Where automation runs are kept, one writer per run: the run's row (``automation_runs``) held under
its advisory lock while a stimulus is decided, with the stimuli already applied (a redelivery is a
no-op); the tags people carry (``automation_tags``); and the webhook node's caller, which signs as the
outbound webhooks do (Standard Webhooks) with the site's webhook secrets, through the outbound guard.

:class:`AutomationRunStore`/:class:`AutomationHooks` are the ports :mod:`streams.automate` names;
the ``Memory*`` classes their fakes. Automation sends are reply attempts (:mod:`adapters.replies`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from adapters.publishing import AttemptStore
from adapters.replies import AutomationAsk, AutomationDecide, Decided, ReplyAsk
from adapters.vault.crypto import Secret
from adapters.vault.store import SEALED_COLUMNS, TokenVault
from adapters.webhooks import Due, WebhookSender, vault_id
from domain.automation.run import RunState, from_json, to_json
from domain.inbox import Thread, is_echo
from domain.publishing import OPEN, Attempt

APPLIED_KEPT = 64  # stimuli remembered per run (a redelivery comes soon after, never 64 stimuli later)


def remember(applied: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    return tuple([*applied, *(x for x in new if x not in applied)][-APPLIED_KEPT:])


@dataclass
class RunTxn:
    """One run held for its writer: its state (None: not started) and the stimuli applied."""

    state: RunState | None
    applied: tuple[str, ...]
    saved: RunState | None = None

    async def save(self, state: RunState, applied: tuple[str, ...]) -> None:
        self.saved, self.state, self.applied = state, state, applied


@dataclass(frozen=True)
class Due_:
    run_id: str
    automation_id: str


class AutomationRunStore(Protocol):
    def run(self, run_id: str) -> AbstractAsyncContextManager[RunTxn]:
        """The run's row under its lock for one writer; ``txn.save`` keeps the new state with it."""
        ...

    async def waiting(self, account_id: str, user_id: str) -> list[Due_]:
        """The person's runs that wait (a delay or an answer): their message is news to each."""
        ...

    async def due(self, now: datetime, limit: int) -> list[Due_]:
        """Waiting runs whose time has come."""
        ...

    async def tags(self, site_id: str, platform: str, user_id: str) -> frozenset[str]: ...

    async def tag(self, site_id: str, platform: str, user_id: str, tag: str, removed: bool, at: datetime) -> None: ...


class AutomationSends(AttemptStore, Protocol):
    """The reply attempts as automations use them (:class:`adapters.replies.PostgresReplies`)."""

    async def request_automation(self, ask: ReplyAsk, auto: AutomationAsk, now: datetime, decide: AutomationDecide[Any]) -> Any: ...

    async def claim(self, reply_id: str, now: datetime, lease_until: datetime) -> Attempt | None: ...

    async def ours(self, platform: str, platform_item_id: str) -> bool: ...


@dataclass(frozen=True)
class HookResult:
    status: int | None
    ok: bool
    error: str = ""


class AutomationHooks(Protocol):
    async def call(self, site_id: str, url: str, msg_id: str, body: bytes, now: datetime) -> HookResult:
        """POST ``body`` signed with the site's webhook secrets; never raises (the result says)."""
        ...


# ------------------------------------------------------------------ Postgres
class _PgTxn(RunTxn):
    def __init__(self, conn: Any, run_id: str, state: RunState | None, applied: tuple[str, ...]) -> None:
        super().__init__(state, applied)
        self.conn, self.run_id = conn, run_id

    async def save(self, state: RunState, applied: tuple[str, ...]) -> None:
        f = state.facts
        await self.conn.execute(
            "INSERT INTO automation_runs (run_id, automation_id, site_id, account_id, platform, user_id, status, until, for_answer,"
            " state, applied, started_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12, now())"
            " ON CONFLICT (run_id) DO UPDATE SET status = EXCLUDED.status, until = EXCLUDED.until, for_answer = EXCLUDED.for_answer,"
            " state = EXCLUDED.state, applied = EXCLUDED.applied, updated_at = now()",
            self.run_id,
            f.automation_id,
            f.site_id,
            f.account_id,
            f.platform,
            f.user_id,
            state.status,
            state.until,
            state.for_answer,
            to_json(state),
            list(applied),
            f.started_at,
        )
        await super().save(state, applied)


class PostgresAutomationRuns:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @asynccontextmanager
    async def run(self, run_id: str) -> AsyncIterator[RunTxn]:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"run:{run_id}")
            row = await conn.fetchrow("SELECT state, applied FROM automation_runs WHERE run_id = $1", run_id)
            state = from_json(dict(row["state"])) if row else None
            yield _PgTxn(conn, run_id, state, tuple(row["applied"]) if row else ())

    async def waiting(self, account_id: str, user_id: str) -> list[Due_]:
        rows = await self.pool.fetch(
            "SELECT run_id, automation_id FROM automation_runs WHERE account_id = $1 AND user_id = $2 AND status = 'waiting'",
            account_id,
            user_id,
        )
        return [Due_(r["run_id"], r["automation_id"]) for r in rows]

    async def due(self, now: datetime, limit: int) -> list[Due_]:
        rows = await self.pool.fetch(
            "SELECT run_id, automation_id FROM automation_runs WHERE status = 'waiting' AND until <= $1 ORDER BY until LIMIT $2", now, limit
        )
        return [Due_(r["run_id"], r["automation_id"]) for r in rows]

    async def tags(self, site_id: str, platform: str, user_id: str) -> frozenset[str]:
        rows = await self.pool.fetch(
            "SELECT tag FROM automation_tags WHERE site_id = $1 AND platform = $2 AND user_id = $3", site_id, platform, user_id
        )
        return frozenset(r["tag"] for r in rows)

    async def tag(self, site_id: str, platform: str, user_id: str, tag: str, removed: bool, at: datetime) -> None:
        if removed:
            await self.pool.execute(
                "DELETE FROM automation_tags WHERE site_id = $1 AND platform = $2 AND user_id = $3 AND tag = $4",
                site_id,
                platform,
                user_id,
                tag,
            )
            return
        await self.pool.execute(
            "INSERT INTO automation_tags (site_id, platform, user_id, tag, tagged_at) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING",
            site_id,
            platform,
            user_id,
            tag,
            at,
        )


class SignedHooks:
    """The webhook node's caller: signed with the current secret of each of the site's enabled
    webhook endpoints (a receiver holding any of them verifies it); a site without one is not
    called (nothing unsigned leaves). The sender goes through the outbound guard, follows no
    redirect and waits at most its timeout."""

    def __init__(self, pool: Any, vault: TokenVault, sender: WebhookSender) -> None:
        self.pool, self.vault, self.sender = pool, vault, sender

    async def secrets(self, site_id: str) -> list[Secret]:
        rows = await self.pool.fetch(
            f"SELECT e.endpoint_id, {SEALED_COLUMNS} FROM webhook_endpoints e"
            " JOIN vault_secrets s ON s.account_id = 'webhook:' || e.endpoint_id AND s.field = 'secret'"
            " LEFT JOIN vault_data_keys k ON k.account_id = s.account_id WHERE e.site_id = $1 AND e.enabled ORDER BY e.endpoint_id",
            site_id,
        )
        out = [self.vault.open(vault_id(r["endpoint_id"]), "secret", r) for r in rows]
        return [s for s in out if s is not None]

    async def call(self, site_id: str, url: str, msg_id: str, body: bytes, now: datetime) -> HookResult:
        try:
            secrets = await self.secrets(site_id)
        except Exception as err:  # noqa: BLE001 - the flow goes on; the reason is recorded (never a secret)
            return HookResult(None, False, f"the site's webhook secrets could not be read: {type(err).__name__}")
        if not secrets:
            return HookResult(None, False, "the site has no webhook endpoint whose secret could sign this call (add one under /webhooks/)")
        got = await self.sender.send(Due("automation", msg_id, msg_id, body, 0, url, secrets, site_id), now)
        ok = got.status is not None and 200 <= got.status < 300
        return HookResult(got.status, ok, got.error or ("" if ok else f"answered {got.status}"))


# ------------------------------------------------------------------ fakes
class _MemTxn(RunTxn):
    def __init__(self, store: MemoryAutomationRuns, run_id: str) -> None:
        row = store.rows.get(run_id)
        super().__init__(row[0] if row else None, row[1] if row else ())
        self.store, self.run_id = store, run_id

    async def save(self, state: RunState, applied: tuple[str, ...]) -> None:
        self.store.rows[self.run_id] = (state, applied)
        await super().save(state, applied)


@dataclass
class MemoryAutomationRuns:
    rows: dict[str, tuple[RunState, tuple[str, ...]]] = field(default_factory=dict)
    tagged: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)

    @asynccontextmanager
    async def run(self, run_id: str) -> AsyncIterator[RunTxn]:
        yield _MemTxn(self, run_id)

    def state(self, run_id: str) -> RunState | None:
        row = self.rows.get(run_id)
        return row[0] if row else None

    async def waiting(self, account_id: str, user_id: str) -> list[Due_]:
        return [
            Due_(rid, s.facts.automation_id)
            for rid, (s, _) in sorted(self.rows.items())
            if s.status == "waiting" and s.facts.account_id == account_id and s.facts.user_id == user_id
        ]

    async def due(self, now: datetime, limit: int) -> list[Due_]:
        due = [
            (s.until, rid, s.facts.automation_id)
            for rid, (s, _) in self.rows.items()
            if s.status == "waiting" and s.until and s.until <= now
        ]
        return [Due_(rid, aid) for _, rid, aid in sorted(due)[:limit]]

    async def tags(self, site_id: str, platform: str, user_id: str) -> frozenset[str]:
        return frozenset(self.tagged.get((site_id, platform, user_id), set()))

    async def tag(self, site_id: str, platform: str, user_id: str, tag: str, removed: bool, at: datetime) -> None:
        tags = self.tagged.setdefault((site_id, platform, user_id), set())
        (tags.discard if removed else tags.add)(tag)


class MemoryAutomationSends:
    """The reply attempts as automations use them, in memory: the same decide under one (implicit)
    lock, the inbox items as the caller knows them, rows kept for the sender (:mod:`streams.answer`)."""

    def __init__(self) -> None:
        self.rows: dict[str, Attempt] = {}
        self.asks: dict[str, tuple[ReplyAsk, AutomationAsk]] = {}
        self.announced: list[Any] = []
        self.platform_ids: set[tuple[str, str]] = set()

    async def request_automation(self, ask: ReplyAsk, auto: AutomationAsk, now: datetime, decide: AutomationDecide[Any]) -> Any:
        from adapters.replies import AutomationFacts

        item = auto.item
        private = sum(
            1
            for rid, a in self.rows.items()
            if self.asks[rid][0].item_id == ask.item_id and self.asks[rid][0].action == "private_reply" and a.state != "failed"
        )
        thread = Thread(item.kind, item.created_at, item.last_inbound_at, private, is_echo(item.author_id, ask.own_platform_id, item.echo))
        mine = [(rid, a) for rid, a in self.rows.items() if a.account_id == ask.account_id and a.state != "failed"]
        planned = sorted(datetime.fromisoformat(str(a.payload["go_at"])) for rid, a in mine if self.asks[rid][0].action == ask.action)
        automated = sorted(datetime.fromisoformat(str(a.payload["go_at"])) for rid, a in mine)
        duplicate = any(
            self.asks[rid][1].automation_id == auto.automation_id
            and self.asks[rid][1].recipient == auto.recipient
            and self.asks[rid][1].node_id == auto.node_id
            and rid != ask.reply_id
            for rid, _ in mine
        )
        decided: Decided[Any] = decide(self.rows.get(ask.reply_id), thread, planned, AutomationFacts(automated, duplicate), now)
        if decided.record is not None:
            a, event = decided.record
            self.rows[a.effect_id] = a
            self.asks[a.effect_id] = (ask, auto)
            self.announced.append(event)
        return decided.answer

    async def claim(self, reply_id: str, now: datetime, lease_until: datetime) -> Attempt | None:
        a = self.rows.get(reply_id)
        if a is None or a.state not in OPEN or a.lease_until >= now or (a.next_try_at or now) > now:
            return None
        self.rows[reply_id] = a = replace(a, lease_until=lease_until)
        return a

    async def ours(self, platform: str, platform_item_id: str) -> bool:
        return (platform, platform_item_id) in self.platform_ids or any(
            a.platform == platform and a.platform_post_id == platform_item_id for a in self.rows.values()
        )

    async def begin(self, attempt: Attempt) -> bool:
        raise NotImplementedError

    async def get(self, effect_id: str, account_id: str, due_at: datetime | None = None) -> Attempt | None:
        return self.rows.get(effect_id)

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Attempt]:
        due = [a for a in self.rows.values() if a.state in OPEN and a.lease_until < now and (a.next_try_at or now) <= now]
        claimed = [replace(a, lease_until=lease_until) for a in due[:limit]]
        for a in claimed:
            self.rows[a.effect_id] = a
        return claimed

    async def save(self, attempt: Attempt, announce: Sequence[Any] = ()) -> None:
        self.rows[attempt.effect_id] = attempt
        self.announced.extend(announce)


@dataclass
class MemoryHooks:
    result: HookResult = HookResult(200, True)
    calls: list[tuple[str, str, str, bytes]] = field(default_factory=list)

    async def call(self, site_id: str, url: str, msg_id: str, body: bytes, now: datetime) -> HookResult:
        self.calls.append((site_id, url, msg_id, body))
        return self.result
