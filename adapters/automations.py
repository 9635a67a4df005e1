"""Which automations are active, for the runs to match against: the single writer's own state of
each automation (never the read model). :class:`AutomationDirectory` is the port the run agent
names; :class:`MemoryAutomations` its fake, :class:`PostgresAutomations` the real one.

The writer's state itself (``automation_states``) is kept through :class:`AutomationStateStore`:
``automation(id)`` is a unit of work holding the automation's lock, so a command and an event of one
automation are never folded at once; what became of each command goes to ``command_outcomes`` (the
table the posts' and videos' writers record in: one waiter serves all)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from adapters.post_states import Outcome
from schemas.automations import Definition

__all__ = [
    "ActiveAutomation",
    "AutomationDirectory",
    "AutomationStateStore",
    "AutomationTxn",
    "MemoryAutomationStates",
    "MemoryAutomations",
    "PostgresAutomationStates",
    "PostgresAutomations",
    "StoredAutomation",
]

KEEP_APPLIED = 64  # event ids remembered per automation: far more than can be in flight at once


@dataclass(frozen=True)
class ActiveAutomation:
    automation_id: str
    site_id: str
    version: int
    definition: Definition


class AutomationDirectory(Protocol):
    async def active(self, site_id: str) -> list[ActiveAutomation]:
        """The site's active automations, each at the version it was activated on (or edited to)."""
        ...

    async def get(self, automation_id: str) -> ActiveAutomation | None:
        """The automation if it is active now (a run checks before each step: a paused or deleted
        automation's runs end)."""
        ...


@dataclass
class MemoryAutomations:
    by_id: dict[str, ActiveAutomation] = field(default_factory=dict)

    def put(self, a: ActiveAutomation) -> None:
        self.by_id[a.automation_id] = a

    def remove(self, automation_id: str) -> None:
        self.by_id.pop(automation_id, None)

    async def active(self, site_id: str) -> list[ActiveAutomation]:
        return sorted((a for a in self.by_id.values() if a.site_id == site_id), key=lambda a: a.automation_id)

    async def get(self, automation_id: str) -> ActiveAutomation | None:
        return self.by_id.get(automation_id)


class PostgresAutomations:
    """The active automations as their single writer folded them (``automation_states``)."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool

    async def active(self, site_id: str) -> list[ActiveAutomation]:
        rows = await self.pool.fetch(
            "SELECT automation_id, site_id, version, definition FROM automation_states WHERE site_id = $1 AND status = 'active'"
            " ORDER BY automation_id",
            site_id,
        )
        return [_active(r) for r in rows]

    async def get(self, automation_id: str) -> ActiveAutomation | None:
        row = await self.pool.fetchrow(
            "SELECT automation_id, site_id, version, definition FROM automation_states WHERE automation_id = $1 AND status = 'active'",
            automation_id,
        )
        return _active(row) if row else None


def _active(row: Any) -> ActiveAutomation:
    return ActiveAutomation(row["automation_id"], row["site_id"], row["version"], Definition.model_validate(row["definition"]))


# ---------------------------------------------------------------- the single writer's state
@dataclass
class StoredAutomation:
    """The writer's state of one automation (``definition`` None: none yet); ``applied``: the ids of
    the last events folded, so one that comes back from the log is not folded twice."""

    site_id: str = ""
    status: str = ""
    version: int = 0
    definition: dict[str, Any] | None = None
    applied: list[str] = field(default_factory=list)

    def remember(self, event_ids: list[str]) -> list[str]:
        return (self.applied + event_ids)[-KEEP_APPLIED:]


class AutomationTxn(Protocol):
    stored: StoredAutomation

    async def outcome(self, command_id: str) -> Outcome | None: ...

    async def save(self, stored: StoredAutomation) -> None: ...

    async def record(self, command_id: str, outcome: Outcome) -> None: ...


class AutomationStateStore(Protocol):
    def automation(self, automation_id: str) -> Any:
        """``async with store.automation(id) as txn``: its state, locked (an :class:`AutomationTxn`)."""
        ...

    async def outcome(self, command_id: str) -> Outcome | None: ...


class _PgTxn:
    def __init__(self, conn: Any, automation_id: str, stored: StoredAutomation) -> None:
        self.conn, self.automation_id, self.stored = conn, automation_id, stored

    async def outcome(self, command_id: str) -> Outcome | None:
        row = await self.conn.fetchrow("SELECT status, body FROM command_outcomes WHERE command_id = $1", command_id)
        return Outcome(row["status"], row["body"]) if row else None

    async def save(self, stored: StoredAutomation) -> None:
        if stored.definition is None:
            return
        await self.conn.execute(
            "INSERT INTO automation_states (automation_id, site_id, status, version, definition, applied) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (automation_id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version,"
            " definition = EXCLUDED.definition, applied = EXCLUDED.applied, updated_at = now()",
            self.automation_id,
            stored.site_id,
            stored.status,
            stored.version,
            stored.definition,
            stored.applied,
        )
        self.stored = stored

    async def record(self, command_id: str, outcome: Outcome) -> None:
        # command_outcomes.post_id holds the aggregate's id: here, the automation's.
        await self.conn.execute(
            "INSERT INTO command_outcomes (command_id, post_id, site_id, status, body) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (command_id) DO NOTHING",
            command_id,
            self.automation_id,
            outcome.body.get("site_id", ""),
            outcome.status,
            outcome.body,
        )
        # Delivered on commit: whoever waits for this command (adapters.outcomes) wakes then.
        await self.conn.execute("SELECT pg_notify('command_outcomes', $1)", command_id)


class PostgresAutomationStates:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @asynccontextmanager
    async def automation(self, automation_id: str) -> AsyncIterator[_PgTxn]:
        async with self.pool.acquire() as conn, conn.transaction():
            # The row may not exist yet: a transaction-scoped advisory lock serialises its first writers too.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('automation:' || $1))", automation_id)
            row = await conn.fetchrow(
                "SELECT site_id, status, version, definition, applied FROM automation_states WHERE automation_id = $1", automation_id
            )
            stored = (
                StoredAutomation(row["site_id"], row["status"], row["version"], row["definition"], list(row["applied"]))
                if row
                else StoredAutomation()
            )
            yield _PgTxn(conn, automation_id, stored)

    async def outcome(self, command_id: str) -> Outcome | None:
        row = await self.pool.fetchrow("SELECT status, body FROM command_outcomes WHERE command_id = $1", command_id)
        return Outcome(row["status"], row["body"]) if row else None


class _MemTxn:
    def __init__(self, store: MemoryAutomationStates, automation_id: str, stored: StoredAutomation) -> None:
        self.store, self.automation_id, self.stored = store, automation_id, stored

    async def outcome(self, command_id: str) -> Outcome | None:
        return self.store.outcomes.get(command_id)

    async def save(self, stored: StoredAutomation) -> None:
        if stored.definition is None:
            return
        self.store.rows[self.automation_id] = stored
        self.stored = stored
        if self.store.directory is not None:  # the runs' view follows the writer's, as the table does
            if stored.status == "active":
                d = Definition.model_validate(stored.definition)
                self.store.directory.put(ActiveAutomation(self.automation_id, stored.site_id, stored.version, d))
            else:
                self.store.directory.remove(self.automation_id)

    async def record(self, command_id: str, outcome: Outcome) -> None:
        self.store.outcomes.setdefault(command_id, outcome)


class MemoryAutomationStates:
    """The fake. ``outcomes`` may be shared with the posts' fake, as the table is; ``directory``,
    when given, is kept as :class:`PostgresAutomations` reads the table."""

    def __init__(self, outcomes: dict[str, Outcome] | None = None, directory: MemoryAutomations | None = None) -> None:
        self.rows: dict[str, StoredAutomation] = {}
        self.outcomes: dict[str, Outcome] = {} if outcomes is None else outcomes
        self.directory = directory
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def automation(self, automation_id: str) -> AsyncIterator[_MemTxn]:
        async with self._locks.setdefault(automation_id, asyncio.Lock()):
            s = self.rows.get(automation_id)
            yield _MemTxn(self, automation_id, replace(s, applied=list(s.applied)) if s else StoredAutomation())

    async def outcome(self, command_id: str) -> Outcome | None:
        return self.outcomes.get(command_id)
