"""Sites and their connected accounts.

Until OAuth connections exist (issue 4) accounts come from a JSON file (``SOCIALIZER_SITES_FILE``)
or the built-in demo site. Behind the :class:`SiteDirectory` protocol so the OAuth-backed store
can replace the file without touching the agents.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.exceptions import ConfigError
from commands.slots import SlotPolicy
from schemas.events import Platform, PostType


class AccountSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    auto_publish: bool = True
    max_per_day: int = 2
    best_times: list[str] = Field(default_factory=list)
    cooldown_hours: float = 4.0
    interval_minutes: float | None = None


class Account(BaseModel):
    model_config = ConfigDict(frozen=True)

    account_id: str
    platform: Platform
    platform_account_id: str
    handle: str
    account_type: str = "personal"
    settings: AccountSettings = AccountSettings()
    # Sandbox/static credential until the token vault exists; never logged, never on a topic.
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
            timezone=self.timezone,
            best_times=s.best_times,
            max_per_day=s.max_per_day,
            cooldown_hours=s.cooldown_hours,
            interval_minutes=s.interval_minutes,
        )


class SiteDirectory(Protocol):
    def site(self, site_id: str) -> Site | None: ...
    def account(self, account_id: str) -> tuple[Site, Account] | None: ...
    def sites(self) -> list[Site]: ...


class StaticSiteDirectory:
    def __init__(self, sites: list[Site]) -> None:
        self._sites = {s.site_id: s for s in sites}
        self._accounts = {a.account_id: (s, a) for s in sites for a in s.accounts}

    @classmethod
    def from_file(cls, path: Path) -> "StaticSiteDirectory":
        try:
            raw = json.loads(path.read_text())
            return cls([Site.model_validate(item) for item in raw["sites"]])
        except (OSError, KeyError, ValueError, ValidationError) as err:
            raise ConfigError(f"{path}: {err}") from err

    def site(self, site_id: str) -> Site | None:
        return self._sites.get(site_id)

    def account(self, account_id: str) -> tuple[Site, Account] | None:
        return self._accounts.get(account_id)

    def sites(self) -> list[Site]:
        return list(self._sites.values())


def demo_sites() -> list[Site]:
    """The demo site: one account per platform posting on one-minute slots, plus a LinkedIn page
    whose posts wait for review (drafts), so a newcomer sees every status within minutes."""
    fast = AccountSettings(auto_publish=True, max_per_day=500, cooldown_hours=0, interval_minutes=1)
    review = AccountSettings(auto_publish=False)
    accounts = [
        Account(account_id="demo-linkedin", platform="linkedin", platform_account_id="urn:li:organization:1001",
                handle="Demo Co", account_type="organization", settings=fast, access_token="sandbox-token-linkedin"),
        Account(account_id="demo-linkedin-review", platform="linkedin", platform_account_id="urn:li:person:2002",
                handle="Demo Editor", settings=review, access_token="sandbox-token-linkedin-2"),
        Account(account_id="demo-x", platform="x", platform_account_id="3003", handle="democo",
                settings=fast, access_token="sandbox-token-x"),
        Account(account_id="demo-facebook", platform="facebook", platform_account_id="4004", handle="Demo Co Page",
                account_type="page", settings=fast, access_token="sandbox-token-facebook"),
        Account(account_id="demo-instagram", platform="instagram", platform_account_id="17840000005005",
                handle="democo", settings=fast, access_token="sandbox-token-instagram"),
        Account(account_id="demo-tiktok", platform="tiktok", platform_account_id="open-6006", handle="democo",
                settings=fast, access_token="sandbox-token-tiktok"),
    ]
    return [Site(site_id="demo", name="Demo Co blog", timezone="Europe/Berlin", accounts=accounts,
                 post_types=["announcement", "quote_card", "carousel", "thread"])]
