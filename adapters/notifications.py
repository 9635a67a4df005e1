"""Where the watchdog and the notifier keep what they know, and how an email leaves.

- :class:`OverdueWatch`: the due posts not ended (the scheduler's ``scheduler_posts`` beside the
  ``publish_attempts`` of their due time, read only) that were not reported yet, and which
  (post, due time) were reported (``overdue_alerts``): each is reported once.
- :class:`IncidentStore`: the notifier's incidents (``notify_incidents``), one row per (kind,
  subject), locked for the unit of work: the notification aggregate's one writer decides on it.
- :class:`EmailLedger`: one row per (notification, raised|resolved) written *before* the SMTP
  conversation starts, so an email is sent at most once (see :class:`SmtpMailer`).

Each has a memory fake for the unit tests.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib

from domain.notifications import Due, Incident

# ------------------------------------------------------------------ the watchdog


class OverdueWatch(Protocol):
    async def candidates(self, due_before: datetime, limit: int) -> list[Due]:
        """Slots due before ``due_before`` whose post has not ended, not reported yet."""
        ...

    async def reported(self, items: Sequence[Due], at: datetime) -> None: ...


class PostgresOverdueWatch:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def candidates(self, due_before: datetime, limit: int) -> list[Due]:
        rows = await self.pool.fetch(
            "SELECT s.post_id, s.site_id, s.account_id, s.platform, s.state, s.due_at, coalesce(a.state, '') AS attempt"
            " FROM scheduler_posts s LEFT JOIN publish_attempts a"
            " ON a.post_id = s.post_id AND a.account_id = s.account_id AND a.due_at = s.due_at"
            " WHERE s.state IN ('pending', 'dispatched') AND s.due_at <= $1"
            " AND NOT EXISTS (SELECT 1 FROM overdue_alerts o WHERE o.post_id = s.post_id AND o.due_at = s.due_at)"
            " ORDER BY s.due_at LIMIT $2",
            due_before,
            limit,
        )
        return [Due(**dict(r)) for r in rows]

    async def reported(self, items: Sequence[Due], at: datetime) -> None:
        await self.pool.executemany(
            "INSERT INTO overdue_alerts (post_id, due_at, detected_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [(d.post_id, d.due_at, at) for d in items],
        )


class MemoryOverdueWatch:
    def __init__(self, rows: Sequence[Due] = ()) -> None:
        self.rows = list(rows)
        self.done: dict[tuple[str, datetime], datetime] = {}

    async def candidates(self, due_before: datetime, limit: int) -> list[Due]:
        fresh = [r for r in self.rows if r.due_at <= due_before and (r.post_id, r.due_at) not in self.done]
        return sorted(fresh, key=lambda r: r.due_at)[:limit]

    async def reported(self, items: Sequence[Due], at: datetime) -> None:
        for d in items:
            self.done.setdefault((d.post_id, d.due_at), at)


# ------------------------------------------------------------------ the incidents


class IncidentTxn(Protocol):
    incident: Incident

    async def save(self, incident: Incident) -> None: ...


class IncidentStore(Protocol):
    def incident(self, kind: str, subject: str) -> Any:
        """``async with store.incident(kind, subject) as txn``: the incident, locked (an :class:`IncidentTxn`)."""
        ...


def _incident(r: Any) -> Incident:
    return Incident(
        kind=r["kind"],
        subject=r["subject"],
        site_id=r["site_id"],
        open=r["open"],
        notification_id=r["notification_id"],
        started_at=r["started_at"],
        failures=r["failures"],
        cleared_at=r["cleared_at"],
        applied=tuple(r["applied"]),
    )


class _PgIncidentTxn:
    def __init__(self, conn: Any, incident: Incident) -> None:
        self.conn, self.incident = conn, incident

    async def save(self, incident: Incident) -> None:
        i = incident
        await self.conn.execute(
            "INSERT INTO notify_incidents (kind, subject, site_id, open, notification_id, started_at, failures, cleared_at, applied)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (kind, subject) DO UPDATE SET site_id = EXCLUDED.site_id,"
            " open = EXCLUDED.open, notification_id = EXCLUDED.notification_id, started_at = EXCLUDED.started_at,"
            " failures = EXCLUDED.failures, cleared_at = EXCLUDED.cleared_at, applied = EXCLUDED.applied, updated_at = now()",
            i.kind,
            i.subject,
            i.site_id,
            i.open,
            i.notification_id,
            i.started_at,
            i.failures,
            i.cleared_at,
            list(i.applied),
        )
        self.incident = incident


class PostgresIncidents:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @asynccontextmanager
    async def incident(self, kind: str, subject: str) -> AsyncIterator[_PgIncidentTxn]:
        async with self.pool.acquire() as conn, conn.transaction():
            # A transaction lock on the key: two partitions (posts of one account) never fold one incident at once,
            # even before its row exists.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('notify:' || $1 || ':' || $2))", kind, subject)
            row = await conn.fetchrow("SELECT * FROM notify_incidents WHERE kind = $1 AND subject = $2", kind, subject)
            yield _PgIncidentTxn(conn, _incident(row) if row else Incident(kind=kind, subject=subject))  # type: ignore[arg-type]


class _MemIncidentTxn:
    def __init__(self, store: MemoryIncidents, incident: Incident) -> None:
        self.store, self.incident = store, incident

    async def save(self, incident: Incident) -> None:
        self.store.rows[(incident.kind, incident.subject)] = incident
        self.incident = incident


class MemoryIncidents:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Incident] = {}
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def incident(self, kind: str, subject: str) -> AsyncIterator[_MemIncidentTxn]:
        async with self._lock:
            yield _MemIncidentTxn(self, self.rows.get((kind, subject)) or Incident(kind=kind, subject=subject))  # type: ignore[arg-type]


# ------------------------------------------------------------------ email


class EmailLedger(Protocol):
    async def claim(self, notification_id: str, event: str, site_id: str, recipients: Sequence[str], at: datetime) -> bool:
        """Record that an email is about to be sent; False when one was attempted before (never send it again)."""
        ...

    async def finish(self, notification_id: str, event: str, state: str, error: str, at: datetime) -> None: ...


class PostgresEmailLedger:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def claim(self, notification_id: str, event: str, site_id: str, recipients: Sequence[str], at: datetime) -> bool:
        inserted = await self.pool.fetchval(
            "INSERT INTO notification_emails (notification_id, event, site_id, state, recipients, attempted_at)"
            " VALUES ($1, $2, $3, 'sending', $4, $5) ON CONFLICT DO NOTHING RETURNING true",
            notification_id,
            event,
            site_id,
            list(recipients),
            at,
        )
        return bool(inserted)

    async def finish(self, notification_id: str, event: str, state: str, error: str, at: datetime) -> None:
        await self.pool.execute(
            "UPDATE notification_emails SET state = $3, error = nullif($4, ''), finished_at = $5 WHERE notification_id = $1 AND event = $2",
            notification_id,
            event,
            state,
            error,
            at,
        )


@dataclass
class MemoryEmailLedger:
    rows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    async def claim(self, notification_id: str, event: str, site_id: str, recipients: Sequence[str], at: datetime) -> bool:
        if (notification_id, event) in self.rows:
            return False
        self.rows[(notification_id, event)] = {"state": "sending", "site_id": site_id, "recipients": list(recipients), "error": ""}
        return True

    async def finish(self, notification_id: str, event: str, state: str, error: str, at: datetime) -> None:
        self.rows[(notification_id, event)].update(state=state, error=error)


class MailRefused(Exception):
    """The server refused the message before taking it: it was not sent."""


class MailUnknown(Exception):
    """The conversation broke after the message was handed over: it may have been delivered."""


class Mailer(Protocol):
    sender: str
    recipients: tuple[str, ...]

    async def send(self, message: EmailMessage) -> None:
        """Raises :class:`MailRefused` (not sent) or :class:`MailUnknown` (perhaps sent)."""
        ...


class SmtpMailer:
    """A real SMTP client (aiosmtplib): STARTTLS when asked, login when a user is set. The password
    is kept out of ``repr`` and never put in an error message."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        *,
        user: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.sender, self.recipients = host, port, sender, tuple(recipients)
        self.user, self._password, self.starttls, self.timeout = user, password, starttls, timeout

    def __repr__(self) -> str:
        return f"SmtpMailer({self.host}:{self.port}, from={self.sender!r}, to={list(self.recipients)})"

    async def send(self, message: EmailMessage) -> None:
        client = aiosmtplib.SMTP(
            hostname=self.host, port=self.port, timeout=self.timeout, start_tls=self.starttls, tls_context=ssl.create_default_context()
        )
        try:
            await client.connect()
            if self.user:
                await client.login(self.user, self._password)
        except (aiosmtplib.SMTPException, OSError) as err:  # nothing was handed over yet
            raise MailRefused(f"{type(err).__name__}: {_safe(err, self._password)}") from None
        try:
            try:
                await client.send_message(message)
            except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPDataError) as err:
                # Refused by the server's answer (to MAIL, RCPT or the message itself): not taken.
                raise MailRefused(f"{type(err).__name__}: {_safe(err, self._password)}") from None
            except (aiosmtplib.SMTPException, OSError) as err:  # DATA may have been taken: the outcome is unknown
                raise MailUnknown(f"{type(err).__name__}: {_safe(err, self._password)}") from None
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()


def _safe(err: BaseException, password: str) -> str:
    text = str(err)[:300]
    return text.replace(password, "***") if password else text


@dataclass
class MemoryMailer:
    sender: str = "socializer@localhost"
    recipients: tuple[str, ...] = ("ops@localhost",)
    sent: list[EmailMessage] = field(default_factory=list)
    fail: list[Exception] = field(default_factory=list)  # raised, first first, by the next sends

    async def send(self, message: EmailMessage) -> None:
        if self.fail:
            raise self.fail.pop(0)
        self.sent.append(message)
