"""TikTok Content Posting API: photo posts by ``PULL_FROM_URL`` (``/v2/post/publish/content/init/``),
status polling, and ``/v2/video/query/`` for metrics."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from adapters.exceptions import OutcomeUnknown, Rejected
from adapters.platforms.base import HttpPlatform
from adapters.ports import Metrics, OutgoingPost, PublishedRef
from domain.accounts import Account


def _auth(account: Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.access_token}", "Content-Type": "application/json; charset=UTF-8"}


class TikTokClient(HttpPlatform):
    platform = "tiktok"
    poll_interval = 0.2
    poll_tries = 25

    def _check(self, body: dict[str, Any]) -> dict[str, Any]:
        err = body.get("error", {})
        if err.get("code", "ok") != "ok":
            raise Rejected(self.platform, err.get("message", ""), code=err.get("code", ""))
        data: dict[str, Any] = body.get("data") or {}
        return data

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        if not post.media_urls:
            raise Rejected(self.platform, "a TikTok photo post needs at least one image", code="invalid_params")
        body = {
            "media_type": "PHOTO",
            "post_mode": "DIRECT_POST",
            "post_info": {"title": post.text[:90], "description": post.text, "privacy_level": "PUBLIC_TO_EVERYONE"},
            "source_info": {"source": "PULL_FROM_URL", "photo_images": list(post.media_urls), "photo_cover_index": 0},
        }
        resp = await self.request("POST", "/v2/post/publish/content/init/", json=body, headers=_auth(account), creates=True)
        publish_id = self._check(resp.json())["publish_id"]
        for _ in range(self.poll_tries):
            st = await self.request("POST", "/v2/post/publish/status/fetch/", json={"publish_id": publish_id}, headers=_auth(account))
            data = self._check(st.json())
            if data.get("status") == "PUBLISH_COMPLETE":
                vid = (data.get("publicaly_available_post_id") or [publish_id])[0]
                return PublishedRef(str(vid), f"https://www.tiktok.com/@{account.handle}/photo/{vid}")
            if data.get("status") == "FAILED":
                raise Rejected(self.platform, data.get("fail_reason", "publish failed"), code="FAILED")
            await asyncio.sleep(self.poll_interval)
        raise OutcomeUnknown(self.platform, f"publish {publish_id} still processing")

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        resp = await self.request(
            "POST", "/v2/video/list/?fields=id,title,video_description,create_time", json={"max_count": 20}, headers=_auth(account)
        )
        for v in self._check(resp.json()).get("videos", []):
            if v.get("video_description") == post.text and v.get("create_time", 0) >= since.timestamp() - 5:
                return PublishedRef(str(v["id"]), f"https://www.tiktok.com/@{account.handle}/photo/{v['id']}")
        return None

    async def count_followers(self, account: Account) -> int | None:
        """GET /v2/user/info/?fields=follower_count (scope user.info.stats); None for a grant without that scope."""
        if account.scopes and "user.info.stats" not in account.scopes:
            return None
        resp = await self.request("GET", "/v2/user/info/?fields=follower_count", headers=_auth(account), scope="user.info.stats")
        count = self._check(resp.json()).get("user", {}).get("follower_count")
        return int(count) if count is not None else None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for i in range(0, len(ids), 20):
            resp = await self.request(
                "POST",
                "/v2/video/query/?fields=id,like_count,comment_count,share_count,view_count",
                json={"filters": {"video_ids": ids[i : i + 20]}},
                headers=_auth(account),
            )
            for v in self._check(resp.json()).get("videos", []):
                out[str(v["id"])] = Metrics(
                    likes=v.get("like_count", 0),
                    comments=v.get("comment_count", 0),
                    shares=v.get("share_count", 0),
                    impressions=v.get("view_count", 0),
                    views=v.get("view_count", 0),
                    raw=v,
                )
        return out
