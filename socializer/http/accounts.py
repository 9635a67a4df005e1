"""Connected accounts: connect through each platform's OAuth flow, list, settings, history, disconnect. Never a token."""

from __future__ import annotations

import logging
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import RedirectResponse

from adapters.accounts.store import StaleSettings
from adapters.api_keys import Caller
from commands.exceptions import AccountNotFound, CommandRefused, ConnectionRefused
from domain.accounts import AccountSettings, settings_tag
from projections import queries as q
from schemas import commands as c
from socializer.http.deps import Services, Svc, bearer, own_site, reader, relay_now, writer
from socializer.http.models import (
    PROBLEMS,
    AccountHistory,
    AccountList,
    AccountOut,
    Connect,
    Connected,
    ConnectRequest,
    Disconnected,
    Refusal,
    Requeue,
    Requeued,
)
from socializer.http.problems import ORJSON, Problem, invalid_merge

log = logging.getLogger("socializer.api")
router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)
Connectable = Literal["linkedin", "x", "facebook", "instagram", "tiktok", "youtube"]  # domain.platforms.CONNECTABLE


# ---------- accounts ----------


async def own_account(svc: Services, account_id: str, who: Caller) -> Any:
    account = await svc.accounts.get(account_id, fresh=True)
    if account is None or account.site_id != who.site_id:
        raise AccountNotFound(f"no account {account_id}", field="account_id")
    return account


@router.get("/accounts/", response_model=AccountList, summary="Connected accounts of a site, with their status (never tokens)")
async def accounts(
    site_id: str | None = None,
    who: Caller = reader,
    platform: str | None = None,
    status: str | None = Query(None, pattern="^(active|needs_reauth|disconnected)$"),
    svc: Services = Svc,
) -> Any:
    rows = await svc.accounts.for_site(own_site(who, site_id), include_inactive=True)
    rows = [a for a in rows if (platform is None or a.platform == platform) and (status is None or a.status == status)]
    return ORJSON({"count": len(rows), "results": [a.model_dump(mode="json") for a in rows]})


def _tagged(account: Any) -> dict[str, str]:
    return {"ETag": f'"{settings_tag(account.settings)}"'}


@router.get(
    "/accounts/{account_id}/",
    response_model=AccountOut,
    summary="One connected account (never tokens); its ETag tags its settings, for If-Match on a settings change",
)
async def account(account_id: str, who: Caller = reader, svc: Services = Svc) -> Any:
    found = await own_account(svc, account_id, who)
    return ORJSON(found.model_dump(mode="json"), headers=_tagged(found))


@router.get(
    "/accounts/{account_id}/history/",
    response_model=AccountHistory,
    summary="The account's events, newest first: connections, refreshes, re-authorisations, settings changes",
)
async def account_history(account_id: str, who: Caller = reader, limit: int = Query(100, ge=1, le=1000), svc: Services = Svc) -> Any:
    await own_account(svc, account_id, who)
    items = await q.account_history(svc.pool, account_id, limit)
    return ORJSON({"count": len(items), "results": items})


@router.post(
    "/accounts/connect/{platform}/",
    status_code=201,
    response_model=Connect,
    summary="Start connecting an account: send the user's browser to authorization_url",
)
async def connect(platform: Connectable, body: ConnectRequest | None = None, who: Caller = writer, svc: Services = Svc) -> Any:
    body = body or ConnectRequest()
    url, expires, scopes = await svc.connections.start(
        site_id=who.site_id,
        key_id=who.key_id,
        platform=platform,
        account_type=body.account_type,
        features=body.features,
        select=body.select,
        settings=body.settings,
        user_ref=body.user,
    )
    return Connect(authorization_url=url, state_expires_at=expires, scopes=scopes, redirect_uri=svc.settings.redirect_uri(platform))


@router.get(
    "/accounts/callback/{platform}/",
    status_code=201,
    response_model=Connected,
    openapi_extra={"security": [{}, {"ApiKey": []}]},
    responses={303: {"description": "a browser asking for HTML (no API key) is sent on to the dashboard's accounts page"}},
    summary="Where the provider sends the browser back: the one-time state authenticates it; an API key, if"
    " sent (a dashboard relaying the redirect), must be the same site's",
)
async def callback(
    platform: Connectable,
    request: Request,
    state: str = Query(min_length=1, description="the one-time state the connect call put in authorization_url"),
    code: str | None = Query(None, description="the authorization code (absent when the user declined: see error)"),
    error: str | None = Query(None, description="the provider's refusal, e.g. access_denied"),
    creds: HTTPAuthorizationCredentials | None = Security(bearer),
    svc: Services = Svc,
) -> Any:
    who = await svc.keys.verify(creds.credentials) if creds else None
    browser = creds is None and "text/html" in request.headers.get("accept", "")
    try:
        connected = await svc.connections.finish(platform, dict(request.query_params), caller_site=who.site_id if who else None)
    except ConnectionRefused as err:
        if not browser:
            raise
        # A person's browser, back from the provider's consent: the dashboard says what went wrong.
        return RedirectResponse(f"/socializer/accounts?{urlencode({'platform': platform, 'error': err.detail})}", status_code=303)
    await relay_now(svc)
    offers = [
        Requeue(
            account_id=a.account_id,
            post_ids=ids,
            url=f"{(svc.settings.public_url or svc.settings.api_url).rstrip('/')}/api/v1/social/accounts/{a.account_id}/requeue/",
        )
        for a in connected
        if (ids := await q.failed_for_account(svc.pool, a.account_id))
    ]
    if browser:  # the dashboard's accounts page shows what was connected
        return RedirectResponse(f"/socializer/accounts?{urlencode({'platform': platform, 'connected': len(connected)})}", status_code=303)
    answer = Connected(count=len(connected), results=[AccountOut.model_validate(a.model_dump()) for a in connected], requeue=offers)
    return ORJSON(answer.model_dump(mode="json"), status_code=201)


@router.post(
    "/accounts/{account_id}/requeue/",
    response_model=Requeued,
    summary="Send again the posts that failed because this account could not be used: each into its next free slot",
)
async def requeue(account_id: str, who: Caller = writer, svc: Services = Svc) -> Any:
    account = await own_account(svc, account_id, who)
    if account.status != "active":
        raise Problem(409, "Account not usable", f"account {account_id} is {account.status}: reconnect it first", field="account_id")
    queued, refused = [], []
    for post_id in await q.failed_for_account(svc.pool, account_id):
        try:
            await svc.command(who, post_id, wait=True, schedule=c.SchedulePost())
            queued.append(post_id)
        except (CommandRefused, Problem) as err:  # changed meanwhile (edited, cancelled): say so, go on
            refused.append(Refusal(post_id=post_id, detail=getattr(err, "detail", str(err))))
    return ORJSON(Requeued(account_id=account_id, post_ids=queued, refused=refused).model_dump(mode="json"))


class SettingsPatch(BaseModel):
    """Any of the account's posting settings; a field not sent is not changed."""

    model_config = ConfigDict(extra="forbid")

    auto_publish: bool | None = None
    max_per_day: int | None = None
    best_times: list[str] | None = None
    cooldown_hours: float | None = None
    timezone: str | None = None
    interval_minutes: float | None = None
    weekday_times: dict[int, list[str]] | None = None


@router.patch(
    "/accounts/{account_id}/settings/", response_model=AccountOut, summary="Change posting settings: a field not sent is not changed"
)
@router.put(
    "/accounts/{account_id}/settings/",
    response_model=AccountOut,
    summary="Change posting settings: a field not sent is not changed (as PATCH)",
)
async def account_settings(
    account_id: str,
    body: SettingsPatch,
    who: Caller = writer,
    svc: Services = Svc,
    if_match: str | None = Header(
        None,
        alias="If-Match",
        max_length=100,
        description="the settings' tag (the account's ETag) the change was made on: another is a 409",
    ),
) -> Any:
    account = await own_account(svc, account_id, who)
    merged = {**account.settings.model_dump(), **body.model_dump(exclude_unset=True)}
    try:
        settings = AccountSettings.model_validate(merged)
    except ValidationError as err:
        return invalid_merge(err)
    expected = if_match.strip().removeprefix("W/").strip('"') if if_match else None
    try:
        updated = await svc.accounts.update_settings(account, settings, expected_tag=expected)
    except StaleSettings:
        detail = f"account {account_id}'s settings changed since they were read: read them again"
        raise Problem(409, "VersionConflict", detail, code="version_conflict", field="If-Match") from None
    await relay_now(svc)
    return ORJSON(updated.model_dump(mode="json"), headers=_tagged(updated))


@router.delete(
    "/accounts/{account_id}/", response_model=Disconnected, summary="Disconnect: revoke the grant at the platform, then shred the tokens"
)
async def disconnect(account_id: str, who: Caller = writer, svc: Services = Svc) -> Any:
    account = await own_account(svc, account_id, who)
    revoked, note = await svc.connections.disconnect(account)
    await relay_now(svc)
    return ORJSON({"account_id": account_id, "status": "disconnected", "revoked": revoked, "note": note})
