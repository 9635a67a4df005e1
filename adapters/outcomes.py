"""Waiting for what a single writer decided: an HTTP request sends a command, then waits here for
its outcome by command id.

Writers record outcomes in ``command_outcomes`` and ``pg_notify('command_outcomes', id)`` in the
same transaction, so the notice arrives only once the row is committed. One listening connection
per process wakes every waiter at once; a slow poll of the table covers a notice lost while that
connection was being re-made. Polling alone (every 20 ms per request) cost a 100-post bulk request
5,000 queries a second; this costs one query per outcome.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

from adapters.kafka import Producer, send_all
from adapters.post_states import Outcome
from schemas import topics as t
from schemas.commands import DecidePost
from schemas.envelope import derived_id
from schemas.registry import registry

CHANNEL = "command_outcomes"
POLL_SECONDS = 0.25  # the safety net's pace; a notice normally wakes a waiter first
log = logging.getLogger("socializer.outcomes")


class OutcomeWaiter(Protocol):
    async def wait(self, command_ids: list[str], timeout: float) -> dict[str, Outcome]:  # noqa: ASYNC109 - one deadline for all
        """The outcomes of these commands known within ``timeout`` seconds (missing ids: not yet)."""
        ...


async def _fetch(pool: Any, ids: list[str]) -> dict[str, Outcome]:
    rows = await pool.fetch("SELECT command_id, status, body FROM command_outcomes WHERE command_id = ANY($1::text[])", ids)
    return {r["command_id"]: Outcome(r["status"], r["body"]) for r in rows}


class PostgresOutcomes:
    """Waits on ``LISTEN command_outcomes``; started lazily by the first wait."""

    def __init__(self, pool: Any, connect: Any) -> None:
        self.pool = pool
        self._connect = connect  # () -> an awaitable asyncpg connection of its own (LISTEN holds it)
        self._conn: Any = None
        self._waiters: dict[str, list[asyncio.Event]] = {}
        self._lock = asyncio.Lock()

    def _notice(self, _conn: Any, _pid: int, _channel: str, command_id: str) -> None:
        for ev in self._waiters.get(command_id, ()):
            ev.set()

    async def _listening(self) -> bool:
        if self._conn is not None and not self._conn.is_closed():
            return True
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return True
            try:
                conn = await self._connect()
                await conn.add_listener(CHANNEL, self._notice)
            except Exception as err:  # noqa: BLE001 - the poll still answers; listening is tried again next wait
                log.warning("command outcomes: not listening (%s); polling", type(err).__name__)
                return False
            self._conn = conn
            return True

    async def wait(self, command_ids: list[str], timeout: float) -> dict[str, Outcome]:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        listening = await self._listening()
        event = asyncio.Event()
        for cid in command_ids:
            self._waiters.setdefault(cid, []).append(event)
        try:
            # Registered before the first read: an outcome committed in between still wakes us.
            found = await _fetch(self.pool, command_ids)
            while len(found) < len(command_ids):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                event.clear()
                try:
                    await asyncio.wait_for(event.wait(), min(left, POLL_SECONDS if listening else 0.02))
                except TimeoutError:
                    pass
                found.update(await _fetch(self.pool, [c for c in command_ids if c not in found]))
            return found
        finally:
            for cid in command_ids:
                events = self._waiters.get(cid, [])
                if event in events:
                    events.remove(event)
                if not events:
                    self._waiters.pop(cid, None)

    async def close(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()


class MemoryOutcomes:
    """The fake: reads a memory store's outcomes (``outcomes``: command id → Outcome)."""

    def __init__(self, outcomes: dict[str, Outcome]) -> None:
        self.outcomes = outcomes

    async def wait(self, command_ids: list[str], timeout: float) -> dict[str, Outcome]:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while True:
            found = {c: self.outcomes[c] for c in command_ids if c in self.outcomes}
            if len(found) == len(command_ids) or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(0.001)


class PostCommands:
    """Asks a post's single writer and waits for its answer: how an agent (not a person) changes a
    post. The command id makes asking again safe: the writer answers a repeat with its first outcome."""

    def __init__(self, out: Producer, outcomes: OutcomeWaiter, *, source: str, timeout: float = 10.0) -> None:
        self.out, self.outcomes, self.source, self.timeout = out, outcomes, source, timeout

    async def ask(self, cmd: DecidePost) -> Outcome | None:
        """The writer's outcome, or None if it did not answer in time (ask again later)."""
        env = registry.envelope(cmd, source=self.source, subject=cmd.post_id, id=derived_id(cmd.command_id, "envelope"))
        await send_all(self.out, t.POST_COMMANDS, [(cmd.post_id, env)])
        return (await self.outcomes.wait([cmd.command_id], self.timeout)).get(cmd.command_id)
