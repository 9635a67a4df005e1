"""The projector: applies batches of events to the read models with exactly-once effect.

Each batch is one transaction that first moves the ``(projection, topic, partition) → offset``
checkpoints (forward only) and then writes the rows, so a crash anywhere re-applies nothing and
loses nothing. On partition assignment the consumer seeks to the stored checkpoint + 1; Kafka's own
committed offsets are written too, but only for operators' lag tools.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from adapters.logs import CURRENT, Context
from adapters.metrics import PROJECTED_EVENTS
from adapters.transient import is_transient
from projections.base import Projection, apply_statements, collect, live_names
from projections.exceptions import ProjectionError

log = logging.getLogger("socializer.projector")

CHECKPOINT_SQL = (
    'INSERT INTO projection_checkpoints (projection, topic, partition, "offset", high_watermark, updated_at)'
    " VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (projection, topic, partition) DO UPDATE"
    ' SET "offset" = EXCLUDED."offset", high_watermark = EXCLUDED.high_watermark, updated_at = now()'
    ' WHERE projection_checkpoints."offset" < EXCLUDED."offset"'
)


async def load_checkpoints(conn: asyncpg.Connection | asyncpg.Pool, projection: str) -> dict[tuple[str, int], int]:
    rows = await conn.fetch('SELECT topic, partition, "offset" FROM projection_checkpoints WHERE projection = $1', projection)
    return {(r["topic"], r["partition"]): r["offset"] for r in rows}


class _Seek(ConsumerRebalanceListener):
    def __init__(self, runner: Projector) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: object) -> None:
        pass

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        await self.runner.seek(assigned)


class Projector:
    def __init__(
        self,
        pool: asyncpg.Pool,
        bootstrap: str,
        projections: Sequence[Projection],
        *,
        group_id: str = "socializer.projector",
        max_records: int = 2000,
        session_timeout_ms: int = 10000,
    ) -> None:
        self.pool = pool
        self.bootstrap = bootstrap
        self.by_topic = {topic: p for p in projections for topic in p.topics}
        self.group_id = group_id
        self.max_records = max_records
        self.session_timeout_ms = session_timeout_ms
        self.positions: dict[tuple[str, int], int] = {}  # last applied offset per partition
        self.consumer: AIOKafkaConsumer | None = None
        self.pending: asyncio.Future | None = None
        self.applied = 0

    async def seek(self, assigned: Sequence[TopicPartition]) -> None:
        assert self.consumer is not None
        if self.pending is not None:  # a batch still being written: its checkpoint is part of what we read
            await asyncio.shield(self.pending)
        async with self.pool.acquire() as conn:
            stored: dict[tuple[str, int], int] = {}
            for name in {p.name for p in self.by_topic.values()}:
                for (topic, part), off in (await load_checkpoints(conn, name)).items():
                    if self.by_topic.get(topic) and self.by_topic[topic].name == name:
                        stored[(topic, part)] = off
        ends = await self.consumer.end_offsets(list(assigned)) if assigned else {}
        for tp in assigned:
            off = stored.get((tp.topic, tp.partition))
            # An empty partition under a checkpoint means the topic was recreated (Tansu keeps topics in
            # memory): applying from the checkpoint would silently skip the new history. Only emptiness is
            # trusted: Tansu 0.6 reports end offsets a batch short, so "checkpoint >= end" is not a signal.
            if off is not None and ends.get(tp, 0) == 0:
                raise ProjectionError(
                    f"{tp.topic}[{tp.partition}] is empty but {off} was applied: the topic was recreated; rebuild the"
                    " read models (socializer replay all) or reset the database"
                )
            if off is None:
                self.positions.pop((tp.topic, tp.partition), None)
                await self.consumer.seek_to_beginning(tp)
            else:
                self.positions[(tp.topic, tp.partition)] = off
                self.consumer.seek(tp, off + 1)

    def prepare(self, batch: dict[TopicPartition, list]) -> tuple[list[tuple], list[tuple[Projection, list]], int]:
        """Decode and map a batch (CPU only), skipping offsets already applied."""
        checkpoints: list[tuple] = []
        work: list[tuple[Projection, list]] = []
        n = 0
        for tp, messages in batch.items():
            last = self.positions.get((tp.topic, tp.partition), -1)
            fresh = [m for m in messages if m.offset > last]  # redelivered after a rebalance: already applied
            if not fresh:
                continue
            projection = self.by_topic[tp.topic]
            work.append((projection, collect(projection, (m.value for m in fresh))))
            hw = self.consumer.highwater(tp) if self.consumer else None
            checkpoints.append((projection.name, tp.topic, tp.partition, fresh[-1].offset, hw or fresh[-1].offset + 1))
            self.positions[(tp.topic, tp.partition)] = fresh[-1].offset
            n += len(fresh)
        return checkpoints, work, n

    async def write(self, checkpoints: list[tuple], work: list[tuple[Projection, list]], n: int) -> int:
        """One transaction: checkpoints first (so replay's swap can lock them), then the rows. A
        database outage is waited out with the batch held: it is written whole, once, or not yet."""
        if not checkpoints:
            return 0
        delay = 0.2
        while True:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    await conn.executemany(CHECKPOINT_SQL, checkpoints)
                    for projection, statements in work:
                        await apply_statements(conn, projection, statements, live_names(projection))
                break
            except Exception as err:
                if not is_transient(err):
                    raise
                log.warning("projector: database unavailable (%s: %s); batch held, again in %.1fs", type(err).__name__, err, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        self.applied += n
        PROJECTED_EVENTS.inc(n)
        return n

    async def run(self, stop: asyncio.Event | None = None) -> None:
        CURRENT.set(Context("projector"))  # every line it logs names it (a batch has no one event id)
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(1000, self.session_timeout_ms // 5),
            max_poll_records=self.max_records,
        )
        self.consumer.subscribe(topics=list(self.by_topic), listener=_Seek(self))
        await self.consumer.start()
        stop = stop or asyncio.Event()
        try:
            while not stop.is_set():
                batch = await self.consumer.getmany(timeout_ms=200, max_records=self.max_records)
                if not batch:
                    continue
                # Pipelined: this batch is decoded while the previous one is still being written.
                prepared = self.prepare(batch)
                if self.pending is not None:
                    await self.pending
                self.pending = asyncio.ensure_future(self.write(*prepared))
                try:
                    await self.consumer.commit()
                except Exception as err:  # informational only: our checkpoints are the truth
                    log.debug("kafka commit failed: %s", err)
            if self.pending is not None:
                await self.pending
        finally:
            await self.consumer.stop()
