"""Sites and their connected accounts.

A site's configuration (name, time zone, post types) comes from a JSON file
(``SOCIALIZER_SITES_FILE``) or the built-in demo site; its accounts are connected through OAuth and
live in Postgres (:mod:`.store`), their tokens in the vault (:mod:`.tokens`).
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.exceptions import ConfigError
from commands.slots import SlotPolicy
from schemas.events import AccountSettingsData, Platform, PostType


AccountSettings = AccountSettingsData


class Account(BaseModel):
    """A connected account as the agents see it. ``access_token`` is filled in only by
    :class:`adapters.accounts.tokens.TokenSource`, just before a platform call; it never prints or dumps."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    platform: str  # a Platform, or youtube (videos only)
    platform_account_id: str
    handle: str
    site_id: str = ""
    account_type: str = "personal"
    settings: AccountSettings = AccountSettings()
    status: str = "active"
    status_reason: str | None = None
    scopes: list[str] = Field(default_factory=list)
    token_expires_at: datetime | None = None
    token_version: int = Field(0, exclude=True)
    access_token: str = Field("", repr=False, exclude=True)


class Site(BaseModel):
    model_config = ConfigDict(frozen=True)

    site_id: str
    name: str = ""
    timezone: str = "UTC"
    post_types: list[PostType] = Field(default_factory=lambda: ["announcement"])
    platforms: list[Platform] | None = None
    accounts: list[Account] = Field(default_factory=list)

    def policy(self, account: Account) -> SlotPolicy:
        s = account.settings
        return SlotPolicy(
            timezone=s.timezone or self.timezone,
            best_times=s.best_times,
            max_per_day=s.max_per_day,
            cooldown_hours=s.cooldown_hours,
            interval_minutes=s.interval_minutes,
        )


class SiteDirectory(Protocol):
    def site(self, site_id: str) -> Site | None: ...
    def sites(self) -> list[Site]: ...


class StaticSiteDirectory:
    def __init__(self, sites: list[Site]) -> None:
        self._sites = {s.site_id: s for s in sites}

    @classmethod
    def from_file(cls, path: Path) -> "StaticSiteDirectory":
        try:
            raw = json.loads(path.read_text())
            return cls([Site.model_validate(item) for item in raw["sites"]])
        except (OSError, KeyError, ValueError, ValidationError) as err:
            raise ConfigError(f"{path}: {err}") from err

    def site(self, site_id: str) -> Site | None:
        return self._sites.get(site_id)

    def sites(self) -> list[Site]:
        return list(self._sites.values())


@dataclass(frozen=True)
class DemoConnection:
    """An account the demo connects through the sandbox's OAuth flow, as a user would."""

    platform: str
    sandbox_user: str
    account_type: str
    settings: AccountSettings


def demo_connections() -> list[DemoConnection]:
    """One account per platform posting on one-minute slots, plus a LinkedIn member whose posts wait
    for review (drafts), so a newcomer sees every status within minutes."""
    fast = AccountSettings(auto_publish=True, max_per_day=500, cooldown_hours=0, interval_minutes=1)
    return [
        DemoConnection("linkedin", "demo", "organization", fast),
        DemoConnection("linkedin", "demo-editor", "personal", AccountSettings(auto_publish=False)),
        DemoConnection("x", "demo", "personal", fast),
        DemoConnection("facebook", "demo", "page", fast),
        DemoConnection("instagram", "demo", "business", fast),
        DemoConnection("tiktok", "demo", "personal", fast),
        DemoConnection("youtube", "demo", "channel", fast),
    ]


def demo_sites() -> list[Site]:
    return [Site(site_id="demo", name="Demo Co blog", timezone="Europe/Berlin",
                 post_types=["announcement", "quote_card", "carousel", "thread"])]


def sample_accounts(site_id: str = "demo") -> list[Account]:
    """Accounts as the demo's connections yield them, without the flow: for the engine's benchmarks
    and the pure tests of generation, which need targets but no tokens."""
    return [Account(account_id=f"{site_id}-{c.platform}-{c.sandbox_user}", platform=c.platform, site_id=site_id,  # type: ignore[arg-type]
                    platform_account_id=f"{c.platform}-{i}", handle=c.sandbox_user, account_type=c.account_type, settings=c.settings)
            for i, c in enumerate(demo_connections()) if c.platform != "youtube"]


class MemoryAccounts:
    """The fake of :class:`adapters.accounts.store.AccountStore`'s read side, for benchmarks and pure tests."""

    def __init__(self, accounts: list[Account]) -> None:
        self._by_id = {a.account_id: a for a in accounts}

    async def get(self, account_id: str, *, fresh: bool = False) -> Account | None:
        return self._by_id.get(account_id)

    async def for_site(self, site_id: str, *, include_inactive: bool = False, fresh: bool = False) -> list[Account]:
        return [a for a in self._by_id.values() if a.site_id == site_id and (include_inactive or a.status == "active")]
