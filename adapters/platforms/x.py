"""X API v2: ``POST /2/tweets`` (201, id in ``data.id``), user timeline lookup, ``public_metrics``."""

from __future__ import annotations

import html
import unicodedata
from datetime import UTC, datetime
from typing import Any

from adapters.exceptions import Rejected
from adapters.platforms.base import HttpPlatform
from adapters.ports import Metrics, OutgoingPost, OutgoingReply, PublishedRef, SeenComment, SeenMessage
from domain.accounts import Account
from domain.inbound import x_kind

# Pages of 100 read back when looking for a post: an attempt's window holds far fewer of one account's tweets.
TIMELINE_PAGES = 5


def _plain(text: str) -> str:
    """Text as compared: X's escaping undone, NFC (X normalises), whitespace runs as one space."""
    return " ".join(unicodedata.normalize("NFC", html.unescape(text)).split())


def same_post(sent: str, tweet: dict[str, Any]) -> bool:
    """Whether ``tweet`` (as the timeline returns it, with ``entities``) is the post whose text was
    ``sent``, whatever X did to it: each link became a ``t.co`` link (its ``expanded_url`` is the one
    sent, with ``http://`` added where it had no scheme), so compare the links apart and the text
    without them. https://docs.x.com/x-api/fundamentals/data-dictionary (``entities.urls``)"""
    text = str(tweet.get("text", ""))
    urls = sorted((tweet.get("entities") or {}).get("urls") or [], key=lambda u: int(u.get("start", 0)))
    shown, pos = "", 0
    for u in urls:
        shown += text[pos : int(u["start"])] + " "
        pos = int(u["end"])
    shown += text[pos:]
    rest = unicodedata.normalize("NFC", sent)
    for u in urls:
        expanded = str(u.get("expanded_url", ""))
        forms = [expanded, expanded.removeprefix("http://")] if expanded.startswith("http://") else [expanded]
        form = next((f for f in forms if f and f in rest), None)
        if form is None:
            return False
        rest = rest.replace(form, " ", 1)
    return _plain(shown) == _plain(rest)


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

    async def _timeline(self, account: Account, since: datetime) -> list[dict[str, Any]]:
        """The account's tweets since ``since``, oldest first, with the entities that say what X did
        to their links (https://docs.x.com/x-api/posts/timelines/introduction: newest first, paged)."""
        params = {
            "max_results": "100",
            "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            # The OpenAPI document's name (docs.x.com still says ``tweet.fields``; X takes both).
            "post.fields": "created_at,entities",
        }
        tweets: list[dict[str, Any]] = []
        for _ in range(TIMELINE_PAGES):
            resp = await self.request("GET", f"/2/users/{account.platform_account_id}/tweets", params=params, headers=_auth(account))
            body = resp.json()
            tweets += body.get("data", [])
            token = body.get("meta", {}).get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        return list(reversed(tweets))

    async def _landed(self, account: Account, parts: list[str], since: datetime) -> list[str]:
        """The ids of the thread's parts already on the timeline, in order, as far as they go."""
        tweets = await self._timeline(account, since)
        ids: list[str] = []
        for text in parts:
            match = next((t["id"] for t in tweets if t["id"] not in ids and same_post(text, t)), None)
            if match is None:
                break
            ids.append(match)
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
        for tweet in await self._timeline(account, since):  # oldest first: the first copy wins
            if same_post(post.text, tweet):
                return PublishedRef(tweet["id"], self._url(account, tweet["id"]))
        return None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for i in range(0, len(ids), 100):
            params = {"ids": ",".join(ids[i : i + 100]), "post.fields": "public_metrics,non_public_metrics"}
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

    async def count_followers(self, account: Account) -> int | None:
        """GET /2/users/me with ``user.fields=public_metrics`` (users.read): ``public_metrics.followers_count``."""
        resp = await self.request(
            "GET", "/2/users/me", params={"user.fields": "public_metrics"}, headers=_auth(account), scope="users.read"
        )
        count = resp.json().get("data", {}).get("public_metrics", {}).get("followers_count")
        return int(count) if count is not None else None

    # ---- the inbox: a reply is a tweet answering the comment's tweet; a DM goes to the participant
    # (POST /2/dm_conversations/with/{participant_id}/messages, scopes dm.write tweet.read users.read:
    # ../shared/specs/x-api-v2-openapi.json). X lets an app neither hide replies here nor send private replies.

    async def send_reply(self, account: Account, reply: OutgoingReply) -> PublishedRef:
        if reply.action == "reply":
            body = {"text": reply.text, "reply": {"in_reply_to_tweet_id": reply.target["comment_id"]}}
            resp = await self.request("POST", "/2/tweets", json=body, headers=_auth(account), creates=True)
            tid = resp.json()["data"]["id"]
            return PublishedRef(tid, self._url(account, tid))
        if reply.action == "message":
            resp = await self.request(
                "POST",
                f"/2/dm_conversations/with/{reply.target['recipient']}/messages",
                json={"text": reply.text},
                headers=_auth(account),
                creates=True,
            )
            return PublishedRef(str(resp.json()["data"]["dm_event_id"]))
        raise Rejected(self.platform, f"X has no {reply.action} through its API", code="unsupported")

    async def find_reply(self, account: Account, reply: OutgoingReply, since: datetime) -> PublishedRef | None:
        if reply.action == "reply":
            for tweet in await self._timeline(account, since):  # X refuses the same text twice: the text names it
                if same_post(reply.text, tweet):
                    return PublishedRef(tweet["id"], self._url(account, tweet["id"]))
            return None
        if reply.action == "message":
            for m in await self.list_messages(account, since):
                if m.sender_id == account.platform_account_id and m.text == reply.text and reply.target["recipient"] in m.conversation_id:
                    return PublishedRef(m.message_id)
            return None
        return None

    async def list_comments(self, account: Account, post_id: str) -> list[SeenComment]:
        """Replies to one of our tweets: recent search by its conversation (the last 7 days). Each is
        named as the Account Activity webhook names it (:func:`domain.inbound.x_kind`): a reply to
        someone else in the thread that @mentions us is a mention there, and so here."""
        params = {
            "query": f"conversation_id:{post_id}",
            "max_results": "100",
            "post.fields": "created_at,conversation_id,entities",
            "expansions": "author_id,in_reply_to_user_id,referenced_posts",
        }
        resp = await self.request("GET", "/2/tweets/search/recent", params=params, headers=_auth(account))
        me = account.platform_account_id
        out = []
        for t in resp.json().get("data", []):
            parent = next((r.get("id", "") for r in t.get("referenced_tweets") or [] if r.get("type") == "replied_to"), "")
            author = str(t.get("author_id", ""))
            mentioned = {str(m.get("id", "")) for m in (t.get("entities") or {}).get("mentions") or []}
            kind = x_kind(me, author, parent, str(t.get("in_reply_to_user_id") or ""), mentioned) or "comment"
            out.append(
                SeenComment(
                    comment_id=t["id"],
                    post_id=post_id,
                    author_id=author,
                    text=str(t.get("text", "")),
                    created_at=_when(t.get("created_at")),
                    parent_id=parent if parent != post_id else "",
                    kind="mention" if kind == "mention" else "comment",
                )
            )
        return out

    async def list_messages(self, account: Account, since: datetime) -> list[SeenMessage]:
        """The account's DM events (GET /2/dm_events, the last 30 days), newest first, down to ``since``."""
        params = {"max_results": "100", "event_types": "MessageCreate", "dm_event.fields": "created_at,dm_conversation_id,sender_id,text"}
        resp = await self.request("GET", "/2/dm_events", params=params, headers=_auth(account))
        out = []
        for ev in resp.json().get("data", []):
            when = _when(ev.get("created_at"))
            if when < since:
                continue
            out.append(
                SeenMessage(
                    message_id=str(ev["id"]),
                    conversation_id=str(ev.get("dm_conversation_id", "")),
                    sender_id=str(ev.get("sender_id", "")),
                    text=str(ev.get("text", "")),
                    created_at=when,
                )
            )
        return out


def _when(raw: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
