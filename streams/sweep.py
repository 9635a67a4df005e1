"""sweep: what a webhook dropped, caught by listing. The leader lists, per account, the comments on
its posts of the last days and its recent conversations through the platform adapters, and puts
each as ``CommentReceived`` / ``MessageReceived`` on ``social.inbox`` under the same derived id a
webhook delivery gets (:func:`domain.inbox.comment_event_id`), keyed as it is (:func:`domain.inbox.comment_key`): what was already there is a
duplicate the inbox folds once. Our own comments and messages are marked ``echo``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapters import exceptions as x
from adapters.accounts import Tokens
from adapters.kafka import Producer, send_all
from adapters.ports import responder
from adapters.published import PublishedPosts
from domain.inbox import comment_event_id, comment_key, is_echo, message_event_id
from schemas import events as e
from schemas import topics as t
from schemas.envelope import Envelope, utcnow
from schemas.registry import registry
from streams.plumbing import Agent

SOURCE = "socializer/sweep"
log = logging.getLogger("socializer.sweep")


@dataclass
class Sweeping:
    published: PublishedPosts
    tokens: Tokens
    platforms: Mapping[str, Any]
    out: Producer
    lookback: timedelta = timedelta(days=7)
    clock: Callable[[], datetime] = utcnow


async def sweep(s: Sweeping) -> int:
    """One pass over every account with posts in the lookback: how many items were put on the log."""
    now = s.clock()
    posts = await s.published.since(now - s.lookback)
    by_account: dict[str, list[Any]] = {}
    for p in posts:
        if responder(s.platforms.get(p.platform)) is not None:
            by_account.setdefault(p.account_id, []).append(p)
    sent = 0
    for account_id, theirs in by_account.items():
        try:
            sent += await _account(s, account_id, theirs, now)
        except (x.PlatformError, x.AccountUnusable) as err:  # one account's trouble stops only its own sweep
            log.warning("inbox sweep of %s: %s", account_id, err)
    log.info("inbox sweep: %d items from %d accounts' %d posts", sent, len(by_account), sum(map(len, by_account.values())))
    return sent


async def _account(s: Sweeping, account_id: str, posts: list[Any], now: datetime) -> int:
    account = await s.tokens.authorized(account_id)
    client = responder(s.platforms[account.platform])
    assert client is not None  # sweep() only sweeps platforms the inbox answers on
    me = account.platform_account_id
    items: list[tuple[str, Envelope]] = []
    for p in posts:
        try:
            seen = await client.list_comments(account, p.platform_post_id)
        except (x.AuthExpired, x.ScopeMissing):  # the account's trouble, not the post's
            raise
        except x.PlatformError as err:  # a post deleted or refused on the platform stops only its own listing
            log.warning("inbox sweep of %s's post %s: %s", account_id, p.platform_post_id, err)
            continue
        for c in seen:
            ev = e.CommentReceived(
                platform=account.platform,  # type: ignore[arg-type]
                account_id=account_id,
                site_id=p.site_id,
                comment_id=c.comment_id,
                platform_post_id=p.platform_post_id,
                post_id=p.post_id,
                parent_id=c.parent_id,
                author_id=c.author_id,
                author_name=c.author_name,
                text=c.text,
                created_at=c.created_at,
                kind=c.kind,
                echo=is_echo(c.author_id, me, False),
            )
            eid = comment_event_id(account.platform, c.comment_id)
            key = comment_key(account.platform, c.comment_id)
            items.append((key, registry.envelope(ev, source=SOURCE, subject=p.platform_post_id, id=eid)))
    try:
        messages = await client.list_messages(account, now - s.lookback)
    except x.ScopeMissing:
        messages = []  # an account connected without messaging: its comments are swept all the same
    except x.AuthExpired:
        raise
    except x.PlatformError as err:  # the conversations failed: the comments found are sent all the same
        log.warning("inbox sweep of %s's conversations: %s", account_id, err)
        messages = []
    for m in messages:
        ev2 = e.MessageReceived(
            platform=account.platform,  # type: ignore[arg-type]
            account_id=account_id,
            site_id=posts[0].site_id,
            conversation_id=m.conversation_id,
            message_id=m.message_id,
            sender_id=m.sender_id,
            sender_name=m.sender_name,
            text=m.text,
            created_at=m.created_at,
            echo=is_echo(m.sender_id, me, False),
        )
        eid = message_event_id(account.platform, m.message_id)
        items.append((m.conversation_id, registry.envelope(ev2, source=SOURCE, subject=m.conversation_id, id=eid)))
    if items:
        await send_all(s.out, t.INBOX, items)
    return len(items)


def register(agent: Agent) -> None:
    d = agent.deps
    s = Sweeping(published=d.published, tokens=d.tokens, platforms=d.platforms, out=agent.producer)

    async def tick() -> None:
        await sweep(s)

    agent.every(d.settings.inbox_sweep_seconds, "sweep.inbox", tick, on_leader=True)
