"""Outbound webhooks' I/O: the endpoints and their delivery rows (:class:`WebhookStore`, Postgres
and a memory fake), and the sender that posts one signed message (:class:`WebhookSender`).

Secrets are sealed in the token vault under ``webhook:<endpoint_id>`` (fields ``secret`` and, for
24 h after a rotation, ``previous``); they are opened only to sign, and never leave as an answer
except once, to the caller that created or rotated them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from adapters import outbox
from adapters.netguard import read_capped
from adapters.vault.crypto import Secret
from adapters.vault.store import SEALED_COLUMNS, TokenVault
from domain import webhooks as w
from schemas import topics as t
from schemas.envelope import Envelope


def vault_id(endpoint_id: str) -> str:
    return f"webhook:{endpoint_id}"


def new_endpoint_id() -> str:
    return "wh_" + uuid.uuid4().hex[:20]


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: str
    site_id: str
    url: str
    event_types: tuple[str, ...]
    description: str = ""
    enabled: bool = True
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    failing_since: datetime | None = None
    previous_until: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def view(self) -> dict[str, Any]:
        """What the API shows: never a secret."""
        return {
            "id": self.endpoint_id,
            "site_id": self.site_id,
            "url": self.url,
            "event_types": list(self.event_types),
            "description": self.description,
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "disabled_at": self.disabled_at,
            "failing_since": self.failing_since,
            "previous_secret_until": self.previous_until,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class NewDelivery:
    endpoint_id: str
    event_id: str
    msg_id: str
    event_type: str
    body: bytes


@dataclass
class Due:
    """A leased delivery with what it takes to send it: its endpoint's URL and valid secrets."""

    endpoint_id: str
    event_id: str
    msg_id: str
    body: bytes
    attempt: int  # attempts made before this one
    url: str = ""
    secrets: list[Secret] = field(default_factory=list, repr=False)
    site_id: str = ""
    failing_since: datetime | None = None


@dataclass(frozen=True)
class Result:
    status: int | None  # the HTTP status, None: no answer (refused, timed out, connection failed)
    latency_ms: int
    response: str = ""  # at most 1 KB of the answer
    error: str = ""


def delivery_view(r: Any) -> dict[str, Any]:
    return {
        "event_id": r["event_id"],
        "webhook_id": r["msg_id"],
        "event_type": r["event_type"],
        "status": r["status"],
        "attempt": r["attempt"],
        "http_status": r["last_status"],
        "latency_ms": r["latency_ms"],
        "response": r["response"],
        "error": r["error"],
        "next_attempt_at": r["next_at"] if r["status"] == "pending" else None,
        "created_at": r["created_at"],
        "attempted_at": r["attempted_at"],
        "delivered_at": r["delivered_at"],
    }


class WebhookStore(Protocol):
    async def create(self, site_id: str, url: str, types: list[str], description: str, secret: Secret) -> Endpoint: ...
    async def endpoints(self, site_id: str) -> list[Endpoint]: ...
    async def endpoint(self, site_id: str, endpoint_id: str) -> Endpoint | None: ...
    async def update(self, site_id: str, endpoint_id: str, changes: dict[str, Any]) -> Endpoint | None: ...
    async def delete(self, site_id: str, endpoint_id: str) -> bool: ...
    async def rotate(self, site_id: str, endpoint_id: str, secret: Secret, previous_until: datetime) -> Endpoint | None: ...

    async def remember(self, subject: str, site_id: str) -> None:
        """Which site a post or a video project belongs to (for its events that do not say)."""

    async def site_of(self, subject: str) -> str | None: ...
    async def subscribers(self, site_id: str) -> list[Endpoint]:
        """The site's enabled endpoints (the caller filters by type)."""
        ...

    async def enqueue(self, rows: list[NewDelivery], now: datetime) -> int:
        """Insert the rows due now; one already there (the same endpoint and event) is left alone."""
        ...

    async def lease(self, now: datetime, limit: int, seconds: float) -> list[Due]:
        """Up to ``limit`` due rows of enabled endpoints, held for ``seconds`` (rows another sender holds are skipped)."""
        ...

    async def record(self, due: Due, result: Result, after: w.Attempted, now: datetime, alert: Envelope | None) -> bool:
        """Record one attempt; with ``after.disable`` disable the endpoint and put ``alert`` in the
        outbox, in one transaction. True if this call disabled it."""
        ...

    async def deliveries(self, site_id: str, endpoint_id: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]: ...
    async def redeliver(self, site_id: str, endpoint_id: str, since: datetime, now: datetime) -> int: ...


# ------------------------------------------------------------------ the sender
class WebhookSender:
    """Posts one signed message (no redirect followed, a 10 s deadline, at most 1 KB of the answer read)."""

    def __init__(self, http: httpx.AsyncClient, *, timeout: float = 10.0, sign: bool = True) -> None:
        self.http = http
        self.timeout = timeout
        self.sign = sign  # False: the benchmark's unsigned baseline

    async def send(self, due: Due, now: datetime) -> Result:
        ts = int(now.timestamp())
        if self.sign:
            headers = w.headers([s.reveal() for s in due.secrets], due.msg_id, ts, due.body)
        else:
            headers = {"webhook-id": due.msg_id, "webhook-timestamp": str(ts), "content-type": "application/json"}
        start = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                async with self.http.stream("POST", due.url, content=due.body, headers=headers, follow_redirects=False) as resp:
                    excerpt = await read_capped(resp, w.EXCERPT_BYTES)
                    status = resp.status_code
        except (httpx.HTTPError, TimeoutError, OSError) as err:
            kind = "timed out" if isinstance(err, TimeoutError | httpx.TimeoutException) else type(err).__name__
            return Result(None, _ms(start), "", f"{kind}: {err}"[:500])
        return Result(status, _ms(start), excerpt.decode("utf-8", "replace"), "")


def _ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)


# ------------------------------------------------------------------ Postgres
ENDPOINT_COLUMNS = (
    "endpoint_id, site_id, url, event_types, description, enabled, disabled_reason, disabled_at, failing_since,"
    " previous_until, created_at, updated_at"
)
DELIVERY_COLUMNS = "event_id, msg_id, event_type, status, attempt, last_status, latency_ms, response, error, next_at, created_at, attempted_at, delivered_at"


def _endpoint(r: Any) -> Endpoint:
    return Endpoint(**{**dict(r), "event_types": tuple(r["event_types"])})


class PostgresWebhooks:
    def __init__(self, pool: Any, vault: TokenVault) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool
        self.vault = vault
        self._opened: dict[bytes, Secret] = {}  # ciphertext -> secret: each is opened once per process

    async def create(self, site_id: str, url: str, types: list[str], description: str, secret: Secret) -> Endpoint:
        eid = new_endpoint_id()
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"INSERT INTO webhook_endpoints (endpoint_id, site_id, url, event_types, description) VALUES ($1, $2, $3, $4, $5)"
                f" RETURNING {ENDPOINT_COLUMNS}",
                eid, site_id, url, types, description,
            )  # fmt: skip
            await self.vault.store(vault_id(eid), "secret", secret, conn)
        return _endpoint(row)

    async def endpoints(self, site_id: str) -> list[Endpoint]:
        rows = await self.pool.fetch(
            f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE site_id = $1 ORDER BY created_at, endpoint_id", site_id
        )
        return [_endpoint(r) for r in rows]

    async def endpoint(self, site_id: str, endpoint_id: str) -> Endpoint | None:
        row = await self.pool.fetchrow(
            f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE site_id = $1 AND endpoint_id = $2", site_id, endpoint_id
        )
        return _endpoint(row) if row else None

    async def update(self, site_id: str, endpoint_id: str, changes: dict[str, Any]) -> Endpoint | None:
        sets, args = ["updated_at = now()"], [site_id, endpoint_id]
        for col in ("url", "event_types", "description", "enabled"):
            if col in changes:
                args.append(changes[col])
                sets.append(f"{col} = ${len(args)}")
        if changes.get("enabled") is True:  # enabled again by a person: its failures start over
            sets += ["disabled_reason = NULL", "disabled_at = NULL", "failing_since = NULL"]
        elif changes.get("enabled") is False:
            sets += ["disabled_reason = COALESCE(disabled_reason, 'disabled by a person')", "disabled_at = COALESCE(disabled_at, now())"]
        row = await self.pool.fetchrow(
            f"UPDATE webhook_endpoints SET {', '.join(sets)} WHERE site_id = $1 AND endpoint_id = $2 RETURNING {ENDPOINT_COLUMNS}", *args
        )
        return _endpoint(row) if row else None

    async def delete(self, site_id: str, endpoint_id: str) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            gone = await conn.fetchval(
                "DELETE FROM webhook_endpoints WHERE site_id = $1 AND endpoint_id = $2 RETURNING endpoint_id", site_id, endpoint_id
            )
            if gone:
                await self.vault.shred(vault_id(endpoint_id), conn)
        return gone is not None

    async def rotate(self, site_id: str, endpoint_id: str, secret: Secret, previous_until: datetime) -> Endpoint | None:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"UPDATE webhook_endpoints SET previous_until = $3, updated_at = now() WHERE site_id = $1 AND endpoint_id = $2"
                f" RETURNING {ENDPOINT_COLUMNS}",
                site_id, endpoint_id, previous_until,
            )  # fmt: skip
            if row is None:
                return None
            old = await self.vault.read(vault_id(endpoint_id), "secret", conn)
            if old is not None:
                await self.vault.store(vault_id(endpoint_id), "previous", old, conn)
            await self.vault.store(vault_id(endpoint_id), "secret", secret, conn)
        return _endpoint(row)

    async def remember(self, subject: str, site_id: str) -> None:
        await self.pool.execute(
            "INSERT INTO webhook_subjects (subject, site_id) VALUES ($1, $2) ON CONFLICT (subject) DO NOTHING", subject, site_id
        )

    async def site_of(self, subject: str) -> str | None:
        found: str | None = await self.pool.fetchval("SELECT site_id FROM webhook_subjects WHERE subject = $1", subject)
        return found

    async def subscribers(self, site_id: str) -> list[Endpoint]:
        rows = await self.pool.fetch(f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE site_id = $1 AND enabled", site_id)
        return [_endpoint(r) for r in rows]

    async def enqueue(self, rows: list[NewDelivery], now: datetime) -> int:
        if not rows:
            return 0
        res = await self.pool.execute(
            "INSERT INTO webhook_deliveries (endpoint_id, event_id, msg_id, event_type, body, next_at, created_at)"
            " SELECT e, v, m, ty, b, $6, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[]) AS r(e, v, m, ty, b)"
            " WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE endpoint_id = r.e)"
            " ON CONFLICT (endpoint_id, event_id) DO NOTHING",
            [r.endpoint_id for r in rows], [r.event_id for r in rows], [r.msg_id for r in rows],
            [r.event_type for r in rows], [r.body for r in rows], now,
        )  # fmt: skip
        return int(res.rsplit(" ", 1)[-1])

    async def lease(self, now: datetime, limit: int, seconds: float) -> list[Due]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "WITH due AS (SELECT d.endpoint_id, d.event_id FROM webhook_deliveries d JOIN webhook_endpoints e USING (endpoint_id)"
                "   WHERE d.status = 'pending' AND d.next_at <= $1 AND (d.leased_until IS NULL OR d.leased_until < $1) AND e.enabled"
                "   ORDER BY d.next_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED)"
                " UPDATE webhook_deliveries d SET leased_until = $1 + make_interval(secs => $3) FROM due"
                " WHERE d.endpoint_id = due.endpoint_id AND d.event_id = due.event_id"
                " RETURNING d.endpoint_id, d.event_id, d.msg_id, d.body, d.attempt",
                now, limit, seconds,
            )  # fmt: skip
            if not rows:
                return []
            ends = await conn.fetch(
                f"SELECT e.endpoint_id, e.site_id, e.url, e.failing_since, e.previous_until, s.field, {SEALED_COLUMNS}"
                " FROM webhook_endpoints e LEFT JOIN vault_secrets s ON s.account_id = 'webhook:' || e.endpoint_id"
                " LEFT JOIN vault_data_keys k ON k.account_id = s.account_id WHERE e.endpoint_id = ANY($1::text[])",
                list({r["endpoint_id"] for r in rows}),
            )
        info: dict[str, Due] = {}
        for e in ends:
            base = info.setdefault(e["endpoint_id"], Due(e["endpoint_id"], "", "", b"", 0, e["url"], [], e["site_id"], e["failing_since"]))
            if e["field"] == "secret" or (e["field"] == "previous" and e["previous_until"] and e["previous_until"] > now):
                secret = self._open(e["endpoint_id"], e["field"], e)
                base.secrets.insert(0 if e["field"] == "secret" else len(base.secrets), secret)
        return [
            replace(info[r["endpoint_id"]], event_id=r["event_id"], msg_id=r["msg_id"], body=bytes(r["body"]), attempt=r["attempt"])
            for r in rows
            if r["endpoint_id"] in info
        ]

    def _open(self, endpoint_id: str, field_name: str, row: Any) -> Secret:
        key = bytes(row["ciphertext"])
        if key not in self._opened:
            if len(self._opened) > 4096:
                self._opened.clear()
            opened = self.vault.open(vault_id(endpoint_id), field_name, row)
            assert opened is not None
            self._opened[key] = opened
        return self._opened[key]

    async def record(self, due: Due, result: Result, after: w.Attempted, now: datetime, alert: Envelope | None) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE webhook_deliveries SET status = $3, attempt = attempt + 1, next_at = $4, leased_until = NULL, last_status = $5,"
                " latency_ms = $6, response = $7, error = $8, attempted_at = $9,"
                " delivered_at = CASE WHEN $3 = 'delivered' THEN $9 ELSE delivered_at END"
                " WHERE endpoint_id = $1 AND event_id = $2",
                due.endpoint_id, due.event_id, after.status, after.next_at, result.status, result.latency_ms,
                result.response or None, result.error or None, now,
            )  # fmt: skip
            if after.status == "delivered":
                await conn.execute(
                    "UPDATE webhook_endpoints SET failing_since = NULL WHERE endpoint_id = $1 AND failing_since IS NOT NULL",
                    due.endpoint_id,
                )
                return False
            await conn.execute(
                "UPDATE webhook_endpoints SET failing_since = $2 WHERE endpoint_id = $1 AND failing_since IS NULL", due.endpoint_id, now
            )
            if not after.disable:
                return False
            disabled = await conn.fetchval(
                "UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, disabled_at = $3, updated_at = $3"
                " WHERE endpoint_id = $1 AND enabled RETURNING endpoint_id",
                due.endpoint_id, after.disable, now,
            )  # fmt: skip
            if disabled and alert is not None:  # the alert goes with the change, through the outbox
                await outbox.add(conn, t.ALERTS, due.endpoint_id, alert)
            return disabled is not None

    async def deliveries(self, site_id: str, endpoint_id: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        async with self.pool.acquire() as conn:
            total = await conn.fetchval(
                "SELECT count(*) FROM webhook_deliveries d JOIN webhook_endpoints e USING (endpoint_id) WHERE e.site_id = $1 AND d.endpoint_id = $2",
                site_id, endpoint_id,
            )  # fmt: skip
            rows = await conn.fetch(
                f"SELECT {', '.join('d.' + c.strip() for c in DELIVERY_COLUMNS.split(','))} FROM webhook_deliveries d"
                " JOIN webhook_endpoints e USING (endpoint_id) WHERE e.site_id = $1 AND d.endpoint_id = $2"
                " ORDER BY d.created_at DESC, d.event_id LIMIT $3 OFFSET $4",
                site_id, endpoint_id, limit, offset,
            )  # fmt: skip
        return [delivery_view(r) for r in rows], int(total)

    async def redeliver(self, site_id: str, endpoint_id: str, since: datetime, now: datetime) -> int:
        res = await self.pool.execute(
            "UPDATE webhook_deliveries d SET status = 'pending', attempt = 0, next_at = $4, leased_until = NULL"
            " FROM webhook_endpoints e WHERE e.endpoint_id = d.endpoint_id AND e.site_id = $1 AND d.endpoint_id = $2 AND d.created_at >= $3",
            site_id, endpoint_id, since, now,
        )  # fmt: skip
        return int(res.rsplit(" ", 1)[-1])


# ------------------------------------------------------------------ the fake
@dataclass
class _Row:
    new: NewDelivery
    created_at: datetime
    status: str = "pending"
    attempt: int = 0
    next_at: datetime | None = None
    leased_until: datetime | None = None
    result: Result | None = None
    attempted_at: datetime | None = None
    delivered_at: datetime | None = None


class MemoryWebhooks:
    """The fake, for the agent's unit tests and the benchmark's pure figures. Secrets in memory."""

    def __init__(self) -> None:
        self.ends: dict[str, Endpoint] = {}
        self.secrets: dict[str, list[Secret]] = {}
        self.rows: dict[tuple[str, str], _Row] = {}
        self.subjects: dict[str, str] = {}
        self.alerts: list[Envelope] = []

    async def create(self, site_id: str, url: str, types: list[str], description: str, secret: Secret) -> Endpoint:
        ep = Endpoint(new_endpoint_id(), site_id, url, tuple(types), description)
        self.ends[ep.endpoint_id] = ep
        self.secrets[ep.endpoint_id] = [secret]
        return ep

    async def endpoints(self, site_id: str) -> list[Endpoint]:
        return [e for e in self.ends.values() if e.site_id == site_id]

    async def endpoint(self, site_id: str, endpoint_id: str) -> Endpoint | None:
        ep = self.ends.get(endpoint_id)
        return ep if ep and ep.site_id == site_id else None

    async def update(self, site_id: str, endpoint_id: str, changes: dict[str, Any]) -> Endpoint | None:
        ep = await self.endpoint(site_id, endpoint_id)
        if ep is None:
            return None
        kw = {k: tuple(v) if k == "event_types" else v for k, v in changes.items()}
        if changes.get("enabled") is True:
            kw |= {"disabled_reason": None, "disabled_at": None, "failing_since": None}
        self.ends[endpoint_id] = replace(ep, **kw)
        return self.ends[endpoint_id]

    async def delete(self, site_id: str, endpoint_id: str) -> bool:
        if await self.endpoint(site_id, endpoint_id) is None:
            return False
        del self.ends[endpoint_id]
        self.rows = {k: v for k, v in self.rows.items() if k[0] != endpoint_id}
        return True

    async def rotate(self, site_id: str, endpoint_id: str, secret: Secret, previous_until: datetime) -> Endpoint | None:
        ep = await self.endpoint(site_id, endpoint_id)
        if ep is None:
            return None
        self.secrets[endpoint_id] = [secret, self.secrets[endpoint_id][0]]
        self.ends[endpoint_id] = replace(ep, previous_until=previous_until)
        return self.ends[endpoint_id]

    async def remember(self, subject: str, site_id: str) -> None:
        self.subjects.setdefault(subject, site_id)

    async def site_of(self, subject: str) -> str | None:
        return self.subjects.get(subject)

    async def subscribers(self, site_id: str) -> list[Endpoint]:
        return [e for e in self.ends.values() if e.site_id == site_id and e.enabled]

    async def enqueue(self, rows: list[NewDelivery], now: datetime) -> int:
        n = 0
        for r in rows:
            if (r.endpoint_id, r.event_id) not in self.rows and r.endpoint_id in self.ends:
                self.rows[(r.endpoint_id, r.event_id)] = _Row(r, now, next_at=now)
                n += 1
        return n

    async def lease(self, now: datetime, limit: int, seconds: float) -> list[Due]:
        out = []
        for (eid, _), row in sorted(self.rows.items(), key=lambda kv: kv[1].next_at or now):
            ep = self.ends[eid]
            free = row.leased_until is None or row.leased_until < now
            if row.status == "pending" and row.next_at and row.next_at <= now and free and ep.enabled and len(out) < limit:
                row.leased_until = now + timedelta(seconds=seconds)
                valid = self.secrets[eid][:1] if not ep.previous_until or ep.previous_until <= now else self.secrets[eid]
                out.append(
                    Due(eid, row.new.event_id, row.new.msg_id, row.new.body, row.attempt, ep.url, list(valid), ep.site_id, ep.failing_since)
                )
        return out

    async def record(self, due: Due, result: Result, after: w.Attempted, now: datetime, alert: Envelope | None) -> bool:
        row = self.rows[(due.endpoint_id, due.event_id)]
        row.status, row.attempt, row.next_at, row.leased_until = after.status, row.attempt + 1, after.next_at, None
        row.result, row.attempted_at = result, now
        if after.status == "delivered":
            row.delivered_at = now
        ep = self.ends[due.endpoint_id]
        if after.status == "delivered":
            self.ends[due.endpoint_id] = replace(ep, failing_since=None)
            return False
        ep = self.ends[due.endpoint_id] = replace(ep, failing_since=ep.failing_since or now)
        if after.disable and ep.enabled:
            self.ends[due.endpoint_id] = replace(ep, enabled=False, disabled_reason=after.disable, disabled_at=now)
            if alert is not None:
                self.alerts.append(alert)
            return True
        return False

    async def deliveries(self, site_id: str, endpoint_id: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        mine = [r for (eid, _), r in self.rows.items() if eid == endpoint_id and self.ends[eid].site_id == site_id]
        mine.sort(key=lambda r: r.created_at, reverse=True)
        views = [
            delivery_view(
                {
                    "event_id": r.new.event_id,
                    "msg_id": r.new.msg_id,
                    "event_type": r.new.event_type,
                    "status": r.status,
                    "attempt": r.attempt,
                    "last_status": r.result.status if r.result else None,
                    "latency_ms": r.result.latency_ms if r.result else None,
                    "response": r.result.response if r.result else None,
                    "error": r.result.error if r.result else None,
                    "next_at": r.next_at,
                    "created_at": r.created_at,
                    "attempted_at": r.attempted_at,
                    "delivered_at": r.delivered_at,
                }
            )
            for r in mine[offset : offset + limit]
        ]
        return views, len(mine)

    async def redeliver(self, site_id: str, endpoint_id: str, since: datetime, now: datetime) -> int:
        n = 0
        for (eid, _), r in self.rows.items():
            if eid == endpoint_id and self.ends[eid].site_id == site_id and r.created_at >= since:
                r.status, r.attempt, r.next_at, r.leased_until = "pending", 0, now, None
                n += 1
        return n
