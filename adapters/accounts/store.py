"""Connected accounts in Postgres, their tokens in the vault, their events in the outbox: every
change is one transaction, so an account never exists without its tokens or its event."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from typing import Any

import asyncpg

from adapters import outbox
from adapters.oauth import Discovered
from adapters.vault.crypto import Secret
from adapters.vault.store import TokenVault
from domain.accounts import Account, AccountSettings, settings_tag
from schemas import events as e
from schemas.registry import registry
from schemas.topics import ACCOUNTS

SOURCE = "socializer/accounts"
_FIELDS = (
    "account_id",
    "site_id",
    "platform",
    "platform_account_id",
    "handle",
    "account_type",
    "scopes",
    "status",
    "status_reason",
    "settings",
    "token_expires_at",
    "token_version",
)
COLUMNS = ", ".join(_FIELDS)


def columns(alias: str) -> str:
    """The columns an :class:`Account` is read from, qualified by a table alias (for joins)."""
    return ", ".join(f"{alias}.{f}" for f in _FIELDS)


def account_id_for(site_id: str, platform: str, platform_account_id: str) -> str:
    """Stable: reconnecting the same account of the same site updates it instead of adding a twin."""
    return "acct_" + hashlib.sha256(f"{site_id}\x00{platform}\x00{platform_account_id}".encode()).hexdigest()[:20]


def account_from_row(r: asyncpg.Record) -> Account:
    return Account(
        account_id=r["account_id"],
        site_id=r["site_id"],
        platform=r["platform"],
        platform_account_id=r["platform_account_id"],
        handle=r["handle"],
        account_type=r["account_type"],
        scopes=list(r["scopes"]),
        status=r["status"],
        status_reason=r["status_reason"],
        settings=AccountSettings.model_validate(r["settings"] or {}),
        token_expires_at=r["token_expires_at"],
        token_version=r["token_version"],
    )


async def emit(conn: asyncpg.Connection, event: e.Event, account_id: str) -> None:
    await outbox.add(conn, ACCOUNTS, account_id, registry.envelope(event, source=SOURCE, subject=account_id))


class StaleSettings(Exception):
    """The account's settings changed since the version a change was made on."""


class AccountStore:
    """Reads are cached for ``ttl`` seconds for the agents' hot paths (slotting, adapting); the token
    path (:class:`TokenSource`) always reads the row, so a status change stops publishing at once."""

    def __init__(self, pool: asyncpg.Pool, vault: TokenVault, ttl: float = 2.0) -> None:
        self.pool = pool
        self.vault = vault
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Any]] = {}

    async def _cached(self, key: str, load: Any) -> Any:
        hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        value = await load()
        self._cache[key] = (time.monotonic() + self.ttl, value)
        return value

    async def get(self, account_id: str, *, fresh: bool = False) -> Account | None:
        async def load() -> Account | None:
            r = await self.pool.fetchrow(f"SELECT {COLUMNS} FROM accounts WHERE account_id = $1", account_id)
            return account_from_row(r) if r else None

        return await load() if fresh or not self.ttl else await self._cached("a:" + account_id, load)

    async def for_site(self, site_id: str, *, include_inactive: bool = False, fresh: bool = False) -> list[Account]:
        async def load() -> list[Account]:
            rows = await self.pool.fetch(
                f"SELECT {COLUMNS} FROM accounts WHERE site_id = $1"
                f"{'' if include_inactive else ' AND status = $2'} ORDER BY platform, handle",
                *((site_id,) if include_inactive else (site_id, "active")),
            )
            return [account_from_row(r) for r in rows]

        if fresh or include_inactive or not self.ttl:
            return await load()
        return await self._cached("s:" + site_id, load)

    async def active(self) -> list[Account]:
        rows = await self.pool.fetch(f"SELECT {COLUMNS} FROM accounts WHERE status = 'active' ORDER BY site_id, platform, handle")
        return [account_from_row(r) for r in rows]

    async def connect(
        self,
        site_id: str,
        platform: str,
        found: Discovered,
        *,
        settings: AccountSettings | None,
        connected_by: str,
        connection_id: str,
        refreshable: bool,
        requested: list[str] | None = None,
    ) -> Account:
        """``requested``: the scopes asked for, recorded when the provider does not say what it granted (Meta)."""
        account_id = account_id_for(site_id, platform, found.platform_account_id)
        t = found.tokens
        scopes = list(t.scopes) or list(requested or [])
        async with self.pool.acquire() as conn, conn.transaction():
            before = await conn.fetchrow("SELECT settings FROM accounts WHERE account_id = $1 FOR UPDATE", account_id)
            kept = AccountSettings.model_validate(before["settings"]) if before and settings is None else settings or AccountSettings()
            r = await conn.fetchrow(
                f"INSERT INTO accounts (account_id, site_id, platform, platform_account_id, handle, account_type, scopes, settings,"
                " token_expires_at, refresh_expires_at, refreshable, connection_id, connected_by, token_version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1)"
                " ON CONFLICT (account_id) DO UPDATE SET handle = EXCLUDED.handle, account_type = EXCLUDED.account_type,"
                " scopes = EXCLUDED.scopes, settings = EXCLUDED.settings, status = 'active', status_reason = NULL,"
                " token_expires_at = EXCLUDED.token_expires_at, refresh_expires_at = EXCLUDED.refresh_expires_at,"
                " refreshable = EXCLUDED.refreshable, connection_id = EXCLUDED.connection_id, connected_by = EXCLUDED.connected_by,"
                " connected_at = now(), updated_at = now(), token_version = accounts.token_version + 1"
                f" RETURNING {COLUMNS}",
                account_id,
                site_id,
                platform,
                found.platform_account_id,
                found.handle,
                found.account_type,
                scopes,
                kept.model_dump(mode="json"),
                t.expires_at,
                t.refresh_expires_at,
                refreshable and t.refresh_token is not None,
                connection_id,
                connected_by,
            )
            await self.vault.store(account_id, "access_token", t.access_token, conn)
            for field, secret in (("refresh_token", t.refresh_token), ("user_token", found.user_token)):
                if secret is not None:
                    await self.vault.store(account_id, field, secret, conn)
                else:
                    await self.vault.forget(account_id, field, conn)
            account = account_from_row(r)
            await emit(
                conn,
                e.AccountConnected(
                    account_id=account_id,
                    site_id=site_id,
                    platform=platform,
                    platform_account_id=found.platform_account_id,
                    handle=found.handle,
                    account_type=found.account_type,
                    scopes=scopes,
                    settings=kept,
                    connected_by=connected_by,
                    token_expires_at=t.expires_at,
                    reconnected=before is not None,
                ),
                account_id,
            )
        self._cache.clear()
        return account

    async def update_settings(self, account: Account, settings: AccountSettings, *, expected_tag: str | None = None) -> Account:
        """``expected_tag``: the settings' tag (:func:`domain.accounts.settings_tag`) the change was made on;
        :class:`StaleSettings` (nothing written) if they changed since."""
        async with self.pool.acquire() as conn, conn.transaction():
            if expected_tag is not None:
                now = await conn.fetchval("SELECT settings FROM accounts WHERE account_id = $1 FOR UPDATE", account.account_id)
                if settings_tag(AccountSettings.model_validate(now or {})) != expected_tag:
                    raise StaleSettings(account.account_id)
            r = await conn.fetchrow(
                f"UPDATE accounts SET settings = $2, updated_at = now() WHERE account_id = $1 RETURNING {COLUMNS}",
                account.account_id,
                settings.model_dump(mode="json"),
            )
            await emit(
                conn,
                e.AccountSettingsUpdated(account_id=account.account_id, site_id=account.site_id, settings=settings),
                account.account_id,
            )
        self._cache.clear()
        return account_from_row(r)

    async def siblings(self, account: Account) -> int:
        """Active accounts sharing this one's login (Meta pages of one member): revoking it would end theirs."""
        return await self.pool.fetchval(
            "SELECT count(*) FROM accounts a JOIN accounts b ON a.connection_id = b.connection_id AND a.account_id <> b.account_id"
            " WHERE a.account_id = $1 AND b.status = 'active'",
            account.account_id,
        )

    async def disconnected(self, account: Account, *, revoked: bool, note: str) -> None:
        """Record the disconnection and shred the account's data key: its ciphertexts, and every copy of
        them in backups, become unreadable."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE accounts SET status = 'disconnected', status_reason = $2, token_expires_at = NULL,"
                " refreshable = false, token_version = token_version + 1, updated_at = now() WHERE account_id = $1",
                account.account_id,
                note or "disconnected",
            )
            await self.vault.shred(account.account_id, conn)
            await emit(
                conn,
                e.AccountDisconnected(
                    account_id=account.account_id, site_id=account.site_id, platform=account.platform, revoked=revoked, note=note
                ),
                account.account_id,
            )
        self._cache.clear()

    async def secret(self, account_id: str, field: str) -> Secret | None:
        return await self.vault.read(account_id, field)


async def mark_needs_reauth(conn: asyncpg.Connection, row: asyncpg.Record, reason: str) -> None:
    """The token is dead: no further call may use it, and the site must reconnect the account."""
    await conn.execute(
        "UPDATE accounts SET status = 'needs_reauth', status_reason = $2, token_version = token_version + 1,"
        " updated_at = now() WHERE account_id = $1 AND status = 'active'",
        row["account_id"],
        reason[:500],
    )
    await emit(
        conn,
        e.AccountNeedsReauth(account_id=row["account_id"], site_id=row["site_id"], platform=row["platform"], reason=reason[:500]),
        row["account_id"],
    )


def expiring(expires_at: datetime | None, now: datetime, margin_seconds: float) -> bool:
    return expires_at is not None and (expires_at - now).total_seconds() <= margin_seconds
