"""Connecting accounts: start (a one-time state, PKCE, the provider's authorization URL) and finish
(the callback: consume the state, exchange the code, find the accounts the grant can act for, store
them with their tokens sealed). Rules live in :mod:`commands.accounts`, states in
:mod:`adapters.accounts.states`; this shell drives them for the HTTP routes."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.accounts.states import StateStore
from adapters.accounts.store import AccountStore
from adapters.exceptions import GrantRefused, InvalidGrant, Unavailable
from adapters.oauth import OAuthClient
from commands.accounts import PendingState, check_callback, plan_connection
from commands.exceptions import ConnectionRefused
from domain.accounts import Account, AccountSettings


class Connections:
    def __init__(self, states: StateStore, store: AccountStore, oauth: dict[str, OAuthClient], *, state_ttl_seconds: float = 600) -> None:
        self.states = states
        self.store = store
        self.oauth = oauth
        self.ttl = timedelta(seconds=state_ttl_seconds)

    async def start(
        self,
        *,
        site_id: str,
        key_id: str,
        platform: str,
        account_type: str | None = None,
        features: list[str] | None = None,
        select: list[str] | None = None,
        settings: AccountSettings | None = None,
        user_ref: str = "",
    ) -> tuple[str, datetime, list[str]]:
        """(authorization URL, when its state expires, the scopes asked for)."""
        plan = plan_connection(platform, account_type, features)
        state = secrets.token_urlsafe(32)
        client = self.oauth[platform]
        verifier = secrets.token_urlsafe(64) if plan.pkce else None  # 86 characters, within RFC 7636's 43..128
        expires = datetime.now(UTC) + self.ttl
        await self.states.save(
            state,
            platform=platform,
            site_id=site_id,
            key_id=key_id,
            user_ref=user_ref,
            account_type=plan.account_type,
            features=list(plan.features),
            scopes=plan.scopes,
            selected=select,
            settings=settings.model_dump(mode="json") if settings else None,
            code_verifier=verifier,
            redirect_uri=client.redirect_uri,
            expires_at=expires,
        )
        return client.authorization_url(state, plan.scopes, verifier), expires, plan.scopes

    async def finish(self, platform: str, params: dict[str, str], *, caller_site: str | None = None) -> list[Account]:
        """``caller_site``: the site of the API key the callback came with, if any (a dashboard relaying
        the redirect); a state issued to another site is refused without being consumed."""
        state = params.get("state")
        if not state:
            raise ConnectionRefused("state_missing", "state: required; the callback must carry the state it was sent with", field="state")
        now = datetime.now(UTC)
        row, consumed = await self.states.consume(state, caller_site)
        if row is not None and caller_site is not None and row["site_id"] != caller_site:
            raise ConnectionRefused("state_other_site", "state: issued to another site's connection", field="state", status=403)
        pending = PendingState(row["platform"], row["site_id"], row["expires_at"], row["used_at"] is not None) if row else None
        check_callback(pending, platform=platform, now=now, consumed=consumed)
        assert row is not None
        if params.get("error"):
            code = "consent_denied" if params["error"] == "access_denied" else "provider_error"
            detail = params.get("error_description") or params["error"]
            raise ConnectionRefused(
                code, f"{platform} answered {params['error']}: {detail}", field="error", status=403 if code == "consent_denied" else 400
            )
        code = params.get("code")
        if not code:
            raise ConnectionRefused("code_missing", "code: required", field="code")
        client = self.oauth[platform]
        try:
            tokens = await client.exchange(code, row["code_verifier"])
            found = await client.discover(tokens, row["account_type"])
        except (InvalidGrant, GrantRefused) as err:
            raise ConnectionRefused("code_refused", f"{platform} refused the code: {err.message}", field="code") from None
        except Unavailable as err:
            raise ConnectionRefused("provider_unavailable", f"{platform} is unreachable: {err.message}", status=502) from None
        if row["selected"]:
            found = [f for f in found if f.platform_account_id in row["selected"]]
        if not found:
            raise ConnectionRefused(
                "nothing_to_connect",
                f"the {platform} grant can act for no {row['account_type']} account"
                " (no page, organization or channel was found or selected)",
                status=422,
            )
        settings = AccountSettings.model_validate(row["settings"]) if row["settings"] else None
        connection_id = str(uuid.uuid4())
        refreshable = client.provider.refreshable
        return [
            await self.store.connect(
                row["site_id"],
                platform,
                f,
                settings=settings,
                connected_by=row["user_ref"] or row["key_id"],
                connection_id=connection_id,
                refreshable=refreshable,
                requested=list(row["scopes"]),
            )
            for f in found
        ]

    async def disconnect(self, account: Account) -> tuple[bool, str]:
        """Revoke at the platform, then shred. (revoked?, note). A revocation that fails still shreds:
        the tokens become unusable here either way, and the note says what to do at the platform."""
        client: Any = self.oauth.get(account.platform)
        revoked, note = False, ""
        if account.status == "disconnected":
            return False, "already disconnected"
        if client is not None and await self.store.siblings(account):
            note = "the login is shared with other connected accounts: it was not revoked at the platform"
        elif client is not None:
            field = "user_token" if client.provider.revoke is None else "refresh_token"
            token = await self.store.secret(account.account_id, field) or await self.store.secret(account.account_id, "access_token")
            if token is not None:
                try:
                    await client.revoke(token, hint="refresh_token" if field == "refresh_token" else "access_token")
                    revoked = True
                except (GrantRefused, Unavailable) as err:
                    note = f"revocation at {account.platform} failed ({err.message}); remove the app from the account's settings there"
        await self.store.disconnected(account, revoked=revoked, note=note)
        return revoked, note
