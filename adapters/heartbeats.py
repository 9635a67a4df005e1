"""Operators' signals read from Postgres: which role instances are alive, and which posts are overdue.

Every role instance (``worker``, ``video``, ``projector``, ``api``) upserts its row in
``role_heartbeats`` every few seconds and deletes it on a clean stop. An instance whose row has gone
silent for longer than the down threshold was killed or hangs: its role is down until it beats
again. A role never started in this deployment has no row and does not count; ``socializer up``
clears the table as it starts, so only the roles it runs are expected.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("socializer.heartbeats")

# Due more than this long ago, the post is neither published nor failed: the scheduler's row is still
# pending or dispatched, and no attempt for that dispatch has ended (published, or failed for good).
OVERDUE_SQL = """
SELECT count(*) FROM scheduler_posts s
WHERE s.state IN ('pending', 'dispatched') AND s.due_at < now() - make_interval(secs => $1)
  AND NOT EXISTS (
    SELECT 1 FROM publish_attempts a
    WHERE a.post_id = s.post_id AND a.due_at = s.due_at AND a.state IN ('published', 'failed'))
"""


@dataclass(frozen=True)
class RoleHealth:
    role: str
    up: int  # instances seen within the threshold
    down: int  # instances silent for longer

    @property
    def ok(self) -> bool:
        return self.down == 0


class Heartbeats:
    def __init__(self, pool: Any) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool

    async def beat(self, role: str, instance: str) -> None:
        await self.pool.execute(
            "INSERT INTO role_heartbeats (role, instance) VALUES ($1, $2) ON CONFLICT (role, instance) DO UPDATE SET seen_at = now()",
            role,
            instance,
        )

    async def gone(self, role: str, instance: str) -> None:
        """A clean stop: the instance is not down, it is no longer part of the deployment."""
        await self.pool.execute("DELETE FROM role_heartbeats WHERE role = $1 AND instance = $2", role, instance)

    async def forget_all(self) -> None:
        """A deployment starting afresh (``socializer up``): only what it starts from now on counts."""
        await self.pool.execute("DELETE FROM role_heartbeats")

    async def roles(self, down_after_seconds: float) -> list[RoleHealth]:
        rows = await self.pool.fetch(
            "SELECT role, count(*) FILTER (WHERE seen_at >= now() - make_interval(secs => $1)) AS up,"
            " count(*) FILTER (WHERE seen_at < now() - make_interval(secs => $1)) AS down"
            " FROM role_heartbeats GROUP BY role ORDER BY role",
            float(down_after_seconds),
        )
        return [RoleHealth(r["role"], r["up"], r["down"]) for r in rows]

    async def overdue_posts(self, overdue_seconds: float) -> int:
        return int(await self.pool.fetchval(OVERDUE_SQL, float(overdue_seconds)))


async def keep_beating(beats: Heartbeats, role: str, instance: str, every: float, stop: asyncio.Event | None = None) -> None:
    """Beat every ``every`` seconds until cancelled or ``stop`` is set; a failed beat (the database is
    away) is logged and tried at the next tick: silence is exactly what an outage should look like."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await beats.beat(role, instance)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001
            log.warning("heartbeat of %s/%s failed: %s", role, instance, type(err).__name__)
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass
