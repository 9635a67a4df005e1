"""Connected accounts: the Postgres store (:mod:`.store`), live tokens refreshed single-flight
(:mod:`.tokens`), the connection flow's state (:mod:`.states`). :class:`Accounts` is the read port
the agents use; :class:`MemoryAccounts` is its fake."""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from adapters.exceptions import AccountUnusable
from domain.accounts import Account


def scope_reason(platform: str, scope: str, why: str) -> str:
    """The needs_reauth reason for a missing scope: the scope first, so the site sees what to grant."""
    return f"{platform} refused a call: the grant lacks the scope {scope or '(unnamed)'}; reconnect the account granting it ({why})"[:500]


class Accounts(Protocol):
    async def get(self, account_id: str, *, fresh: bool = False) -> Account | None: ...

    async def for_site(self, site_id: str, *, include_inactive: bool = False, fresh: bool = False) -> list[Account]: ...

    async def active(self) -> list[Account]:
        """Every active account of every site (the followers' count reads them all)."""
        ...


class MemoryAccounts:
    """The fake of :class:`Accounts`, for benchmarks and pure tests."""

    def __init__(self, accounts: list[Account]) -> None:
        self._by_id = {a.account_id: a for a in accounts}

    async def get(self, account_id: str, *, fresh: bool = False) -> Account | None:
        return self._by_id.get(account_id)

    async def for_site(self, site_id: str, *, include_inactive: bool = False, fresh: bool = False) -> list[Account]:
        return [a for a in self._by_id.values() if a.site_id == site_id and (include_inactive or a.status == "active")]

    async def active(self) -> list[Account]:
        return [a for a in self._by_id.values() if a.status == "active"]


class Tokens(Protocol):
    """Live access tokens (:class:`adapters.accounts.tokens.TokenSource`)."""

    async def authorized(self, account_id: str) -> Account:
        """The account with a live ``access_token``; raises AccountUnusable or Unavailable."""
        ...

    async def rejected(self, account: Account, why: str) -> Account:
        """The platform answered 401: refresh once (across workers) and return the account again."""
        ...

    async def scope_missing(self, account: Account, scope: str, why: str) -> None:
        """The platform refused a call for a scope the grant lacks: refreshing gives the same scopes, so
        the account goes needs_reauth at once, its reason naming the scope."""
        ...

    async def refresh_due(self, horizon_seconds: float) -> tuple[int, int]: ...


class MemoryTokens:
    """The fake of :class:`Tokens` over :class:`MemoryAccounts`: every active account has a token;
    ``refreshes`` counts the 401s it was told about."""

    def __init__(self, accounts: MemoryAccounts) -> None:
        self.accounts = accounts
        self.refreshes: Counter[str] = Counter()

    async def authorized(self, account_id: str) -> Account:
        account = await self.accounts.get(account_id)
        if account is None:
            raise AccountUnusable(account_id, "account_missing", "no such account is connected")
        if account.status != "active":
            raise AccountUnusable(account_id, account.status, account.status_reason or account.status)
        return account.model_copy(update={"access_token": f"fake-{account_id}"})

    async def rejected(self, account: Account, why: str) -> Account:
        self.refreshes[account.account_id] += 1
        return await self.authorized(account.account_id)

    async def scope_missing(self, account: Account, scope: str, why: str) -> None:
        self.accounts._by_id[account.account_id] = account.model_copy(
            update={"status": "needs_reauth", "status_reason": scope_reason(account.platform, scope, why), "access_token": ""}
        )

    async def refresh_due(self, horizon_seconds: float) -> tuple[int, int]:
        return 0, 0
