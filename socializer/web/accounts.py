"""The accounts page: each platform's connected accounts and whether they can still post (connected,
needs re-authorisation, expired), "Connect" and "Re-authorise" through the API's OAuth connect route,
and each account's posting settings, changed through the API with If-Match."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from domain.accounts import Account, settings_tag
from domain.platforms import CONNECTABLE, profile
from socializer.http.deps import Services, services
from socializer.web.auth import Viewer, viewer
from socializer.web.render import page

router = APIRouter(include_in_schema=False)

PLATFORMS: tuple[str, ...] = tuple(CONNECTABLE)
NAMES = {"linkedin": "LinkedIn", "x": "X", "facebook": "Facebook", "instagram": "Instagram", "tiktok": "TikTok", "youtube": "YouTube"}
# The kinds of account each platform connects (the connect route's account_type), the first its default.
TYPES = {p: tuple(profile(p).account_types) for p in PLATFORMS}


def health(account: Account, refreshable: bool, refresh_expires_at: datetime | None, now: datetime) -> str:
    """What the manager needs to know: can it post, and if not, what brings it back. A token that has
    run out but can be refreshed is still connected (the next call refreshes it)."""
    if account.status == "needs_reauth":
        return "needs_reauth"
    if account.status != "active":
        return account.status
    ran_out = account.token_expires_at is not None and account.token_expires_at <= now
    renewable = refreshable and (refresh_expires_at is None or refresh_expires_at > now)
    return "expired" if ran_out and not renewable else "connected"


@router.get("/socializer/accounts")
async def accounts(
    request: Request,
    connected: int | None = Query(None, ge=0, le=1000),
    error: str | None = Query(None, max_length=2000),
    platform: str | None = Query(None, max_length=40),
    who: Viewer = Depends(viewer),
    svc: Services = Depends(services),
) -> Response:
    found = await svc.accounts.for_site(who.site_id, include_inactive=True)
    tokens = {
        r["account_id"]: r
        for r in await svc.pool.fetch("SELECT account_id, refreshable, refresh_expires_at FROM accounts WHERE site_id = $1", who.site_id)
    }
    now = datetime.now(UTC)
    rows: dict[str, list[dict[str, Any]]] = {p: [] for p in PLATFORMS}
    for a in found:
        t = tokens.get(a.account_id)
        state = health(a, bool(t and t["refreshable"]), t["refresh_expires_at"] if t else None, now)
        rows.setdefault(a.platform, []).append({"a": a, "state": state, "tag": settings_tag(a.settings)})
    return page(
        request,
        "accounts.html",
        who,
        rows=rows,
        names=NAMES,
        types=TYPES,
        platforms=PLATFORMS,
        connected=connected,
        error=error,
        platform=platform if platform in PLATFORMS else None,
    )
