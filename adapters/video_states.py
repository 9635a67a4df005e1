"""Where each video project's single writer keeps the project's state (``video_states``) and what
became of each command (``command_outcomes``, the table the posts' writer records in: one waiter
serves both), in the store every small aggregate's writer shares (``adapters.aggregates``).
``project(project_id)`` is a unit of work: the project is locked until it ends, so a command and an
event of one project are never folded at once. The state itself is the writer's own encoding (a JSON
object); the store keeps it beside the version folded from the log, which callers wait on without the
lock. :class:`VideoStateStore` is the port; :class:`MemoryVideoStates` its fake."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.aggregates import MemoryStates, PostgresStates, Table, Txn
from adapters.post_states import Outcome


@dataclass
class Stored:
    """``state``: the writer's encoding of the project (None: no such project yet); ``version``: how
    many of its lifecycle events were folded from the log; ``applied``: the ids of the last ones."""

    state: dict[str, Any] | None = None
    version: int = 0
    applied: list[str] = field(default_factory=list)
    site_id: str = ""


TABLE = Table("video_states", key="project_id", lock="video", stored=Stored, body="state")
VideoTxn = Txn[Stored]


class VideoStateStore(Protocol):
    def project(self, project_id: str) -> Any:
        """``async with store.project(id) as txn``: the project's state, locked (a :class:`VideoTxn`)."""
        ...

    async def outcome(self, command_id: str) -> Outcome | None: ...

    async def version(self, project_id: str) -> int | None:
        """The version folded from the log (None: no such project yet); read without the lock."""
        ...


class PostgresVideoStates(PostgresStates[Stored]):
    def __init__(self, pool: Any) -> None:
        super().__init__(pool, TABLE)

    def project(self, project_id: str) -> AbstractAsyncContextManager[VideoTxn]:
        return self.open(project_id)

    async def version(self, project_id: str) -> int | None:
        v = await self.pool.fetchval("SELECT version FROM video_states WHERE project_id = $1", project_id)
        return int(v) if v is not None else None


class MemoryVideoStates(MemoryStates[Stored]):
    """The fake. ``outcomes`` may be shared with the posts' fake, as the table is."""

    def __init__(self, outcomes: dict[str, Outcome] | None = None) -> None:
        super().__init__(TABLE, outcomes)

    def project(self, project_id: str) -> AbstractAsyncContextManager[VideoTxn]:
        return self.open(project_id)

    async def version(self, project_id: str) -> int | None:
        s = self.rows.get(project_id)
        return s.version if s else None
