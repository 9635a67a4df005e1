"""The automations read model: one row per automation, its current definition, status and version,
folded from ``social.automations`` (written by one writer, ``streams.define``). A repeat of an event
on the log (the writer re-decided a command after a crash: the same id) is not applied again."""

from __future__ import annotations

from typing import Any

import asyncpg

from projections.base import Projection, Statement
from schemas import events as e
from schemas import topics as t
from schemas.registry import Decoded

_NEW = "NOT ({eid} = ANY(applied))"
_APPLIED = "applied = (applied || {eid}::text)[greatest(1, cardinality(applied) - 62):]"


class AutomationsProjection(Projection):
    def statements(self, d: Decoded) -> list[Statement]:
        m, at, eid = d.message, d.envelope.time, d.envelope.id
        match m:
            case e.AutomationCreated():
                name = str(m.definition.get("name", ""))
                return [("created", (m.automation_id, m.site_id, name, m.version, m.definition, m.created_by, at, eid))]
            case e.AutomationEdited():
                return [("edited", (m.automation_id, str(m.definition.get("name", "")), m.version, m.definition, at, eid))]
            case e.AutomationActivated():
                return [("activated", (m.automation_id, at, eid))]
            case e.AutomationPaused():
                return [("status", (m.automation_id, "paused", at, eid))]
            case e.AutomationDeleted():
                return [("status", (m.automation_id, "deleted", at, eid))]
        return []


AUTOMATIONS = AutomationsProjection(
    name="automations",
    topics=(t.AUTOMATIONS,),
    tables=("automations",),
    sql={
        "created": "INSERT INTO {automations} (automation_id, site_id, name, status, version, definition, created_by, created_at,"
        " updated_at, applied) VALUES ($1,$2,$3,'draft',$4,$5,$6,$7,$7,ARRAY[$8::text]) ON CONFLICT (automation_id) DO NOTHING",
        "edited": f"UPDATE {{automations}} SET name = $2, version = $3, definition = $4, updated_at = $5, {_APPLIED.format(eid='$6')}"
        f" WHERE automation_id = $1 AND {_NEW.format(eid='$6')}",
        "activated": f"UPDATE {{automations}} SET status = 'active', activated_at = $2, updated_at = $2, {_APPLIED.format(eid='$3')}"
        f" WHERE automation_id = $1 AND {_NEW.format(eid='$3')}",
        "status": f"UPDATE {{automations}} SET status = $2, updated_at = $3, {_APPLIED.format(eid='$4')}"
        f" WHERE automation_id = $1 AND {_NEW.format(eid='$4')}",
    },
)

# ---- queries (the API's)
_COLUMNS = "automation_id, site_id, name, status, version, definition, created_by, created_at, updated_at, activated_at"


async def automations(pool: asyncpg.Pool, *, site_id: str, status: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """The site's automations, newest first (a deleted one only when asked for by status)."""
    cond, args = "site_id = $1 AND status <> 'deleted'", [site_id]
    if status is not None:
        cond, args = "site_id = $1 AND status = $2", [site_id, status]
    n = len(args)
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM automations WHERE {cond} ORDER BY created_at DESC, automation_id LIMIT ${n + 1} OFFSET ${n + 2}",
        *args,
        limit,
        offset,
    )
    total = await pool.fetchval(f"SELECT count(*) FROM automations WHERE {cond}", *args)
    return [dict(r) for r in rows], int(total)


async def automation(pool: asyncpg.Pool, automation_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM automations WHERE automation_id = $1", automation_id)
    return dict(row) if row else None
