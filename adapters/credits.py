"""Credits: the account's single writer's store, and the port the working agents charge through.

:class:`CreditStore` is where the charge agent keeps each site's account and each charge as folded
from the events it appended (``credit_accounts``, ``credit_charges``) and what each command came to
(``command_outcomes``): ``site(site_id)`` is a unit of work, locked, so one site's commands are
decided one at a time. :class:`Credits` is what adapt, film and render call: ``reserve`` sends the
command to the writer and waits for its answer (the work must not start before it),
``commit`` / ``release`` only send. :class:`BrokerCredits` is that port over the broker;
:class:`MemoryCreditStore` the store's fake.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from adapters.kafka import Producer, send_all
from adapters.outcomes import OutcomeWaiter
from adapters.post_states import Outcome
from domain.usage import Account, Charge, Line
from schemas import topics as t
from schemas.commands import DecideCredits
from schemas.envelope import Envelope, derived_id
from schemas.events import ChargedSubject, ChargeLine
from schemas.registry import registry

SOURCE = "socializer/credits"


class CreditsUnanswered(TimeoutError):
    """The account's writer did not answer a reservation in time: the work waits (a transient fault)."""


# ---------------------------------------------------------------- the writer's store
class CreditTxn(Protocol):
    account: Account

    async def charge(self, charge_id: str) -> Charge | None: ...

    async def outcome(self, command_id: str) -> Outcome | None: ...

    async def save(self, account: Account, charge: Charge | None) -> None: ...

    async def record(self, command_id: str, outcome: Outcome) -> None: ...


class CreditStore(Protocol):
    def site(self, site_id: str) -> Any:
        """``async with store.site(id) as txn``: the site's account, locked (a :class:`CreditTxn`)."""
        ...


class _PgTxn:
    def __init__(self, conn: Any, account: Account) -> None:
        self.conn, self.account = conn, account

    async def charge(self, charge_id: str) -> Charge | None:
        row = await self.conn.fetchrow("SELECT state, credits FROM credit_charges WHERE charge_id = $1", charge_id)
        return Charge(charge_id, row["state"], row["credits"]) if row else None

    async def outcome(self, command_id: str) -> Outcome | None:
        row = await self.conn.fetchrow("SELECT status, body FROM command_outcomes WHERE command_id = $1", command_id)
        return Outcome(row["status"], row["body"]) if row else None

    async def save(self, account: Account, charge: Charge | None) -> None:
        a = account
        await self.conn.execute(
            "INSERT INTO credit_accounts (site_id, opened, granted, spent, reserved) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (site_id) DO UPDATE SET opened = EXCLUDED.opened, granted = EXCLUDED.granted,"
            " spent = EXCLUDED.spent, reserved = EXCLUDED.reserved, updated_at = now()",
            a.site_id,
            a.opened,
            a.granted,
            a.spent,
            a.reserved,
        )
        if charge is not None:
            await self.conn.execute(
                "INSERT INTO credit_charges (charge_id, site_id, state, credits) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (charge_id) DO UPDATE SET state = EXCLUDED.state, credits = EXCLUDED.credits, updated_at = now()",
                charge.charge_id,
                a.site_id,
                charge.state,
                charge.credits,
            )
        self.account = account

    async def record(self, command_id: str, outcome: Outcome) -> None:
        # command_outcomes.post_id holds the aggregate's id: here, the site's.
        await self.conn.execute(
            "INSERT INTO command_outcomes (command_id, post_id, site_id, status, body) VALUES ($1, $2, $2, $3, $4)"
            " ON CONFLICT (command_id) DO NOTHING",
            command_id,
            self.account.site_id,
            outcome.status,
            outcome.body,
        )
        await self.conn.execute("SELECT pg_notify('command_outcomes', $1)", command_id)


class PostgresCreditStore:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @asynccontextmanager
    async def site(self, site_id: str) -> AsyncIterator[_PgTxn]:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('credits:' || $1))", site_id)
            row = await conn.fetchrow("SELECT opened, granted, spent, reserved FROM credit_accounts WHERE site_id = $1", site_id)
            account = Account(site_id, row["opened"], row["granted"], row["spent"], row["reserved"]) if row else Account(site_id)
            yield _PgTxn(conn, account)


@dataclass
class MemoryCreditStore:
    accounts: dict[str, Account] = field(default_factory=dict)
    charges: dict[str, Charge] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    @asynccontextmanager
    async def site(self, site_id: str) -> AsyncIterator[_MemTxn]:
        async with self._locks.setdefault(site_id, asyncio.Lock()):
            yield _MemTxn(self, self.accounts.get(site_id) or Account(site_id))


class _MemTxn:
    def __init__(self, store: MemoryCreditStore, account: Account) -> None:
        self.store, self.account = store, account

    async def charge(self, charge_id: str) -> Charge | None:
        return self.store.charges.get(charge_id)

    async def outcome(self, command_id: str) -> Outcome | None:
        return self.store.outcomes.get(command_id)

    async def save(self, account: Account, charge: Charge | None) -> None:
        self.store.accounts[account.site_id] = self.account = account
        if charge is not None:
            self.store.charges[charge.charge_id] = charge

    async def record(self, command_id: str, outcome: Outcome) -> None:
        self.store.outcomes.setdefault(command_id, outcome)


# ---------------------------------------------------------------- the port the work charges through
@dataclass(frozen=True)
class Reservation:
    """The writer's answer to a reservation: ``held`` (the work may start) or not, and why."""

    held: bool
    reason: str = ""


class Credits(Protocol):
    async def reserve(self, site_id: str, charge_id: str, lines: Sequence[Line], cause: Envelope) -> Reservation: ...

    async def commit(
        self,
        site_id: str,
        charge_id: str,
        lines: Sequence[Line],
        cause: Envelope,
        *,
        model: str = "",
        subjects: Sequence[ChargedSubject] = (),
    ) -> None: ...

    async def release(self, site_id: str, charge_id: str, reason: str, cause: Envelope) -> None: ...


def wire(lines: Sequence[Line]) -> list[ChargeLine]:
    return [ChargeLine(operation=x.operation, quantity=x.quantity, credits=x.credits) for x in lines]


def command_id(charge_id: str, action: str) -> str:
    return derived_id(charge_id, "credits", action)


class BrokerCredits:
    """Commands on ``social.usage.commands``; a reservation waits for the writer's recorded answer."""

    def __init__(self, out: Producer, outcomes: OutcomeWaiter, *, timeout: float = 30.0, source: str = SOURCE) -> None:
        self.out, self.outcomes, self.timeout, self.source = out, outcomes, timeout, source

    async def _send(self, cmd: DecideCredits, cause: Envelope) -> None:
        env = registry.envelope(
            cmd,
            source=self.source,
            subject=cmd.site_id,
            id=derived_id(cmd.command_id, "envelope"),
            correlationid=cause.correlationid or cause.id,
            causationid=cause.id,
        )
        await send_all(self.out, t.USAGE_COMMANDS, [(cmd.site_id, env)])

    async def reserve(self, site_id: str, charge_id: str, lines: Sequence[Line], cause: Envelope) -> Reservation:
        cid = command_id(charge_id, "reserve")
        cmd = DecideCredits(command_id=cid, site_id=site_id, action="reserve", charge_id=charge_id, lines=wire(lines))
        await self._send(cmd, cause)
        answered = await self.outcomes.wait([cid], self.timeout)
        if cid not in answered:
            raise CreditsUnanswered(f"credits: no answer to reservation {charge_id} of site {site_id} within {self.timeout:g}s")
        outcome = answered[cid]
        return Reservation(outcome.status == 202, str(outcome.body.get("detail", "")))

    async def commit(
        self,
        site_id: str,
        charge_id: str,
        lines: Sequence[Line],
        cause: Envelope,
        *,
        model: str = "",
        subjects: Sequence[ChargedSubject] = (),
    ) -> None:
        cmd = DecideCredits(
            command_id=command_id(charge_id, "commit"),
            site_id=site_id,
            action="commit",
            charge_id=charge_id,
            lines=wire(lines),
            model=model,
            subjects=list(subjects),
        )
        await self._send(cmd, cause)

    async def release(self, site_id: str, charge_id: str, reason: str, cause: Envelope) -> None:
        cmd = DecideCredits(
            command_id=command_id(charge_id, "release"), site_id=site_id, action="release", charge_id=charge_id, reason=reason
        )
        await self._send(cmd, cause)


def available(balance: Decimal | None, reserved: Decimal, opening: Decimal) -> Decimal:
    """What a site may still spend, as the read model has it (no row yet: the opening grant)."""
    return (opening if balance is None else balance) - reserved
