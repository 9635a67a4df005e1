"""Nothing fails silently: a post whose platform hangs past its time is reported overdue once — one
notification in the feed and one email through a real SMTP conversation (aiosmtpd on loopback) —
and the notification is resolved once the post is published. A person marks it read."""

from __future__ import annotations

import email
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from streams.mail import HEADER
from tests.integration.conftest import FAST, eventually

pytestmark = pytest.mark.integration
P = "/api/v1/social"


class Inbox:
    """The SMTP server's handler: every message it took, parsed."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"

    def about(self, notification_id: str) -> list[Message]:
        return [m for m in self.messages if m[HEADER] == notification_id]


@pytest.fixture
def inbox(system: Any) -> Any:
    box = Inbox()
    server = Controller(box, hostname="127.0.0.1", port=system.smtp_port)
    server.start()
    yield box
    server.stop()


async def test_a_post_whose_platform_hangs_is_one_overdue_notification_and_one_email_resolved_once_published(system, inbox) -> None:  # type: ignore[no-untyped-def]
    r = await system.connect("notify", "x", "notify-x", "personal", settings=FAST, features=["publish"])
    assert r.status_code == 201, r.text
    [account] = r.json()["results"]
    async with system.client("notify") as c:
        r = await c.post(f"{P}/posts/?wait=true", json={"site_id": "notify", "account_id": account["account_id"], "text": "late, not lost"})
        assert r.status_code == 202, r.text
        post_id = r.json()["post_id"]
        # X takes the tweet and does not answer for longer than the publish timeout: the post is neither
        # published nor failed at its time, until the worker looks it up.
        system.sandbox.fault("x", "hang_after_accept", times=1, hang_seconds=30)
        r = await c.post(f"{P}/posts/{post_id}/publish/?wait=true")
        assert r.status_code == 202, r.text

        async def about_post(**params: Any) -> list[dict[str, Any]]:
            r = await c.get(f"{P}/notifications/", params={"kind": "post_overdue", **params})
            assert r.status_code == 200, r.text
            return [n for n in r.json()["results"] if n["subject"] == post_id]

        [raised] = await eventually(lambda: about_post(), timeout=60, what="the overdue notification")
        assert raised["open"] is True and raised["read"] is False and raised["site_id"] == "notify"
        assert post_id in raised["detail"]

        async def published() -> bool:
            return (await c.get(f"{P}/posts/{post_id}/")).json()["status"] == "published"

        await eventually(published, timeout=90, what="the post to be published once X answers or is looked up")
        [resolved] = await eventually(lambda: about_post(open="false"), timeout=30, what="the notification resolved")
        assert resolved["notification_id"] == raised["notification_id"] and resolved["resolved_reason"] == "published"
        assert len(await about_post()) == 1  # one incident, one notification: never raised twice

        # One email, taken by the SMTP server, recorded as sent.
        sent = "SELECT state FROM notification_emails WHERE notification_id = $1"
        await eventually(lambda: system.sql(sent + " AND state = 'sent'", raised["notification_id"]), timeout=30, what="the email")
        [mail] = inbox.about(raised["notification_id"])
        assert mail["To"] == "ops@notify.example" and mail["X-Socializer-Kind"] == "post_overdue"
        assert post_id in mail.get_payload() and "overdue" in mail["Subject"]
        assert [r["state"] for r in await system.sql(sent, raised["notification_id"])] == ["sent"]

        # Read: marked once, by its own site only.
        async with system.client("acct") as other:
            r = await other.post(f"{P}/notifications/{raised['notification_id']}/read/")
            assert r.status_code == 404 and r.json()["type"].endswith("/notification_not_found")
        r = await c.post(f"{P}/notifications/{raised['notification_id']}/read/")
        assert r.status_code == 200 and r.json()["read"] is True and r.json()["read_at"]
        assert await about_post(unread="false") and not await about_post(unread="true")
        r = await c.post(f"{P}/notifications/read-all/")
        assert r.status_code == 200
        assert (await c.get(f"{P}/notifications/", params={"unread": "true"})).json()["total"] == 0
