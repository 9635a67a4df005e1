"""mail: one email per raised notification (and per resolution, when asked), when SMTP is set up.

Sending is an irreversible effect, so it is at most once per (notification, raised|resolved): the
attempt is recorded (:class:`adapters.notifications.EmailLedger`) before the SMTP conversation
starts, and a notification whose email was attempted before is never sent again — a redelivery, a
restart or a crash mid-conversation leaves the row as it was (``sending``: the outcome is unknown).
A server that cannot be reached, or that refuses the message by its answer, did not take it: that
is tried again a few times, then recorded as ``refused`` with the reason. A conversation that broke
after the message was handed over is ``unknown`` and is not re-sent: a person may have it already,
and a second copy is worse than the feed alone (the notification stays in the API's feed either way)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from adapters.notifications import EmailLedger, Mailer, MailRefused, MailUnknown
from schemas import events as e
from schemas import topics as t
from schemas.envelope import utcnow
from schemas.exceptions import SchemaError
from schemas.registry import registry
from streams.plumbing import Agent

log = logging.getLogger("socializer.mail")
TRIES = 3  # a server that could not be reached: tried this often (1 s, then 2 s apart), then recorded as refused
HEADER = "X-Socializer-Notification"


def compose(n: e.NotificationRaised | e.NotificationResolved, sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    """The email: the notification's id in a header (and the Message-ID), so a reader's client can
    thread and dedupe it; nothing secret, no token, no API key."""
    msg = EmailMessage()
    step = "raised" if isinstance(n, e.NotificationRaised) else "resolved"
    if isinstance(n, e.NotificationRaised):
        msg["Subject"] = f"[Socializer] {n.title}"
        at, body = n.raised_at, f"{n.title}\n\n{n.detail}\n"
    else:
        msg["Subject"] = f"[Socializer] Resolved: {n.kind.replace('_', ' ')} ({n.subject})"
        at, body = n.resolved_at, f"Resolved: {n.reason or 'cleared'}\n"
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = make_msgid(idstring=f"{n.notification_id}.{step}", domain="socializer")
    msg[HEADER] = n.notification_id
    msg["X-Socializer-Kind"] = n.kind
    msg["X-Socializer-Event"] = step
    msg.set_content(f"{body}\nsite: {n.site_id}\nkind: {n.kind}\nsubject: {n.subject}\nnotification: {n.notification_id}\n")
    return msg


async def deliver(
    n: e.NotificationRaised | e.NotificationResolved,
    ledger: EmailLedger,
    mailer: Mailer,
    *,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> str:
    """``sent``, ``refused``, ``unknown``, or ``skipped`` (attempted before: never again)."""
    step = "raised" if isinstance(n, e.NotificationRaised) else "resolved"
    if not await ledger.claim(n.notification_id, step, n.site_id, mailer.recipients, clock()):
        return "skipped"
    message = compose(n, mailer.sender, mailer.recipients)
    state, error = "sent", ""
    for attempt in range(TRIES):
        try:
            await mailer.send(message)
            state, error = "sent", ""
            break
        except MailRefused as err:  # not taken: safe to try again
            state, error = "refused", str(err)
            if attempt + 1 < TRIES:
                await sleep(2.0**attempt)
        except MailUnknown as err:  # perhaps taken: never again
            state, error = "unknown", str(err)
            break
    await ledger.finish(n.notification_id, step, state, error, clock())
    if state != "sent":
        log.warning("email for notification %s (%s): %s: %s", n.notification_id, step, state, error)
    return state


def register(agent: Agent) -> None:
    d = agent.deps
    if d.mailer is None or d.emails is None:
        return
    mailer, ledger, on_resolve = d.mailer, d.emails, d.settings.mail_resolved

    async def one(message: Any) -> None:
        try:
            m = registry.decode(message.value or b"").message
        except SchemaError:
            return
        if isinstance(m, e.NotificationRaised) or (on_resolve and isinstance(m, e.NotificationResolved)):
            await deliver(m, ledger, mailer)

    agent.consume(t.NOTIFICATIONS, "mail", one)
