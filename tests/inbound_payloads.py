"""Webhook payloads as the platforms document them (ids and texts ours), for the parsers' unit tests,
the integration test and the inbound benchmark. Sources beside each."""

from __future__ import annotations

import json
from typing import Any


def ig_comment(account: str = "17841400000000001", comment: str = "17900000000000001", media: str = "17890000000000001") -> dict[str, Any]:
    """developers.facebook.com/docs/instagram-platform/webhooks/examples: comments."""
    return {
        "object": "instagram",
        "entry": [
            {
                "id": account,
                "time": 1733390000,
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "id": comment,
                            "from": {"id": "232323232", "username": "a_reader"},
                            "text": "Loved this — café talk \u00e9",
                            "media": {"id": media, "media_product_type": "FEED"},
                        },
                    }
                ],
            }
        ],
    }


def ig_mention(account: str = "17841400000000001") -> dict[str, Any]:
    """Instagram webhooks reference: mentions (value: media_id, comment_id)."""
    return {
        "object": "instagram",
        "entry": [
            {"id": account, "time": 1733390001, "changes": [{"field": "mentions", "value": {"media_id": "999", "comment_id": "888"}}]}
        ],
    }


def ig_message(account: str = "17841400000000001", *, echo: bool = False, story: str = "") -> dict[str, Any]:
    """Instagram messaging webhooks: entry.messaging[] with sender, recipient, timestamp (ms), message
    {mid, text, is_echo, reply_to.story {url, id}}."""
    user = "5566778899"
    msg: dict[str, Any] = {"mid": f"aWdfZAG1faXRlbTox{'e' if echo else 'u'}{story}", "text": "Is this still on?"}
    if echo:
        msg["is_echo"] = True
    if story:
        msg["reply_to"] = {"story": {"url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1", "id": story}}
    sender, recipient = (account, user) if echo else (user, account)
    return {
        "object": "instagram",
        "entry": [
            {
                "id": account,
                "time": 1733390002000,
                "messaging": [{"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": 1733390002000, "message": msg}],
            }
        ],
    }


def fb_comment(page: str = "101000000000001", post: str = "101000000000001_555", comment: str = "555_777") -> dict[str, Any]:
    """Graph API webhooks reference, Page feed: item comment, verb add."""
    return {
        "object": "page",
        "entry": [
            {
                "id": page,
                "time": 1733390003,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "from": {"id": "24242424", "name": "Rita Reader"},
                            "post": {"status_type": "added_photos", "is_published": True, "id": post},
                            "message": "Great read",
                            "post_id": post,
                            "comment_id": comment,
                            "created_time": 1733390003,
                            "item": "comment",
                            "parent_id": post,
                            "verb": "add",
                        },
                    }
                ],
            }
        ],
    }


def fb_reaction(page: str = "101000000000001") -> dict[str, Any]:
    return {
        "object": "page",
        "entry": [
            {
                "id": page,
                "time": 1733390004,
                "changes": [
                    {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": f"{page}_1", "reaction_type": "like"}}
                ],
            }
        ],
    }


def x_reply(me: str = "2244994945", tweet: str = "1858000000000000001", replied_to: str = "1857000000000000001") -> dict[str, Any]:
    """Account Activity data objects: tweet_create_events (v1.1 Tweet objects) for a reply to ``me``."""
    return {
        "for_user_id": me,
        "tweet_create_events": [
            {
                "created_at": "Thu Dec 05 08:00:00 +0000 2024",
                "id": int(tweet),
                "id_str": tweet,
                "text": "@ourblog good point",
                "in_reply_to_status_id_str": replied_to,
                "in_reply_to_user_id_str": me,
                "user": {"id": 6253282, "id_str": "6253282", "name": "Api Reader", "screen_name": "apireader"},
                "entities": {"user_mentions": [{"id": int(me), "id_str": me, "screen_name": "ourblog"}]},
                "timestamp_ms": "1733385600000",
            }
        ],
    }


def x_dm(me: str = "2244994945", *, echo: bool = False) -> dict[str, Any]:
    """Account Activity data objects: direct_message_events (message_create) with users."""
    other = "3805104374"
    sender, recipient = (me, other) if echo else (other, me)
    return {
        "for_user_id": me,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": "954491830116155396" if not echo else "954491830116155397",
                "created_timestamp": "1516403560557",
                "message_create": {"target": {"recipient_id": recipient}, "sender_id": sender, "message_data": {"text": "Hello World!"}},
            }
        ],
        "users": {other: {"id": other, "name": "Furni", "screen_name": "furni"}, me: {"id": me, "name": "Our Blog"}},
    }


def tiktok_event(event: str = "post.publish.publicly_available") -> dict[str, Any]:
    """developers.tiktok.com/doc/webhooks-events: the envelope, content a serialised JSON string."""
    return {
        "client_key": "bwo2m45353a6k85",
        "event": event,
        "create_time": 1615338610,
        "user_openid": "act.example12345Example12345Example",
        "content": '{"publish_id":"v_pub_url~v2.123","publish_type":"DIRECT_PUBLISH","post_id":"7301"}',
    }


def linkedin_comment(org: str = "urn:li:organization:96072893", notification: int = 5603453321) -> dict[str, Any]:
    """Organization social action notifications: the docs' COMMENT example, in its envelope."""
    return {
        "type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
        "notifications": [
            {
                "subscriber": "urn:li:person:zLqTygBP8S",
                "lastModifiedAt": 1691574506310,
                "decoratedSourcePost": {
                    "owner": org,
                    "mediaCategory": "NONE",
                    "text": "This is my post 0008",
                    "entity": "urn:li:share:7094637247487995904",
                },
                "sourcePost": "urn:li:activity:7094637247890620418",
                "decoratedGeneratedActivity": {
                    "comment": {
                        "owner": "urn:li:person:zLqTygBP8S",
                        "text": "Commenting as a reader",
                        "entity": "urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)",
                        "object": "urn:li:activity:7094637247890620418",
                    }
                },
                "action": "COMMENT",
                "notificationId": notification,
                "organizationalEntity": org,
                "generatedActivity": "urn:li:comment:(activity:7094637247890620418,7094977717598625792)",
            }
        ],
    }


def raw(doc: dict[str, Any]) -> bytes:
    """As a platform sends it: compact JSON, non-ASCII escaped (Meta's way: the signature is over these bytes)."""
    return json.dumps(doc, separators=(",", ":")).encode()
