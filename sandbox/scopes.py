"""Scopes enforced per endpoint, refused in each platform's own words.

Every platform endpoint names the scopes it needs (``lacking``: each needed entry is one scope or a
tuple of alternatives, any of which will do); a token without one is refused with the body the
platform sends for it (``refusal``). Sources:

- X: the OpenAPI document's ``security`` per operation (../shared/specs/x-api-v2-openapi.json);
  a user token without the scope gets 403 ``{"title":"Forbidden","type":"about:blank","status":403,
  "detail":"Forbidden"}`` (github.com/plhery/node-twitter-api-v2/issues/265).
- LinkedIn: 403 ``{"status":403,"serviceErrorCode":100,"code":"ACCESS_DENIED","message":"Not enough
  permissions to access: ..."}`` (learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling).
- Meta Graph: OAuthException code 10 ("(#10) Application does not have permission for this action")
  or 200-299 (permission errors, developers.facebook.com/docs/graph-api/guides/error-handling).
- TikTok: ``scope_not_authorized``, HTTP 401 (developers.tiktok.com/doc/tiktok-api-v2-error-handling).
- YouTube: 403 ``insufficientPermissions`` "Request had insufficient authentication scopes." with
  ``WWW-Authenticate: Bearer ... error="insufficient_scope"`` (Google API error model).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.responses import JSONResponse

YT = "https://www.googleapis.com/auth/"
# Every scope the sandbox checks, per provider: what an operator grant (``POST /_sandbox/oauth/grants``
# without ``scopes``) carries, so tests that mint a token without the flow get a fully granted one.
ALL: dict[str, tuple[str, ...]] = {
    "x": ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access", "dm.read", "dm.write"),
    "linkedin": (
        "openid",
        "profile",
        "w_member_social",
        "r_member_postAnalytics",
        "r_organization_admin",
        "w_organization_social",
        "r_organization_social",
    ),
    "facebook": (
        "pages_show_list",
        "pages_manage_posts",
        "pages_read_engagement",
        "read_insights",
        "pages_manage_engagement",
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_comments",
        "instagram_manage_insights",
        "pages_read_user_content",
        "pages_messaging",
        "instagram_manage_messages",
    ),
    "tiktok": ("user.info.basic", "user.info.stats", "video.publish", "video.upload", "video.list", "comment.list"),
    "youtube": tuple(YT + s for s in ("youtube.readonly", "youtube.upload", "youtube.force-ssl", "yt-analytics.readonly")),
}

Need = str | tuple[str, ...]


def lacking(granted: list[str], *needs: Need) -> str | None:
    """The first needed scope the grant lacks (of alternatives, the first one named), or None."""
    have = set(granted)
    for need in needs:
        alternatives = (need,) if isinstance(need, str) else need
        if not have.intersection(alternatives):
            return alternatives[0]
    return None


def refusal(platform: str, scope: str, what: str = "", *, meta_code: int = 10) -> JSONResponse:
    """The platform's answer to a token that lacks ``scope`` for ``what`` (the resource or method)."""
    if platform == "x":
        return JSONResponse({"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"}, status_code=403)
    if platform == "linkedin":
        body: dict[str, Any] = {
            "status": 403,
            "serviceErrorCode": 100,
            "code": "ACCESS_DENIED",
            "message": f"Not enough permissions to access: {what}",
        }
        return JSONResponse(body, status_code=403)
    if platform in ("facebook", "instagram"):
        message = (
            "(#10) Application does not have permission for this action"
            if meta_code == 10
            else f"(#{meta_code}) {what or 'Permissions error'}"
        )
        err = {"message": message, "type": "OAuthException", "code": meta_code, "fbtrace_id": secrets.token_urlsafe(12)[:16]}
        return JSONResponse({"error": err}, status_code=403)
    if platform == "tiktok":
        return JSONResponse(
            {
                "data": {},
                "error": {
                    "code": "scope_not_authorized",
                    "message": "The user did not authorize the scope required for completing this request.",
                    "log_id": secrets.token_hex(10),
                },
            },
            status_code=401,
        )
    if platform == "youtube":
        return JSONResponse(
            {
                "error": {
                    "code": 403,
                    "message": "Request had insufficient authentication scopes.",
                    "errors": [{"message": "Insufficient Permission", "domain": "global", "reason": "insufficientPermissions"}],
                    "status": "PERMISSION_DENIED",
                    "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}],
                }
            },
            status_code=403,
            headers={"WWW-Authenticate": f'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="{scope}"'},
        )
    raise ValueError(f"no scope refusal for {platform}")
