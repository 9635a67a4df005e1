"""Where the inbox's replies are kept: one attempt row per reply (``reply_attempts``), written before
any call, as publish attempts are (:mod:`adapters.publishing`), and the request that records one.

A request is decided (by the ``decide`` it is given: :func:`commands.reply.decide`) inside one
transaction holding the account's advisory lock: the account's send budget and a comment's one private reply have one writer at a
time, and the accepted reply's ``ReplyRequested`` goes into the outbox with its row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import asyncpg

from adapters import outbox
from adapters.publishing import Announcement
from domain.inbox import Thread, is_echo, rules_for
from domain.publishing import OPEN, Attempt
from schemas import events as e
from schemas import topics as t
from schemas.envelope import derived_id
from schemas.registry import registry

SOURCE = "socializer/inbox"
R = TypeVar("R")


@dataclass(frozen=True)
class ReplyAsk:
    """What a request is about: the reply's id and the item, thread and account it concerns."""

    reply_id: str
    site_id: str
    account_id: str
    platform: str
    item_id: str
    thread: str
    action: str
    own_platform_id: str  # the account's id on the platform: its own items are echoes


@dataclass(frozen=True)
class Decided(Generic[R]):
    """The decider's answer, and what to record when it accepted: the attempt and its event."""

    answer: R
    record: tuple[Attempt, e.ReplyRequested] | None = None


Decide = Callable[[Attempt | None, Thread, list[datetime], datetime], Decided[R]]


@dataclass(frozen=True)
class ItemFacts:
    """The inbox item as its event told it, for a request made before the read model has it (an
    automation answers from the log); ``last_inbound_at``: the person's last message known to the caller."""

    kind: str
    created_at: datetime
    author_id: str
    echo: bool = False
    last_inbound_at: datetime | None = None


@dataclass(frozen=True)
class AutomationAsk:
    """Whose send it is: the automation, its node and the person (the dedupe's key), its pacing's
    numbers, and the item as the caller knows it."""

    automation_id: str
    node_id: str
    recipient: str
    item: ItemFacts
    daily_cap: int | None = None
    dedupe_days: float = 0.0


@dataclass(frozen=True)
class AutomationFacts:
    """What the automation's pacing needs beyond the inbox's: the account's automation sends
    (``go_at``, the last day's and later, oldest first) and whether this is a duplicate."""

    automated: list[datetime]
    duplicate: bool


AutomationDecide = Callable[[Attempt | None, Thread, list[datetime], AutomationFacts, datetime], Decided[R]]


def requested_id(reply_id: str) -> str:
    return derived_id(reply_id, "requested")


def _from_row(r: asyncpg.Record) -> Attempt:
    payload = dict(r["payload"])
    code = payload.pop("_code", "")
    reconciled = bool(payload.pop("_reconciled", False))
    return Attempt(
        effect_id=r["reply_id"],
        account_id=r["account_id"],
        attempt_id=r["reply_id"],
        platform=r["platform"],
        site_id=r["site_id"],
        state=r["state"],
        started_at=r["started_at"],
        lease_until=r["lease_until"],
        payload=payload,
        tries=r["tries"],
        next_try_at=r["next_try_at"],
        error=r["error"],
        code=code,
        platform_post_id=r["platform_reply_id"],
        published_at=r["sent_at"],
        reconciled=reconciled,
    )


class PostgresReplies:
    """The replies' attempt store (the :class:`adapters.publishing.AttemptStore` port) and the request."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def request(self, ask: ReplyAsk, now: datetime, decide: Decide[R]) -> R:
        """Load what the rules need and decide under the account's lock; record an accepted reply."""

        async def body(conn: Any, existing: Attempt | None, thread: Thread, planned: list[datetime]) -> Decided[R]:
            return decide(existing, thread, planned, now)

        return await self._locked(ask, now, body)

    async def request_automation(self, ask: ReplyAsk, auto: AutomationAsk, now: datetime, decide: AutomationDecide[R]) -> R:
        """An automation's send, decided like a person's reply (the same lock, rules and queue) with what
        its pacing needs too: the account's automation sends of the last day and later, and whether this
        automation already sent this node to this person within ``auto.dedupe_days``."""

        async def body(conn: Any, existing: Attempt | None, thread: Thread, planned: list[datetime]) -> Decided[R]:
            automated = await conn.fetch(
                "SELECT go_at FROM reply_attempts WHERE account_id = $1 AND automation_id IS NOT NULL AND state <> 'failed'"
                " AND go_at > $2 ORDER BY go_at DESC LIMIT $3",
                ask.account_id,
                now - timedelta(days=1),
                max(auto.daily_cap or 1, 1),
            )
            duplicate = False
            if auto.dedupe_days > 0:
                duplicate = bool(
                    await conn.fetchval(
                        "SELECT 1 FROM reply_attempts WHERE automation_id = $1 AND recipient = $2 AND automation_node = $3"
                        " AND reply_id <> $4 AND state <> 'failed' AND started_at > $5 LIMIT 1",
                        auto.automation_id,
                        auto.recipient,
                        auto.node_id,
                        ask.reply_id,
                        now - timedelta(days=auto.dedupe_days),
                    )
                )
            facts = AutomationFacts(automated=sorted(r["go_at"] for r in automated), duplicate=duplicate)
            return decide(existing, thread, planned, facts, now)

        return await self._locked(ask, now, body, item=auto.item, automation=auto)

    async def _locked(
        self, ask: ReplyAsk, now: datetime, body: Any, *, item: ItemFacts | None = None, automation: AutomationAsk | None = None
    ) -> R:
        rules = rules_for(ask.platform)
        longest = max((b.seconds for b in (rules.budgets.get(ask.action, ()) if rules else ())), default=0.0)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"reply:{ask.account_id}")
            row = await conn.fetchrow("SELECT * FROM reply_attempts WHERE reply_id = $1", ask.reply_id)
            found = await conn.fetchrow("SELECT kind, created_at, author_id, echo FROM inbox_items WHERE item_id = $1", ask.item_id)
            if found is not None:
                known = ItemFacts(found["kind"], found["created_at"], found["author_id"], found["echo"])
            else:  # an automation answers from the log: the read model may not have the item yet
                assert item is not None, "the caller found the item"
                known = item
            private = await conn.fetchval(
                "SELECT count(*) FROM reply_attempts WHERE item_id = $1 AND action = 'private_reply' AND state <> 'failed'", ask.item_id
            )
            last_inbound = None
            if ask.action == "message":  # only a DM needs the window (a busy post's thread holds thousands of comments)
                last_inbound = await conn.fetchval(
                    "SELECT max(created_at) FROM inbox_items WHERE platform = $1 AND thread = $2 AND kind = 'message'"
                    " AND NOT echo AND author_id <> $3",
                    ask.platform,
                    ask.thread,
                    ask.own_platform_id,
                )
            if item is not None and item.last_inbound_at is not None:
                last_inbound = max(filter(None, (last_inbound, item.last_inbound_at)))
            planned = await conn.fetch(
                "SELECT go_at FROM reply_attempts WHERE account_id = $1 AND action = $2 AND state <> 'failed' AND go_at > $3",
                ask.account_id,
                ask.action,
                now - timedelta(seconds=longest),
            )
            thread = Thread(
                kind=known.kind,
                created_at=known.created_at,
                last_inbound_at=last_inbound,
                private_replies=int(private or 0),
                own=is_echo(known.author_id, ask.own_platform_id, known.echo),
            )
            decided: Decided[R] = await body(conn, _from_row(row) if row else None, thread, [r["go_at"] for r in planned])
            if decided.record is not None:
                a, event = decided.record
                await conn.execute(
                    "INSERT INTO reply_attempts (reply_id, account_id, platform, site_id, item_id, action, state, tries, started_at,"
                    " lease_until, next_try_at, go_at, payload, automation_id, automation_node, recipient)"
                    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)",
                    a.effect_id,
                    a.account_id,
                    a.platform,
                    a.site_id,
                    ask.item_id,
                    ask.action,
                    a.state,
                    a.tries,
                    a.started_at,
                    a.lease_until,
                    a.next_try_at,
                    event.go_at,
                    a.payload,
                    automation.automation_id if automation else None,
                    automation.node_id if automation else None,
                    automation.recipient if automation else None,
                )
                env = registry.envelope(event, source=SOURCE, subject=ask.thread, id=requested_id(a.effect_id))
                await outbox.add(conn, t.INBOX, ask.thread, env)
        return decided.answer

    async def claim(self, reply_id: str, now: datetime, lease_until: datetime) -> Attempt | None:
        """Hold one reply due now for this sender (as :meth:`claim_due` would): None when it is not due,
        or another sender holds it. Who claims it sends it; nobody else does until the lease ends."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "UPDATE reply_attempts SET lease_until = $3 WHERE reply_id = ("
                " SELECT reply_id FROM reply_attempts WHERE reply_id = $1 AND state = ANY($4::text[]) AND lease_until < $2"
                " AND coalesce(next_try_at, '-infinity') <= $2 FOR UPDATE SKIP LOCKED) RETURNING *",
                reply_id,
                now,
                lease_until,
                sorted(OPEN),
            )
        return _from_row(row) if row else None

    async def ours(self, platform: str, platform_item_id: str) -> bool:
        """Whether a comment or message is one of our replies as it came back."""
        return bool(
            await self.pool.fetchval(
                "SELECT 1 FROM reply_attempts WHERE platform = $1 AND platform_reply_id = $2 LIMIT 1", platform, platform_item_id
            )
        )

    async def begin(self, attempt: Attempt) -> bool:
        raise NotImplementedError("a reply begins through request(): its rules are decided with it")

    async def get(self, effect_id: str, account_id: str, due_at: datetime | None = None) -> Attempt | None:
        row = await self.pool.fetchrow("SELECT * FROM reply_attempts WHERE reply_id = $1", effect_id)
        return _from_row(row) if row else None

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Attempt]:
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "UPDATE reply_attempts SET lease_until = $3 WHERE reply_id IN ("
                " SELECT reply_id FROM reply_attempts WHERE state = ANY($4::text[]) AND lease_until < $1"
                " AND coalesce(next_try_at, '-infinity') <= $1 ORDER BY next_try_at NULLS FIRST LIMIT $2 FOR UPDATE SKIP LOCKED)"
                " RETURNING *",
                now,
                limit,
                lease_until,
                sorted(OPEN),
            )
        return [_from_row(r) for r in rows]

    async def save(self, attempt: Attempt, announce: Sequence[Announcement] = ()) -> None:
        a = attempt
        extra = {"_code": a.code, "_reconciled": a.reconciled}
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE reply_attempts SET state = $2, tries = $3, lease_until = $4, next_try_at = $5, error = $6,"
                " platform_reply_id = $7, sent_at = $8, payload = $9::jsonb || $10::jsonb, updated_at = now() WHERE reply_id = $1",
                a.effect_id,
                a.state,
                a.tries,
                a.lease_until,
                a.next_try_at,
                a.error,
                a.platform_post_id,
                a.published_at,
                a.payload,
                extra,
            )
            for topic, key, env in announce:
                await outbox.add(conn, topic, key, env)


class MemoryReplies:
    """The fake of the attempt side (the sender's tests): rows in a dict, announcements kept."""

    def __init__(self) -> None:
        self.rows: dict[str, Attempt] = {}
        self.announced: list[Announcement] = []

    async def begin(self, attempt: Attempt) -> bool:
        if attempt.effect_id in self.rows:
            return False
        self.rows[attempt.effect_id] = attempt
        return True

    async def get(self, effect_id: str, account_id: str, due_at: datetime | None = None) -> Attempt | None:
        return self.rows.get(effect_id)

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Attempt]:
        due = [a for a in self.rows.values() if a.state in OPEN and a.lease_until < now and (a.next_try_at or now) <= now]
        claimed = [replace(a, lease_until=lease_until) for a in due[:limit]]
        for a in claimed:
            self.rows[a.effect_id] = a
        return claimed

    async def save(self, attempt: Attempt, announce: Sequence[Announcement] = ()) -> None:
        self.rows[attempt.effect_id] = attempt
        self.announced.extend(announce)
