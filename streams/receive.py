"""receive: the platforms' verified webhook deliveries (``social.inbound``, as the API recorded them)
read into ``CommentReceived`` / ``MessageReceived`` on ``social.inbox``, keyed by the post's platform
id (comments) or the conversation (messages).

Each platform's payload is read by :func:`domain.inbound.parse`; the platform's account id becomes our
account (one event per site that connected it), the platform's post id our post when we published it.

Duplicates: platforms deliver at least once (Meta retries for up to 36 h and leaves deduplication to
the receiver; TikTok for 72 h; LinkedIn every 5 min for 8 h) and may batch the same comment into a
different body. An event's id is derived from the platform, our account and the platform's comment or
message id, so every resend yields the same id (the inbox folds on it); besides, ``inbox_seen`` holds
the ids emitted, so a resend is not put on the topic again. The id is marked after the send: a crash in
between emits it once more, under the same id. A delivery that is not its platform's shape is
dead-lettered with the reason and the agent goes on.
"""

from __future__ import annotations

from typing import Any

from adapters.inbound import InboundDirectory
from adapters.kafka import Producer, send_all
from domain import inbound as d
from domain.inbox import comment_event_id, comment_key, message_event_id
from schemas import events as e
from schemas import topics as t
from schemas.envelope import Envelope
from schemas.registry import registry
from streams.exceptions import Unprocessable
from streams.plumbing import Agent

SOURCE = "socializer/receive"


def event_id(platform: str, account_id: str, item: d.Item) -> str:
    """One id per comment or message, however often, however batched and by whichever path (this
    webhook or the sweep) it arrives: the inbox item's own id (:mod:`domain.inbox`). A Page connected
    by two sites is one item, shown to the site whose event came first."""
    if isinstance(item, d.Comment):
        return comment_event_id(platform, item.comment_id)
    return message_event_id(platform, item.message_id)


async def events(received: e.InboundReceived, directory: InboundDirectory) -> list[tuple[str, str, e.Event]]:
    """(key, event id, event) for each comment and message the delivery says, for each of our accounts."""
    out: list[tuple[str, str, e.Event]] = []
    for item in d.parse(received.platform, received.body):
        for acct in await directory.accounts(item.platform, item.account):
            eid = event_id(item.platform, acct.account_id, item)
            if isinstance(item, d.Comment):
                post_id = await directory.post_id(acct.account_id, item.post_ids)
                platform_post_id = item.post_ids[0] if item.post_ids else ""
                ev: e.Event = e.CommentReceived(
                    platform=item.platform,
                    account_id=acct.account_id,
                    site_id=acct.site_id,
                    comment_id=item.comment_id,
                    platform_post_id=platform_post_id,
                    post_id=post_id,
                    parent_id=item.parent_id,
                    author_id=item.author_id,
                    author_name=item.author_name,
                    text=item.text,
                    kind=item.kind,
                    created_at=item.created_at,
                    echo=item.echo,
                )
                out.append((comment_key(item.platform, item.comment_id), eid, ev))
            else:
                ev = e.MessageReceived(
                    platform=item.platform,
                    account_id=acct.account_id,
                    site_id=acct.site_id,
                    conversation_id=item.conversation_id,
                    message_id=item.message_id,
                    sender_id=item.sender_id,
                    sender_name=item.sender_name,
                    text=item.text,
                    created_at=item.created_at,
                    echo=item.echo,
                    kind=item.kind,
                    story_id=item.story_id,
                )
                out.append((item.conversation_id, eid, ev))
    return out


async def handle(value: bytes | None, directory: InboundDirectory, out: Producer) -> int:
    """Emit what one delivery says and was not emitted before; returns how many events were sent."""
    decoded = registry.decode(value or b"")
    received = decoded.message
    if not isinstance(received, e.InboundReceived):
        raise Unprocessable(f"type: {decoded.envelope.type} is not an inbound delivery")
    cause = decoded.envelope
    try:
        found = await events(received, directory)
    except d.Unparseable as err:
        raise Unprocessable(f"{received.platform} delivery {received.delivery_id}: {err}") from err
    fresh = await directory.unseen([eid for _, eid, _ in found])
    todo = [(key, envelope(ev, eid, cause)) for key, eid, ev in found if eid in fresh]
    todo = list({env.id: (key, env) for key, env in todo}.values())  # the same comment twice in one body
    if todo:
        await send_all(out, t.INBOX, todo)
        await directory.seen(env.id for _, env in todo)
    return len(todo)


def envelope(ev: e.Event, eid: str, cause: Envelope) -> Envelope:
    subject = ev.platform_post_id or ev.comment_id if isinstance(ev, e.CommentReceived) else getattr(ev, "conversation_id", "")
    return registry.envelope(
        ev, source=SOURCE, subject=subject, id=eid, correlationid=cause.correlationid or cause.id, causationid=cause.id
    )


def register(agent: Agent) -> None:
    directory = agent.deps.inbound
    if directory is None:
        return
    inbound: InboundDirectory = directory

    async def one(message: Any) -> None:
        await handle(message.value, inbound, agent.producer)

    agent.consume(t.INBOUND, "receive", one)
