"""Scopes as the adapters meet them: each platform's refusal for a scope the token lacks (recognised
by its own body), and the scope a call needs where the path alone says it (a call whose scope
depends on the account passes ``scope=`` itself). Sources: sandbox/scopes.py names each body's."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

YT = "https://www.googleapis.com/auth/"


def _body(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _x(resp: httpx.Response) -> bool:
    # 403 {"title":"Forbidden","type":"about:blank","status":403,"detail":"Forbidden"}; a too-long or
    # duplicate tweet is a 403 too, with its own detail.
    b = _body(resp)
    return resp.status_code == 403 and b.get("title") == "Forbidden" and b.get("detail") == "Forbidden"


def _linkedin(resp: httpx.Response) -> bool:
    return resp.status_code == 403 and _body(resp).get("code") == "ACCESS_DENIED"


def _meta(resp: httpx.Response) -> bool:
    # OAuthException #10, or #200-#299: the permission errors (Graph API error handling guide).
    err = _body(resp).get("error")
    code = err.get("code") if isinstance(err, dict) else None
    return isinstance(code, int) and (code == 10 or 200 <= code <= 299)


def _tiktok(resp: httpx.Response) -> bool:
    err = _body(resp).get("error")
    return isinstance(err, dict) and err.get("code") in ("scope_not_authorized", "scope_permission_missed")


def _google(resp: httpx.Response) -> bool:
    if "insufficient_scope" in resp.headers.get("www-authenticate", ""):
        return True
    err = _body(resp).get("error")
    reasons = err.get("errors") if isinstance(err, dict) else None
    return bool(reasons) and isinstance(reasons, list) and reasons[0].get("reason") == "insufficientPermissions"


MISSING_SCOPE: dict[str, Callable[[httpx.Response], bool]] = {
    "x": _x,
    "linkedin": _linkedin,
    "facebook": _meta,
    "instagram": _meta,
    "tiktok": _tiktok,
    "youtube": _google,
}

# (platform, method, path pattern) -> the scope the call needs, where the path says it.
_NEEDED: list[tuple[str, str, re.Pattern[str], str]] = [
    ("x", "POST", re.compile(r"/2/tweets$"), "tweet.write"),
    ("x", "POST", re.compile(r"/2/media/upload"), "media.write"),
    ("x", "GET", re.compile(r"/2/"), "tweet.read"),
    ("tiktok", "POST", re.compile(r"/v2/video/(list|query)/"), "video.list"),
    ("tiktok", "POST", re.compile(r"/v2/post/publish/"), "video.publish"),
    ("youtube", "POST", re.compile(r"/upload/youtube/v3/videos"), YT + "youtube.upload"),
    ("youtube", "POST", re.compile(r"/thumbnails/set"), YT + "youtube.upload"),
    ("youtube", "POST", re.compile(r"/youtube/v3/captions"), YT + "youtube.force-ssl"),
    ("youtube", "GET", re.compile(r"youtubeanalytics/"), YT + "yt-analytics.readonly"),
    ("youtube", "GET", re.compile(r"/youtube/v3/"), YT + "youtube.readonly"),
    ("instagram", "POST", re.compile(r"/(media|media_publish)$"), "instagram_content_publish"),
    ("instagram", "POST", re.compile(r"/comments$"), "instagram_manage_comments"),
    ("instagram", "GET", re.compile(r"/insights"), "instagram_manage_insights"),
    ("facebook", "GET", re.compile(r"/insights"), "read_insights"),
    ("facebook", "POST", re.compile(r"/(feed|photos)$"), "pages_manage_posts"),
]


def needed(platform: str, method: str, path: str) -> str:
    """The scope a call needs, from its path ("" when the path does not say)."""
    bare = path.split("?", 1)[0]
    for plat, verb, pattern, scope in _NEEDED:
        if plat == platform and verb == method.upper() and pattern.search(bare):
            return scope
    return ""
