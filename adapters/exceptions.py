"""Errors raised by adapters, translated from vendor errors with ``raise ... from``.

AdapterError
├── PlatformError                 a platform answered
│   ├── RateLimited               429: nothing was created; retry after ``retry_after`` seconds
│   ├── Rejected                  4xx: the request is wrong or not allowed; do not retry as is
│   │   ├── AuthExpired           401/190/invalid token: the account needs re-authorisation
│   │   └── ScopeMissing          the token lacks ``scope`` for this call: the account needs re-authorisation
│   │                             with that scope (refreshing gives the same scopes), not a failed post
│   ├── Unavailable               nothing reached the platform (connect error) or a read failed: retry later
│   └── OutcomeUnknown            timeout, dropped connection or 5xx after the request was sent:
│                                 the post may exist; reconcile by looking it up, never blindly retry
├── GrantRefused                  an authorization server refused a token request
│   └── InvalidGrant              the code, refresh token or client is dead: the account needs re-authorisation
├── AccountUnusable               the account cannot make platform calls (needs_reauth, disconnected, account_missing)
├── ConfigError                   a site or account file is wrong
└── MigrationError                a migration failed; nothing of it was applied
"""


class AdapterError(Exception):
    pass


class AccountUnusable(AdapterError):
    """``code`` is needs_reauth, disconnected or account_missing."""

    def __init__(self, account_id: str, code: str, reason: str) -> None:
        super().__init__(f"account {account_id}: {code}: {reason}")
        self.code = code
        self.reason = reason


class ConfigError(AdapterError):
    pass


class MigrationError(AdapterError):
    pass


class PlatformError(AdapterError):
    def __init__(self, platform: str, message: str, *, code: str = "", status: int | None = None) -> None:
        super().__init__(f"{platform}: {message}")
        self.platform = platform
        self.message = message
        self.code = code
        self.status = status


class RateLimited(PlatformError):
    def __init__(self, platform: str, message: str, *, retry_after: float, code: str = "rate_limited", status: int = 429) -> None:
        super().__init__(platform, message, code=code, status=status)
        self.retry_after = retry_after


class Rejected(PlatformError):
    pass


class AuthExpired(Rejected):
    pass


class ScopeMissing(Rejected):
    """The platform refused the call for a scope the grant lacks; ``scope`` names it ("" when the
    caller did not say which one it needs)."""

    def __init__(self, platform: str, scope: str, message: str, *, code: str = "scope_missing", status: int | None = None) -> None:
        super().__init__(platform, f"the grant lacks {scope or 'a scope this call needs'}: {message}", code=code, status=status)
        self.scope = scope


class OutcomeUnknown(PlatformError):
    pass


class Unavailable(PlatformError):
    pass


class GrantRefused(PlatformError):
    pass


class InvalidGrant(GrantRefused):
    pass
