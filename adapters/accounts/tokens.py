"""Fresh tokens for platform calls, one refresh at a time per account across every worker.

``authorized(account_id)`` returns the account with a live access token, refreshing first when it
expires within ``margin``. A refresh takes the account's row lock (``SELECT … FOR UPDATE``) and
compares ``token_version``: a caller that waited while another refreshed finds a newer version and
uses that token instead of spending the (possibly rotated, now dead) refresh token a second time.
In-process, an asyncio lock per account keeps concurrent callers off the database lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from adapters.accounts import scope_reason
from adapters.accounts.store import COLUMNS, AccountStore, account_from_row, columns, emit, expiring, mark_needs_reauth
from adapters.exceptions import AccountUnusable, AdapterError, InvalidGrant
from adapters.vault.store import SEALED_COLUMNS
from domain.accounts import Account
from schemas import events as e

log = logging.getLogger("socializer.tokens")


class TokenSource:
    def __init__(self, store: AccountStore, oauth: dict[str, Any], *, margin_seconds: float = 300.0) -> None:
        self.store = store
        self.oauth = oauth
        self.margin = margin_seconds
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.refresh_calls = 0  # this process's calls to token endpoints (tests and metrics)

    async def authorized(self, account_id: str, *, may_refresh: bool = True) -> Account:
        # One round trip: the account's state, its sealed access token and its wrapped data key.
        row = await self.store.pool.fetchrow(
            f"SELECT {columns('a')}, {SEALED_COLUMNS} FROM accounts a"
            " LEFT JOIN vault_secrets s ON s.account_id = a.account_id AND s.field = 'access_token'"
            " LEFT JOIN vault_data_keys k ON k.account_id = a.account_id WHERE a.account_id = $1",
            account_id,
        )
        account = account_from_row(row) if row else None
        if account is None:
            raise AccountUnusable(account_id, "account_missing", "no such account is connected")
        if account.status != "active":
            raise AccountUnusable(account_id, account.status, account.status_reason or account.status)
        if may_refresh and expiring(account.token_expires_at, datetime.now(UTC), self.margin):
            await self.refresh(account_id, account.token_version, why="expires soon")
            return await self.authorized(account_id, may_refresh=False)  # once: a short-lived token is used as it is
        token = self.store.vault.open(account_id, "access_token", row)
        if token is None:
            raise AccountUnusable(account_id, "needs_reauth", "no access token is stored")
        return account.model_copy(update={"access_token": token.reveal()})

    async def rejected(self, account: Account, why: str) -> Account:
        """The platform refused this account's token (401): refresh once if the token is the one we
        sent, else use the newer one; a token that cannot be refreshed makes the account needs_reauth."""
        await self.refresh(account.account_id, account.token_version, why=why)
        fresh = await self.authorized(account.account_id, may_refresh=False)
        if fresh.token_version == account.token_version:
            raise AccountUnusable(account.account_id, "needs_reauth", why)
        return fresh

    async def scope_missing(self, account: Account, scope: str, why: str) -> None:
        """The grant lacks ``scope``: a refresh keeps the same scopes, so the account goes needs_reauth at
        once (AccountNeedsReauth on the log), its reason naming the scope."""
        reason = scope_reason(account.platform, scope, why)
        async with self.store.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(f"SELECT {COLUMNS} FROM accounts WHERE account_id = $1 FOR UPDATE", account.account_id)
            if row is not None and row["status"] == "active":
                await mark_needs_reauth(conn, row, reason)
        log.warning("account %s needs re-authorisation: %s", account.account_id, reason)

    async def refresh(self, account_id: str, seen_version: int, *, why: str) -> bool:
        """Refresh unless someone already replaced the token version ``seen_version``; True if this call did.
        ``Unavailable`` (the provider is unreachable) propagates and changes nothing."""
        async with self._locks[account_id]:
            dead: str | None = None
            async with self.store.pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(f"SELECT {COLUMNS}, refreshable FROM accounts WHERE account_id = $1 FOR UPDATE", account_id)
                if row is None or row["status"] != "active" or row["token_version"] != seen_version:
                    return False
                refresh = await self.store.vault.read(account_id, "refresh_token", conn) if row["refreshable"] else None
                if refresh is None:
                    dead = f"the token was refused ({why}) and {row['platform']} gives no refresh token: reconnect the account"
                else:
                    self.refresh_calls += 1
                    try:
                        tokens = await self.oauth[row["platform"]].refresh(refresh)
                    except InvalidGrant as err:
                        dead = f"refresh refused by {row['platform']}: {err.message}"
                if dead is not None:
                    await mark_needs_reauth(conn, row, dead)
                else:
                    await self.store.vault.store(account_id, "access_token", tokens.access_token, conn)
                    rotated = tokens.refresh_token is not None and tokens.refresh_token != refresh
                    if rotated:  # keep the newest; the client never hands back an empty one
                        await self.store.vault.store(account_id, "refresh_token", tokens.refresh_token, conn)  # type: ignore[arg-type]
                    await conn.execute(
                        "UPDATE accounts SET token_expires_at = $2, refresh_expires_at = coalesce($3, refresh_expires_at),"
                        " token_version = token_version + 1, refreshed_at = now(), updated_at = now() WHERE account_id = $1",
                        account_id,
                        tokens.expires_at,
                        tokens.refresh_expires_at,
                    )
                    a = account_from_row(row)
                    await emit(
                        conn,
                        e.AccountTokensRefreshed(
                            account_id=account_id,
                            site_id=a.site_id,
                            platform=a.platform,
                            token_expires_at=tokens.expires_at,
                            refresh_rotated=rotated,
                        ),
                        account_id,
                    )
            if dead is not None:
                log.warning("account %s needs re-authorisation: %s", account_id, dead)
                raise AccountUnusable(account_id, "needs_reauth", dead)
            return True

    async def refresh_due(self, horizon_seconds: float, limit: int = 200) -> tuple[int, int]:
        """Refresh every active account whose token expires within the horizon: (refreshed, failed).
        An account whose refresh token itself has expired (LinkedIn's last 365 days and refreshing does
        not renew them) cannot be refreshed: it becomes needs_reauth now, not at its next publish."""
        async with self.store.pool.acquire() as conn, conn.transaction():
            for row in await conn.fetch(
                f"SELECT {COLUMNS} FROM accounts WHERE status = 'active' AND refresh_expires_at < now() FOR UPDATE SKIP LOCKED"
            ):
                await mark_needs_reauth(conn, row, f"{row['platform']}'s refresh token expired: reconnect the account")
        rows = await self.store.pool.fetch(
            "SELECT account_id, token_version FROM accounts WHERE status = 'active' AND refreshable"
            " AND token_expires_at < now() + make_interval(secs => $1) ORDER BY token_expires_at LIMIT $2",
            horizon_seconds,
            limit,
        )
        done = failed = 0
        for r in rows:
            try:
                done += await self.refresh(r["account_id"], r["token_version"], why="expires within the horizon")
            except AdapterError as err:
                failed += 1
                log.warning("refresh of %s failed: %s", r["account_id"], err)
        return done, failed
