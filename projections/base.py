"""What a projection is: the topics it reads, the tables it owns, and a pure map from one decoded
event to SQL statements. The runner (live) and replay (rebuild) apply the same map, in batches."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from schemas.registry import Decoded

Statement = tuple[str, tuple[Any, ...]]  # (key into Projection.sql, arguments)


@dataclass(frozen=True)
class Projection:
    name: str
    topics: tuple[str, ...]
    tables: tuple[str, ...]
    sql: dict[str, str]  # templates; {table} placeholders name the tables

    def decode(self, raw: bytes) -> Decoded:
        from schemas.registry import registry

        return registry.decode(raw)

    def statements(self, decoded: Decoded) -> list[Statement]:
        raise NotImplementedError

    def render(self, key: str, names: dict[str, str]) -> str:
        return self.sql[key].format(**names)


async def apply_statements(conn: asyncpg.Connection, projection: Projection, statements: Sequence[Statement],
                           names: dict[str, str]) -> None:
    """Run statements in order, one ``executemany`` per run of the same statement: one round trip
    per run instead of one per event, which is what makes batching pay."""
    i = 0
    n = len(statements)
    while i < n:
        key = statements[i][0]
        j = i
        args: list[tuple[Any, ...]] = []
        while j < n and statements[j][0] == key:
            args.append(statements[j][1])
            j += 1
        await conn.executemany(projection.render(key, names), args)
        i = j


def live_names(projection: Projection) -> dict[str, str]:
    return {t: t for t in projection.tables}


def collect(projection: Projection, values: Iterable[bytes | None]) -> list[Statement]:
    """Decode and map a batch; an undecodable or foreign event is skipped (the checkpoint still moves)."""
    from schemas.exceptions import SchemaError

    out: list[Statement] = []
    for raw in values:
        if not raw:
            continue
        try:
            decoded = projection.decode(raw)
        except SchemaError:
            continue
        out.extend(projection.statements(decoded))
    return out
