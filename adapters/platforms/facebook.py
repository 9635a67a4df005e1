"""Meta Graph API: Facebook Page posts (``POST /{page-id}/feed``) and Instagram's container flow
(``POST /{ig-user-id}/media`` → poll ``status_code`` → ``POST /{ig-user-id}/media_publish``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from adapters.exceptions import PlatformError, Rejected, Unavailable
from adapters.platforms.base import HttpPlatform
from adapters.ports import Metrics, OutgoingPost, PublishedRef
from domain.accounts import Account

GRAPH_VERSION = "v21.0"
log = logging.getLogger("socializer.platforms.meta")


def _auth(account: Account) -> dict[str, str]:
    # A header rather than ?access_token= so the token never lands in an access log.
    return {"Authorization": f"Bearer {account.access_token}"}


def _insight_values(body: dict[str, Any]) -> dict[str, int]:
    return {item["name"]: int(item["values"][-1]["value"]) for item in body.get("data", []) if item.get("values")}


class FacebookClient(HttpPlatform):
    platform = "facebook"

    def __init__(self, http, base_url: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(http, f"{base_url.rstrip('/')}/{GRAPH_VERSION}")

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        if post.media_urls:  # a photo post: the Page fetches the image from its URL
            data = {"url": post.media_urls[0], "caption": post.text, "published": "true"}
            resp = await self.request("POST", f"/{account.platform_account_id}/photos", data=data, headers=_auth(account), creates=True)
            pid = resp.json().get("post_id") or resp.json()["id"]
            return PublishedRef(pid, f"https://www.facebook.com/{pid}")
        data = {"message": post.text, "published": "true"}
        if post.link_url:
            data["link"] = post.link_url
        resp = await self.request("POST", f"/{account.platform_account_id}/feed", data=data, headers=_auth(account), creates=True)
        pid = resp.json()["id"]
        return PublishedRef(pid, f"https://www.facebook.com/{pid}")

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        params = {"fields": "id,message,created_time", "since": str(int(since.timestamp()) - 5), "limit": "100"}
        resp = await self.request("GET", f"/{account.platform_account_id}/feed", params=params, headers=_auth(account))
        for item in resp.json().get("data", []):
            if item.get("message") == post.text:
                return PublishedRef(item["id"], f"https://www.facebook.com/{item['id']}")
        return None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for pid in ids:
            fields = await self.request(
                "GET",
                f"/{pid}",
                params={"fields": "reactions.summary(total_count),comments.summary(true),shares"},
                headers=_auth(account),
            )
            insights = await self.request(
                "GET", f"/{pid}/insights", params={"metric": "post_media_view,post_clicks"}, headers=_auth(account)
            )
            f = fields.json()
            ins = _insight_values(insights.json())
            out[pid] = Metrics(
                likes=f.get("reactions", {}).get("summary", {}).get("total_count", 0),
                comments=f.get("comments", {}).get("summary", {}).get("total_count", 0),
                shares=f.get("shares", {}).get("count", 0),
                impressions=ins.get("post_media_view", 0),
                clicks=ins.get("post_clicks", 0),
                raw={"fields": f, "insights": ins},
            )
        return out


class InstagramClient(FacebookClient):
    platform = "instagram"
    poll_interval = 0.2
    poll_tries = 25

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        if not post.media_urls:
            raise Rejected(self.platform, "an Instagram post needs an image", code="9004")
        ig = account.platform_account_id
        if len(post.media_urls) > 1:  # a carousel: one child container per image (at most 10), then the parent
            children = []
            for url in post.media_urls[:10]:
                child = await self.request(
                    "POST", f"/{ig}/media", data={"image_url": url, "is_carousel_item": "true"}, headers=_auth(account)
                )
                children.append(child.json()["id"])
            data = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": post.text}
        else:
            data = {"image_url": post.media_urls[0], "caption": post.text}
        container = await self.request("POST", f"/{ig}/media", data=data, headers=_auth(account))
        cid = container.json()["id"]
        for _ in range(self.poll_tries):
            status = await self.request("GET", f"/{cid}", params={"fields": "status_code,status"}, headers=_auth(account))
            code = status.json().get("status_code")
            if code == "FINISHED":
                break
            if code in ("ERROR", "EXPIRED"):
                raise Rejected(self.platform, f"media container {code}: {status.json().get('status', '')}", code=code)
            await asyncio.sleep(self.poll_interval)
        else:
            raise Unavailable(self.platform, "media container not ready in time")
        resp = await self.request("POST", f"/{ig}/media_publish", data={"creation_id": cid}, headers=_auth(account), creates=True)
        mid = resp.json()["id"]
        if post.first_comment:  # hashtags as the first comment; the post exists either way, so a failure only logs
            try:
                await self.request("POST", f"/{mid}/comments", data={"message": post.first_comment}, headers=_auth(account))
            except PlatformError as err:
                log.warning("instagram %s: first comment not posted: %s", mid, err)
        return PublishedRef(mid, f"https://www.instagram.com/p/{mid}/")

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        params = {"fields": "id,caption,timestamp,permalink", "limit": "50"}
        resp = await self.request("GET", f"/{account.platform_account_id}/media", params=params, headers=_auth(account))
        for item in resp.json().get("data", []):
            if item.get("caption") == post.text:
                return PublishedRef(item["id"], item.get("permalink", ""))
        return None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for mid in ids:
            resp = await self.request(
                "GET",
                f"/{mid}/insights",
                params={"metric": "views,reach,likes,comments,saved,shares,total_interactions"},
                headers=_auth(account),
            )
            v = _insight_values(resp.json())
            out[mid] = Metrics(
                likes=v.get("likes", 0),
                comments=v.get("comments", 0),
                shares=v.get("shares", 0),
                impressions=v.get("views", 0),
                clicks=0,
                reach=v.get("reach", 0),
                saves=v.get("saved", 0),
                views=v.get("views", 0),
                raw=v,
            )
        return out
