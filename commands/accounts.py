"""The connection flow's rules, pure: which scopes a connection asks for, and whether a callback's
state may complete one (RFC 9700 §4.7, §4.4: one-time, short-lived, bound to site, user and provider)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commands.exceptions import CommandRefused, ConnectionRefused
from domain.platforms import CONNECTABLE, FEATURES, profile


@dataclass(frozen=True)
class ConnectPlan:
    platform: str
    account_type: str
    features: tuple[str, ...]
    scopes: list[str]
    pkce: bool


def plan_connection(platform: str, account_type: str | None, features: list[str] | None) -> ConnectPlan:
    if platform not in CONNECTABLE:
        raise CommandRefused(f"platform must be one of {', '.join(CONNECTABLE)}", field="platform")
    p = profile(platform)
    kind = account_type or p.account_types[0]
    if kind not in p.account_types:
        raise CommandRefused(f"account_type: {platform} connects {' or '.join(p.account_types)}", field="account_type")
    wanted = tuple(features or ("publish", "analytics"))  # publishing and insights unless the request names others
    unknown = [f for f in wanted if f not in FEATURES]
    if unknown:
        raise CommandRefused(f"features: unknown {unknown}; known: {list(FEATURES)}", field="features")
    return ConnectPlan(platform, kind, wanted, p.scope_list(kind, wanted), p.pkce)


@dataclass(frozen=True)
class PendingState:
    platform: str
    site_id: str
    expires_at: datetime
    used: bool


def check_callback(state: PendingState | None, *, platform: str, now: datetime, consumed: bool) -> None:
    """Refuse a callback whose state is unknown, already used, expired or was issued for another
    provider (a mix-up: a code from one provider presented as another's). ``consumed`` is whether
    this call is the one that marked the state used."""
    if state is None:
        raise ConnectionRefused("state_unknown", "state: unknown; start again from POST /accounts/connect/{platform}/", field="state")
    if not consumed:
        raise ConnectionRefused("state_reused", "state: already used; each connection attempt completes once", field="state")
    if state.expires_at <= now:
        raise ConnectionRefused("state_expired", "state: expired; start the connection again", field="state")
    if state.platform != platform:
        raise ConnectionRefused("wrong_provider", f"state: issued for {state.platform}, not {platform}", field="state")
