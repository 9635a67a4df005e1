"""Rebuild a projection from offset 0 into fresh tables, check it against the live one, swap it in.

1. ``CREATE TABLE <t>__replay (LIKE <t> INCLUDING ALL)`` for each table the projection owns.
2. Read every partition from the beginning up to the live checkpoints, applying batches.
3. In one transaction: lock the live checkpoint rows (the live projector writes its checkpoint
   first in each batch, so it waits here), catch up to them, compare both copies row for row
   (``require_identical`` refuses to swap on any difference: the check after a code change that
   should not change results), and rename the rebuilt tables into place. The live projector
   resumes on the new tables.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from adapters.postgres import init_connection
from projections.base import Projection, apply_statements, collect
from projections.exceptions import ReplayMismatch

SUFFIX = "__replay"


@dataclass
class ReplayReport:
    projection: str
    events: int = 0
    seconds: float = 0.0
    swapped: bool = False
    differences: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        rate = self.events / self.seconds if self.seconds else 0
        diff = "identical" if not any(self.differences.values()) else f"DIFFERENT {self.differences}"
        return (
            f"replay {self.projection}: {self.events} events in {self.seconds:.2f}s ({rate:,.0f}/s); "
            f"rebuilt copy {diff}; {'swapped in' if self.swapped else 'not swapped'}"
        )


async def _targets(conn: asyncpg.Connection, projection: Projection, *, lock: bool) -> dict[tuple[str, int], int]:
    sql = 'SELECT topic, partition, "offset" FROM projection_checkpoints WHERE projection = $1'
    rows = await conn.fetch(sql + (" FOR UPDATE" if lock else ""), projection.name)
    return {(r["topic"], r["partition"]): r["offset"] for r in rows}


async def differences(conn: asyncpg.Connection, projection: Projection) -> dict[str, int]:
    out = {}
    for t in projection.tables:
        n = await conn.fetchval(
            f"SELECT (SELECT count(*) FROM (SELECT * FROM {t} EXCEPT ALL SELECT * FROM {t}{SUFFIX}) a)"
            f" + (SELECT count(*) FROM (SELECT * FROM {t}{SUFFIX} EXCEPT ALL SELECT * FROM {t}) b)"
        )
        out[t] = int(n)
    return out


async def differing(conn: asyncpg.Connection, projection: Projection, limit: int = 3) -> dict[str, dict[str, list[dict[str, object]]]]:
    """A few rows only the live table has and only the rebuilt one has, per table: what to look at."""
    out: dict[str, dict[str, list[dict[str, object]]]] = {}
    for t in projection.tables:
        live = await conn.fetch(f"SELECT * FROM (SELECT * FROM {t} EXCEPT ALL SELECT * FROM {t}{SUFFIX}) a LIMIT {limit}")
        rebuilt = await conn.fetch(f"SELECT * FROM (SELECT * FROM {t}{SUFFIX} EXCEPT ALL SELECT * FROM {t}) b LIMIT {limit}")
        if live or rebuilt:
            out[t] = {"live": [dict(r) for r in live], "rebuilt": [dict(r) for r in rebuilt]}
    return out


class _Reader:
    def __init__(self, bootstrap: str, projection: Projection) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",
            max_poll_records=5000,
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=16 * 1024 * 1024,
        )
        self.projection = projection
        self.positions: dict[tuple[str, int], int] = {}

    async def start(self) -> list[TopicPartition]:
        await self.consumer.start()
        tps = []
        for topic in self.projection.topics:
            parts = self.consumer.partitions_for_topic(topic)
            if parts is None:
                await self.consumer._client.force_metadata_update()  # noqa: SLF001
                parts = self.consumer.partitions_for_topic(topic) or set()
            tps += [TopicPartition(topic, p) for p in sorted(parts)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_beginning(*tps)
        return tps

    async def apply_until(
        self,
        conn: asyncpg.Connection,
        targets: dict[tuple[str, int], int],
        names: dict[str, str],
        report: ReplayReport,
        progress: bool,
        total: int,
    ) -> None:
        """Apply every event up to and including ``targets`` (per partition), in batches."""

        def pending() -> list[TopicPartition]:
            return [TopicPartition(t, p) for (t, p), off in targets.items() if self.positions.get((t, p), -1) < off]

        while todo := pending():
            batch = await self.consumer.getmany(*todo, timeout_ms=1000, max_records=5000)
            values: list[bytes | None] = []
            for tp, msgs in batch.items():
                limit = targets.get((tp.topic, tp.partition), -1)
                kept = [m for m in msgs if self.positions.get((tp.topic, tp.partition), -1) < m.offset <= limit]
                if kept:
                    values += [m.value for m in kept]
                    self.positions[(tp.topic, tp.partition)] = kept[-1].offset
                elif msgs and msgs[0].offset > limit:
                    self.positions[(tp.topic, tp.partition)] = limit
                if msgs and msgs[-1].offset > limit:
                    # Fetched past this round's target: read them again in the next round (the live
                    # projector's checkpoint moves on while we catch up), never drop them.
                    self.consumer.seek(tp, limit + 1)
            if values:
                await apply_statements(conn, self.projection, collect(self.projection, values), names)
                report.events += len(values)
                if progress:
                    print(f"\r  {self.projection.name}: {report.events:,}/{total:,} events", end="", file=sys.stderr, flush=True)

    async def stop(self) -> None:
        await self.consumer.stop()


async def replay(
    dsn: str, bootstrap: str, projection: Projection, *, swap: bool = True, require_identical: bool = False, progress: bool = False
) -> ReplayReport:
    report = ReplayReport(projection.name)
    started = time.perf_counter()
    names = {t: f"{t}{SUFFIX}" for t in projection.tables}
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    reader = _Reader(bootstrap, projection)
    try:
        for t in projection.tables:
            await conn.execute(f"DROP TABLE IF EXISTS {t}{SUFFIX}; CREATE TABLE {t}{SUFFIX} (LIKE {t} INCLUDING ALL)")
        await reader.start()
        targets = await _targets(conn, projection, lock=False)
        total = sum(off + 1 for off in targets.values())
        async with conn.transaction():
            await reader.apply_until(conn, targets, names, report, progress, total)
        async with conn.transaction():
            targets = await _targets(conn, projection, lock=True)  # the live projector waits from here
            await reader.apply_until(conn, targets, names, report, progress, sum(off + 1 for off in targets.values()))
            report.differences = await differences(conn, projection)
            if require_identical and any(report.differences.values()):
                sample = await differing(conn, projection)
                raise ReplayMismatch(
                    f"{projection.name}: rebuilt copy differs from the live one: {report.differences}; first rows: {sample}"
                )
            if swap:
                for t in projection.tables:
                    await conn.execute(f"ALTER TABLE {t} RENAME TO {t}__old; ALTER TABLE {t}{SUFFIX} RENAME TO {t}; DROP TABLE {t}__old")
                report.swapped = True
        if progress:
            print(file=sys.stderr)
    finally:
        await reader.stop()
        await conn.close()
    report.seconds = time.perf_counter() - started
    return report
