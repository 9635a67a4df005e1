"""The usage ledger's read model, from ``social.usage``: a ledger row per grant and per committed
operation (the balance is their sum), the reservations still open, and what each post or video
project cost with the model that did the work. Every row is keyed by the event it came from, so a
repeated event (the writer re-deciding after a crash) is kept once, and a replay rebuilds it exactly."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from projections.base import Projection, Statement
from schemas import events as e
from schemas import topics as t
from schemas.registry import Decoded


class UsageProjection(Projection):
    def statements(self, d: Decoded) -> list[Statement]:
        m, at, eid = d.message, d.envelope.time, d.envelope.id
        match m:
            case e.CreditsGranted():
                return [("ledger", (eid, m.site_id, "", "grant", "", 0, m.credits, "", at))]
            case e.CreditsReserved():
                return [("reserved", (m.charge_id, m.site_id, m.credits, at))]
            case e.CreditsReleased():
                return [("closed", (m.charge_id,))]
            case e.CreditsCommitted():
                rows: list[Statement] = [("closed", (m.charge_id,))]
                rows += [
                    ("ledger", (f"{eid}:{x.operation}", m.site_id, m.charge_id, "charge", x.operation, x.quantity, -x.credits, m.model, at))
                    for x in m.lines
                ]
                rows += [("subject", (s.subject_id, m.charge_id, m.site_id, s.kind, s.credits, s.model, at)) for s in m.subjects]
                return rows
        return []


USAGE = UsageProjection(
    name="usage",
    topics=(t.USAGE,),
    tables=("usage_ledger", "usage_reservations", "usage_subjects"),
    sql={
        "ledger": "INSERT INTO {usage_ledger} (entry_id, site_id, charge_id, kind, operation, quantity, credits, model, at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (entry_id) DO NOTHING",
        "reserved": "INSERT INTO {usage_reservations} (charge_id, site_id, credits, open, at) VALUES ($1,$2,$3,true,$4)"
        " ON CONFLICT (charge_id) DO NOTHING",
        "closed": "UPDATE {usage_reservations} SET open = false WHERE charge_id = $1",
        "subject": "INSERT INTO {usage_subjects} (subject_id, charge_id, site_id, kind, credits, model, at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (subject_id, charge_id) DO NOTHING",
    },
)


# ---------------------------------------------------------------- queries
async def balance(pool: Any, site_id: str) -> tuple[Decimal | None, Decimal]:
    """(balance, reserved) as the read model has them; balance None: the account was never opened."""
    row = await pool.fetchrow(
        "SELECT (SELECT sum(credits) FROM usage_ledger WHERE site_id = $1) AS balance,"
        " (SELECT coalesce(sum(credits), 0) FROM usage_reservations WHERE site_id = $1 AND open) AS reserved",
        site_id,
    )
    return row["balance"], row["reserved"]


async def period(pool: Any, site_id: str, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """Granted and charged in [start, end), charges by operation."""
    rows = await pool.fetch(
        "SELECT kind, operation, sum(quantity) AS quantity, sum(credits) AS credits, count(*) AS n FROM usage_ledger"
        " WHERE site_id = $1 AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)"
        " GROUP BY kind, operation ORDER BY kind, operation",
        site_id,
        start,
        end,
    )
    granted = sum((r["credits"] for r in rows if r["kind"] == "grant"), Decimal(0))
    charges = [
        {"operation": r["operation"], "quantity": str(r["quantity"]), "credits": str(-r["credits"]), "charges": r["n"]}
        for r in rows
        if r["kind"] == "charge"
    ]
    spent = sum((-r["credits"] for r in rows if r["kind"] == "charge"), Decimal(0))
    return {"granted": str(granted), "charged": str(spent), "by_operation": charges}


async def cost_of(pool: Any, subject_ids: list[str]) -> dict[str, tuple[Decimal, str]]:
    """What each post or video project cost so far, and the model of its latest charge."""
    rows = await pool.fetch(
        "SELECT subject_id, sum(credits) AS credits, (array_agg(model ORDER BY at DESC))[1] AS model"
        " FROM usage_subjects WHERE subject_id = ANY($1::text[]) GROUP BY subject_id",
        subject_ids,
    )
    return {r["subject_id"]: (r["credits"], r["model"]) for r in rows}
