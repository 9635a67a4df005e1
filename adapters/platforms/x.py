"""X API v2: ``POST /2/tweets`` (201, id in ``data.id``), user timeline lookup, ``public_metrics``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.platforms.base import HttpPlatform
from adapters.ports import Metrics, OutgoingPost, PublishedRef
from domain.accounts import Account


def _auth(account: Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.access_token}"}


class XClient(HttpPlatform):
    platform = "x"

    def _url(self, account: Account, tweet_id: str) -> str:
        return f"https://x.com/{account.handle}/status/{tweet_id}"

    async def upload(self, account: Account, urls: tuple[str, ...]) -> list[str]:
        """One-shot image uploads (``POST /2/media/upload``), at most four per post."""
        ids = []
        for url in urls[:4]:
            data = await self.fetch_media(url, limit=5 << 20)
            if data is None:
                continue
            resp = await self.request(
                "POST",
                "/2/media/upload",
                headers=_auth(account),
                files={"media": ("image.jpg", data, "image/jpeg")},
                data={"media_category": "tweet_image"},
            )
            ids.append(resp.json()["data"]["id"])
        return ids

    async def _landed(self, account: Account, parts: list[str], since: datetime) -> list[str]:
        """The ids of the thread's parts already on the timeline, in order, as far as they go."""
        params = {
            "max_results": "100",
            "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tweet.fields": "created_at",
        }
        resp = await self.request("GET", f"/2/users/{account.platform_account_id}/tweets", params=params, headers=_auth(account))
        by_text: dict[str, str] = {}
        for tweet in reversed(resp.json().get("data", [])):  # newest first on X: the oldest copy wins
            by_text.setdefault(tweet.get("text", ""), tweet["id"])
        ids: list[str] = []
        for text in parts:
            if text not in by_text:
                break
            ids.append(by_text[text])
        return ids

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        """A thread is one unit: each tweet replies to the one before; a retry resumes after the last
        tweet the timeline shows, so no tweet is posted twice and none is skipped."""
        parts = list(post.thread) if post.thread else [post.text]
        landed = await self._landed(account, parts, resume_since) if post.thread and resume_since else []
        if len(landed) == len(parts):
            return PublishedRef(landed[0], self._url(account, landed[0]))
        media_ids = await self.upload(account, post.media_urls) if post.media_urls and not landed else []
        first_id = landed[0] if landed else ""
        reply_to: str | None = landed[-1] if landed else None
        for text in parts[len(landed) :]:
            body: dict[str, Any] = {"text": text}
            if media_ids and not reply_to:
                body["media"] = {"media_ids": media_ids}
            if reply_to:
                body["reply"] = {"in_reply_to_tweet_id": reply_to}
            resp = await self.request("POST", "/2/tweets", json=body, headers=_auth(account), creates=True)
            reply_to = resp.json()["data"]["id"]
            first_id = first_id or reply_to
        return PublishedRef(first_id, self._url(account, first_id))

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        if post.thread:  # found only when the whole thread is there; a partial one is resumed by create_post
            ids = await self._landed(account, list(post.thread), since)
            return PublishedRef(ids[0], self._url(account, ids[0])) if len(ids) == len(post.thread) else None
        first = post.text
        params = {
            "max_results": "100",
            "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tweet.fields": "created_at",
        }
        resp = await self.request("GET", f"/2/users/{account.platform_account_id}/tweets", params=params, headers=_auth(account))
        for tweet in resp.json().get("data", []):
            if tweet.get("text") == first:
                return PublishedRef(tweet["id"], self._url(account, tweet["id"]))
        return None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for i in range(0, len(ids), 100):
            params = {"ids": ",".join(ids[i : i + 100]), "tweet.fields": "public_metrics,non_public_metrics"}
            resp = await self.request("GET", "/2/tweets", params=params, headers=_auth(account))
            for tweet in resp.json().get("data", []):
                pm = tweet.get("public_metrics", {})
                npm = tweet.get("non_public_metrics", {})
                out[tweet["id"]] = Metrics(
                    likes=pm.get("like_count", 0),
                    comments=pm.get("reply_count", 0),
                    shares=pm.get("retweet_count", 0) + pm.get("quote_count", 0),
                    impressions=pm.get("impression_count", 0),
                    clicks=npm.get("url_link_clicks", 0),
                    saves=pm.get("bookmark_count", 0),
                    views=pm.get("impression_count", 0),
                    raw={"public_metrics": pm, "non_public_metrics": npm},
                )
        return out
