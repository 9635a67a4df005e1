"""Sites and the accounts they post through, as the rest of the system sees them.

A site names its time zone, post types and platforms; an account is one connected profile, page,
organization or channel with its posting settings. Where they are stored and how tokens reach a
platform call are the adapters' business: no token is part of this model except the short-lived
``access_token`` a token source fills in just before a call, which never prints or dumps.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.schedule import SlotPolicy
from schemas.events import AccountSettings, SiteSettings

__all__ = ["Account", "AccountSettings", "Site", "SiteSettings", "settings_tag"]


class Account(BaseModel):
    """A connected account as the agents see it. ``access_token`` is filled in only by
    the token source (an adapter), just before a platform call; it never prints or dumps."""

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


class Site(SiteSettings):
    """A site's settings with the accounts it posts through."""

    site_id: str
    accounts: list[Account] = Field(default_factory=list)

    @property
    def settings(self) -> SiteSettings:
        return SiteSettings.model_validate(self.model_dump(exclude={"site_id", "accounts"}))

    def policy(self, account: Account) -> SlotPolicy:
        """The account's slotting rules, in its own time zone or else the site's."""
        return SlotPolicy.of(account.settings, self.timezone)


def settings_tag(settings: AccountSettings) -> str:
    """An account's settings as an ETag: a change made on settings someone else changed since is refused
    (If-Match), so two managers editing one account do not silently undo each other."""
    canonical = json.dumps(settings.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
