"""charge: the single writer of sites' credit accounts.

Commands arrive on ``social.usage.commands`` keyed by site id (reservations, commits and releases
from adapt, film and render; grants from the CLI); each is decided by :func:`commands.usage.decide`
under the site's lock, against the account and the charge as folded from the events this writer
appended to ``social.usage``. What a command came to is recorded by command id (a reservation's
sender waits for it: 202 held, 402 refused). The events go on the log before the state moves; after
a crash in between, the command is decided again against the same state into the same event ids,
which the ledger's projection keeps once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.credits import BrokerCredits, Credits, CreditStore
from adapters.kafka import Producer, send_all
from adapters.post_states import Outcome
from commands import usage
from schemas import topics as t
from schemas.commands import DecideCredits
from schemas.envelope import derived_id
from schemas.exceptions import InvalidEvent
from schemas.registry import Decoded, registry
from streams.plumbing import Agent

SOURCE = "socializer/charge"


@dataclass
class Charging:
    store: CreditStore
    out: Producer
    opening: Decimal


async def decide(decoded: Decoded, c: Charging) -> Outcome:
    cmd = decoded.message
    if not isinstance(cmd, DecideCredits):
        raise InvalidEvent(f"envelope.type: expected DecideCredits, got {decoded.envelope.type!r}")
    cause = decoded.envelope
    async with c.store.site(cmd.site_id) as txn:
        known = await txn.outcome(cmd.command_id)
        if known is not None:
            return known  # a redelivered command: the first answer
        charge = await txn.charge(cmd.charge_id) if cmd.charge_id else None
        events = usage.decide(txn.account, charge, cmd, opening=c.opening)
        items = [
            (
                cmd.site_id,
                registry.envelope(
                    ev,
                    source=SOURCE,
                    subject=cmd.site_id,
                    id=derived_id(cmd.command_id, str(i), type(ev).__name__),
                    correlationid=cause.correlationid or cause.id,
                    causationid=cause.id,
                ),
            )
            for i, ev in enumerate(events)
        ]
        if items:
            await send_all(c.out, t.USAGE, items)
        account = txn.account
        for ev in events:
            account, charge = usage.evolve(account, ev), usage.evolve_charge(charge, ev)
        await txn.save(account, charge)
        no = usage.refused(events)
        body: dict[str, Any] = {
            "site_id": cmd.site_id,
            "charge_id": cmd.charge_id,
            "state": charge.state if charge else None,
            "balance": str(account.balance),
            "available": str(account.available),
            "events": [env.id for _, env in items],
        }
        if no is not None:
            outcome = Outcome(402, body | {"code": "insufficient_credits", "title": "Payment Required", "detail": no.reason})
        elif charge is not None and charge.state == "refused":  # refused before: the same answer
            detail = f"charge {cmd.charge_id} was refused: site {cmd.site_id} had too few credits"
            outcome = Outcome(402, body | {"code": "insufficient_credits", "title": "Payment Required", "detail": detail})
        else:
            outcome = Outcome(202, body)
        await txn.record(cmd.command_id, outcome)
    return outcome


def register(agent: Agent) -> None:
    d = agent.deps
    if d.credit_store is None:
        return  # this worker keeps no accounts
    c = Charging(store=d.credit_store, out=agent.producer, opening=d.settings.opening_grant)

    async def one(message: Any) -> None:
        await decide(registry.decode(message.value or b""), c)

    agent.consume(t.USAGE_COMMANDS, "charge", one)


def credits_for(agent: Agent) -> Credits | None:
    """The port the working agents charge through: the deps' (a fake in tests), or the broker's
    when this deployment charges credits."""
    d = agent.deps
    if d.credits is not None:
        return d.credits
    if not d.settings.charging:
        return None
    return BrokerCredits(agent.producer, d.outcomes, timeout=d.settings.credit_wait_seconds)
