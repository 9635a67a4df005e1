"""Meta Graph API: Facebook Page posts (``POST /{page-id}/feed``) and Instagram's container flow
(``POST /{ig-user-id}/media`` → poll ``status_code`` → ``POST /{ig-user-id}/media_publish``).

Insights ask only the current metric names (Graph v22+); since one retired metric fails the whole
call (#100), a metric Meta refuses is dropped and the rest asked again, and remembered for this
process so it is not asked again: one refused metric loses only itself."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime
from typing import Any

from adapters.exceptions import PlatformError, Rejected, ScopeMissing, Unavailable
from adapters.platforms.base import HttpPlatform
from adapters.ports import Metrics, OutgoingPost, PublishedRef
from domain.accounts import Account

GRAPH_VERSION = "v21.0"
log = logging.getLogger("socializer.platforms.meta")


def _auth(account: Account) -> dict[str, str]:
    # A header rather than ?access_token= so the token never lands in an access log.
    return {"Authorization": f"Bearer {account.access_token}"}


def _insight_values(body: dict[str, Any]) -> dict[str, Any]:
    """Each metric's latest value: a count, or a breakdown (``post_reactions_by_type_total``)."""
    return {item["name"]: item["values"][-1]["value"] for item in body.get("data", []) if item.get("values")}


def _count(values: dict[str, Any], name: str) -> int:
    v = values.get(name, 0)
    return int(v) if isinstance(v, int | float) else 0


REFUSED_METRICS: set[tuple[str, str]] = set()  # (platform, metric) Meta refused in this process


def refused_metric(message: str, asked: list[str]) -> str | None:
    """The asked metric a #100 names ("the impressions metric is no longer supported", "must be a valid
    insights metric: plays"), if exactly one of them is named."""
    named = [m for m in asked if re.search(rf"(?<![\w.]){re.escape(m)}(?![\w.])", message)]
    return named[0] if len(named) == 1 else None


class FacebookClient(HttpPlatform):
    platform = "facebook"

    def __init__(self, http, base_url: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(http, f"{base_url.rstrip('/')}/{GRAPH_VERSION}")

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        if post.media_urls:  # a photo post: the Page fetches the image from its URL
            data = {"url": post.media_urls[0], "caption": post.text, "published": "true"}
            resp = await self.request(
                "POST",
                f"/{account.platform_account_id}/photos",
                data=data,
                headers=_auth(account),
                creates=True,
                scope="pages_manage_posts",
            )
            pid = resp.json().get("post_id") or resp.json()["id"]
            return PublishedRef(pid, f"https://www.facebook.com/{pid}")
        data = {"message": post.text, "published": "true"}
        if post.link_url:
            data["link"] = post.link_url
        resp = await self.request(
            "POST", f"/{account.platform_account_id}/feed", data=data, headers=_auth(account), creates=True, scope="pages_manage_posts"
        )
        pid = resp.json()["id"]
        return PublishedRef(pid, f"https://www.facebook.com/{pid}")

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        params = {"fields": "id,message,created_time", "since": str(int(since.timestamp()) - 5), "limit": "100"}
        resp = await self.request(
            "GET", f"/{account.platform_account_id}/feed", params=params, headers=_auth(account), scope="pages_read_engagement"
        )
        for item in resp.json().get("data", []):
            if item.get("message") == post.text:
                return PublishedRef(item["id"], f"https://www.facebook.com/{item['id']}")
        return None

    # Post insights by their current names (post_impressions* retired for post_media_view and
    # post_total_media_view_unique: developers.facebook.com/docs/graph-api/reference/insights).
    insight_metrics: tuple[str, ...] = ("post_media_view", "post_total_media_view_unique", "post_clicks")
    insight_scope = "read_insights"

    async def insights(self, account: Account, node: str) -> dict[str, Any]:
        """The node's current insight metrics; a metric Meta refuses (#100) is dropped, the rest asked again."""
        asked = [m for m in self.insight_metrics if (self.platform, m) not in REFUSED_METRICS]
        while asked:
            try:
                resp = await self.request(
                    "GET", f"/{node}/insights", params={"metric": ",".join(asked)}, headers=_auth(account), scope=self.insight_scope
                )
            except Rejected as err:
                bad = None if isinstance(err, ScopeMissing) or err.code != "100" else refused_metric(err.message, asked)
                if bad is None:
                    raise
                log.warning("%s: Meta refused the insight metric %s (%s); the others are asked without it", self.platform, bad, err.message)
                REFUSED_METRICS.add((self.platform, bad))
                asked.remove(bad)
                continue
            return _insight_values(resp.json())
        return {}

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for pid in ids:
            fields = await self.request(
                "GET",
                f"/{pid}",
                params={"fields": "reactions.summary(total_count),comments.summary(true),shares"},
                headers=_auth(account),
                scope="pages_read_engagement",
            )
            f = fields.json()
            ins = await self.insights(account, pid)
            out[pid] = Metrics(
                likes=f.get("reactions", {}).get("summary", {}).get("total_count", 0),
                comments=f.get("comments", {}).get("summary", {}).get("total_count", 0),
                shares=f.get("shares", {}).get("count", 0),
                impressions=_count(ins, "post_media_view"),
                clicks=_count(ins, "post_clicks"),
                raw={"fields": f, "insights": ins},
            )
        return out


class InstagramClient(FacebookClient):
    platform = "instagram"
    poll_interval = 0.2
    poll_tries = 25
    # Media insights by their current names (v22+: impressions, plays, video_views gave way to views).
    insight_metrics = ("views", "reach", "likes", "comments", "saved", "shares", "total_interactions")
    insight_scope = "instagram_manage_insights"

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        if not post.media_urls:
            raise Rejected(self.platform, "an Instagram post needs an image", code="9004")
        ig = account.platform_account_id
        if len(post.media_urls) > 1:  # a carousel: one child container per image (at most 10), then the parent
            children = []
            for url in post.media_urls[:10]:
                child = await self.request(
                    "POST",
                    f"/{ig}/media",
                    data={"image_url": url, "is_carousel_item": "true"},
                    headers=_auth(account),
                    scope="instagram_content_publish",
                )
                children.append(child.json()["id"])
            data = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": post.text}
        else:
            data = {"image_url": post.media_urls[0], "caption": post.text}
        container = await self.request("POST", f"/{ig}/media", data=data, headers=_auth(account), scope="instagram_content_publish")
        cid = container.json()["id"]
        for _ in range(self.poll_tries):
            status = await self.request(
                "GET", f"/{cid}", params={"fields": "status_code,status"}, headers=_auth(account), scope="instagram_basic"
            )
            code = status.json().get("status_code")
            if code == "FINISHED":
                break
            if code in ("ERROR", "EXPIRED"):
                raise Rejected(self.platform, f"media container {code}: {status.json().get('status', '')}", code=code)
            await asyncio.sleep(self.poll_interval)
        else:
            raise Unavailable(self.platform, "media container not ready in time")
        resp = await self.request(
            "POST",
            f"/{ig}/media_publish",
            data={"creation_id": cid},
            headers=_auth(account),
            creates=True,
            scope="instagram_content_publish",
        )
        mid = resp.json()["id"]
        warnings: tuple[str, ...] = ()
        if post.first_comment:  # hashtags as the first comment; the post exists either way: a failure is a warning
            try:
                await self.request(
                    "POST",
                    f"/{mid}/comments",
                    data={"message": post.first_comment},
                    headers=_auth(account),
                    scope="instagram_manage_comments",
                )
            except PlatformError as err:
                log.warning("instagram %s: first comment not posted: %s", mid, err)
                warnings = (f"first comment not posted: {err}",)
        return PublishedRef(mid, f"https://www.instagram.com/p/{mid}/", warnings)

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        params = {"fields": "id,caption,timestamp,permalink", "limit": "50"}
        resp = await self.request(
            "GET", f"/{account.platform_account_id}/media", params=params, headers=_auth(account), scope="instagram_basic"
        )
        for item in resp.json().get("data", []):
            if item.get("caption") == post.text:
                return PublishedRef(item["id"], item.get("permalink", ""))
        return None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for mid in ids:
            v = await self.insights(account, mid)
            out[mid] = Metrics(
                likes=_count(v, "likes"),
                comments=_count(v, "comments"),
                shares=_count(v, "shares"),
                impressions=_count(v, "views"),
                clicks=0,
                reach=v.get("reach", 0),
                saves=v.get("saved", 0),
                views=v.get("views", 0),
                raw=v,
            )
        return out
