"""A site's credit account: given its state, a charge's state and a command, which events follow.

Pure. A charge is keyed by the id of the event that caused the work, so whatever arrives twice
(a redelivered article, a render job read again after a crash) finds its charge already there and
changes nothing. Credits are reserved before the expensive call (refused when the account cannot
cover them: the work does not start), then committed at what the work really cost, or released.
The first command an account sees opens it with the opening grant.
"""

from __future__ import annotations

from decimal import Decimal

from domain.usage import Account, Charge
from schemas import events as e
from schemas.commands import DecideCredits

__all__ = ["decide", "evolve", "evolve_charge", "refused"]


def decide(account: Account, charge: Charge | None, cmd: DecideCredits, *, opening: Decimal) -> list[e.Event]:
    site = cmd.site_id
    events: list[e.Event] = []
    if not account.opened:
        events.append(e.CreditsGranted(site_id=site, credits=opening, reason="opening grant", granted_by="socializer"))
        account = evolve(account, events[0])
    cost = sum((line.credits for line in cmd.lines), Decimal(0))
    if cmd.action == "grant":
        events.append(e.CreditsGranted(site_id=site, credits=cmd.credits, reason=cmd.reason, granted_by=cmd.requested_by))
    elif cmd.action == "reserve":
        if charge is None and cost > account.available:
            reason = f"site {site} has {account.available} credits available; this work needs {cost}"
            events.append(e.CreditsRefused(site_id=site, charge_id=cmd.charge_id, credits=cost, available=account.available, reason=reason))
        elif charge is None:
            events.append(e.CreditsReserved(site_id=site, charge_id=cmd.charge_id, credits=cost, lines=cmd.lines))
    elif cmd.action == "commit":
        if charge is None or charge.state == "reserved":  # none: work too cheap to reserve for, charged as done
            held = charge.credits if charge else Decimal(0)
            events.append(
                e.CreditsCommitted(
                    site_id=site,
                    charge_id=cmd.charge_id,
                    credits=cost,
                    reserved=held,
                    lines=cmd.lines,
                    model=cmd.model,
                    subjects=cmd.subjects,
                )
            )
    elif cmd.action == "release":
        if charge is not None and charge.state == "reserved":
            events.append(e.CreditsReleased(site_id=site, charge_id=cmd.charge_id, credits=charge.credits, reason=cmd.reason))
    return events


def refused(events: list[e.Event]) -> e.CreditsRefused | None:
    return next((ev for ev in events if isinstance(ev, e.CreditsRefused)), None)


def evolve(account: Account, event: e.Event) -> Account:
    if isinstance(event, e.CreditsGranted):
        return Account(account.site_id, True, account.granted + event.credits, account.spent, account.reserved)
    if isinstance(event, e.CreditsReserved):
        return Account(account.site_id, True, account.granted, account.spent, account.reserved + event.credits)
    if isinstance(event, e.CreditsCommitted):
        return Account(account.site_id, True, account.granted, account.spent + event.credits, account.reserved - event.reserved)
    if isinstance(event, e.CreditsReleased):
        return Account(account.site_id, True, account.granted, account.spent, account.reserved - event.credits)
    return account


def evolve_charge(charge: Charge | None, event: e.Event) -> Charge | None:
    if isinstance(event, e.CreditsReserved):
        return Charge(event.charge_id, "reserved", event.credits)
    if isinstance(event, e.CreditsCommitted):
        return Charge(event.charge_id, "committed", event.credits)
    if isinstance(event, e.CreditsReleased):
        return Charge(event.charge_id, "released", Decimal(0))
    if isinstance(event, e.CreditsRefused):
        return Charge(event.charge_id, "refused", Decimal(0))
    return charge
