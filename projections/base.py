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


def plan(statements: Sequence[Statement]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Group a batch into as few ``executemany`` calls as order allows.

    Every statement's first argument is the row's key. Statements on different rows commute, so
    the batch is cut into layers (the n-th statement of each row goes to layer n) and each layer
    into one run per statement: a batch of 500 lifecycle events is a handful of round trips
    instead of 500, while each row still sees its events in order.
    """
    seen: dict[Any, int] = {}
    layers: list[dict[str, list[tuple[Any, ...]]]] = []
    for key, args in statements:
        depth = seen.get(args[0], 0)
        seen[args[0]] = depth + 1
        if depth == len(layers):
            layers.append({})
        layers[depth].setdefault(key, []).append(args)
    return [(key, rows) for layer in layers for key, rows in layer.items()]


async def apply_statements(
    conn: asyncpg.Connection, projection: Projection, statements: Sequence[Statement], names: dict[str, str]
) -> None:
    for key, rows in plan(statements):
        await conn.executemany(projection.render(key, names), rows)


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
