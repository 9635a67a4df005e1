"""``socializer credits grant SITE N`` / ``socializer credits show SITE``: an operator's grant goes to
the account's single writer (the charge agent, in the worker) like any other command, and the tool
prints the writer's answer; ``show`` prints the read model's balance, reservations and charges."""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from socializer.cli.common import tool_settings
from socializer.exceptions import SocializerError
from socializer.settings import Settings

ANSWER_SECONDS = 30.0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cr = sub.add_parser("credits", help="sites' credits: grant SITE N (N may be negative) | show SITE")
    cr.add_argument("action", choices=["grant", "show"])
    cr.add_argument("site", help="site id")
    cr.add_argument("amount", nargs="?", help="credits to grant (grant only; a decimal, negative to take back)")
    cr.add_argument("--reason", default="granted by an operator")
    cr.set_defaults(fn=cmd_credits)


def cmd_credits(args: argparse.Namespace) -> None:
    from adapters.postgres import create_pool

    s = tool_settings()
    s.require("database_url")
    amount = _amount(args) if args.action == "grant" else None

    async def run() -> str:
        pool = await create_pool(s.database_url, max_size=1)  # type: ignore[arg-type]
        try:
            if amount is not None:
                return await _grant(s, pool, args.site, amount, args.reason)
            return await _show(pool, args.site, s.credit_opening_grant)
        finally:
            await pool.close()

    print(asyncio.run(run()))


def _amount(args: argparse.Namespace) -> Decimal:
    try:
        amount = Decimal(args.amount or "")
    except InvalidOperation as err:
        raise SocializerError(f"amount: {args.amount!r} is not a number of credits (credits grant SITE N)") from err
    if not amount.is_finite() or amount == 0:
        raise SocializerError(f"amount: {args.amount!r} is not a non-zero number of credits")
    return amount


async def _grant(s: Settings, pool: Any, site: str, amount: Decimal, reason: str) -> str:
    from aiokafka import AIOKafkaProducer

    from adapters.kafka import AIOKafkaSender, send_all
    from schemas import topics
    from schemas.commands import DecideCredits
    from schemas.registry import registry

    cmd = DecideCredits(
        command_id=f"grant-{uuid.uuid4()}", site_id=site, action="grant", credits=amount, reason=reason, requested_by="socializer credits"
    )
    producer = AIOKafkaProducer(bootstrap_servers=s.broker, enable_idempotence=False)
    try:
        await producer.start()
        await send_all(
            AIOKafkaSender(producer), topics.USAGE_COMMANDS, [(site, registry.envelope(cmd, source="socializer/cli", subject=site))]
        )
    finally:
        await producer.stop()
    deadline = time.monotonic() + ANSWER_SECONDS
    while time.monotonic() < deadline:
        row = await pool.fetchrow("SELECT status, body FROM command_outcomes WHERE command_id = $1", cmd.command_id)
        if row is not None:
            body = row["body"]
            return f"granted {amount} credits to {site}: balance {body['balance']}, available {body['available']}"
        await asyncio.sleep(0.1)
    raise SocializerError(f"the grant was sent ({cmd.command_id}) but no worker answered within {ANSWER_SECONDS:g}s: is a worker running?")


async def _show(pool: Any, site: str, opening: Decimal) -> str:
    from adapters.credits import available
    from projections import usage as u

    balance, reserved = await u.balance(pool, site)
    period = await u.period(pool, site, None, None)
    shown = opening if balance is None else balance
    lines = [
        f"site {site}: balance {shown}, reserved {reserved}, available {available(balance, reserved, opening)}"
        + ("" if balance is not None else " (not opened yet: the opening grant)"),
        f"granted {period['granted']}, charged {period['charged']}",
    ]
    lines += [
        f"  {o['operation']:<14} {o['charges']:>6} charges  {o['quantity']:>10} units  {o['credits']:>10} credits"
        for o in period["by_operation"]
    ]
    return "\n".join(lines)
