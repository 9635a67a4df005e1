"""Which automations are active, for the runs to match against: the single writer's own state of
each automation (never the read model). :class:`AutomationDirectory` is the port the run agent
names; :class:`MemoryAutomations` its fake, :class:`PostgresAutomations` the real one.

The writer's state itself (``automation_states``) is kept through :class:`AutomationStateStore`, the
store every small aggregate's writer shares (``adapters.aggregates``): ``automation(id)`` is a unit of
work holding the automation's lock; what became of each command goes to ``command_outcomes``."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.aggregates import MemoryStates, PostgresStates, Table, Txn
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


TABLE = Table("automation_states", key="automation_id", lock="automation", stored=StoredAutomation, body="definition")
AutomationTxn = Txn[StoredAutomation]


class AutomationStateStore(Protocol):
    def automation(self, automation_id: str) -> Any:
        """``async with store.automation(id) as txn``: its state, locked (an :class:`AutomationTxn`)."""
        ...

    async def outcome(self, command_id: str) -> Outcome | None: ...


class PostgresAutomationStates(PostgresStates[StoredAutomation]):
    def __init__(self, pool: Any) -> None:
        super().__init__(pool, TABLE)

    def automation(self, automation_id: str) -> AbstractAsyncContextManager[AutomationTxn]:
        return self.open(automation_id)


class MemoryAutomationStates(MemoryStates[StoredAutomation]):
    """The fake. ``outcomes`` may be shared with the posts' fake, as the table is; ``directory``,
    when given, is kept as :class:`PostgresAutomations` reads the table."""

    def __init__(self, outcomes: dict[str, Outcome] | None = None, directory: MemoryAutomations | None = None) -> None:
        super().__init__(TABLE, outcomes)
        self.directory = directory

    def automation(self, automation_id: str) -> AbstractAsyncContextManager[AutomationTxn]:
        return self.open(automation_id)

    def saved(self, key: str, stored: StoredAutomation) -> None:
        if self.directory is None:
            return
        if stored.status == "active":  # the runs' view follows the writer's, as the table does
            d = Definition.model_validate(stored.definition)
            self.directory.put(ActiveAutomation(key, stored.site_id, stored.version, d))
        else:
            self.directory.remove(key)
