"""The inbox's rules: what a reply may be before any call is made, when a queued one may go, and
which inbox items are our own (echoes). Pure: the clock and what is known of the thread are
arguments; each platform's numbers are its :class:`~domain.platforms.MessagingRules`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.platforms import Budget, MessagingRules, profile
from schemas.envelope import derived_id

__all__ = ["Refusal", "Thread", "check", "comment_event_id", "is_echo", "item_id", "message_event_id", "next_slot", "rules_for"]


@dataclass(frozen=True)
class Refusal:
    """Why a reply is refused before any call: ``code`` names the rule, ``reason`` says it to a person."""

    code: str
    reason: str


@dataclass(frozen=True)
class Thread:
    """What is known of the item a reply answers. ``kind``: comment, mention, story_reply or message;
    ``created_at``: the item's; ``last_inbound_at``: the user's last message in the conversation;
    ``private_replies``: private replies already sent or on their way to this comment; ``own``: the
    item is the account's own (an echo)."""

    kind: str
    created_at: datetime
    last_inbound_at: datetime | None = None
    private_replies: int = 0
    own: bool = False


def rules_for(platform: str) -> MessagingRules | None:
    return profile(platform).messaging


def check(platform: str, action: str, text: str, thread: Thread, now: datetime) -> Refusal | None:
    """The first rule ``action`` (reply, private_reply, message, hide) on ``thread`` breaks, or None."""
    rules = rules_for(platform)
    if rules is None or action not in rules.actions:
        return Refusal("action_unsupported", f"{platform} does not let an app {action.replace('_', ' ')} through its API")
    if thread.own:
        return Refusal("own_item", "this is the account's own message: it is never answered")
    is_message = thread.kind == "message"
    if action == "message" and not is_message:
        return Refusal("not_a_message", "a direct message answers a conversation; reply to a comment publicly or privately")
    if action in ("reply", "private_reply", "hide") and is_message:
        return Refusal("not_a_comment", f"a {action.replace('_', ' ')} is for a comment; answer a message with a message")
    if action != "hide":
        if not text.strip():
            return Refusal("text_empty", "the reply has no text")
        limit = rules.text.get(action)
        if limit is not None and limit.measure(text) > limit.n:
            return Refusal(
                "text_too_long", f"{platform} takes at most {limit.n} {limit.unit} here; this text has {limit.measure(text)} {limit.unit}"
            )
    if action == "private_reply":
        if rules.private_reply_days is not None and now - thread.created_at > timedelta(days=rules.private_reply_days):
            return Refusal(
                "private_reply_window_closed",
                f"a private reply must be sent within {rules.private_reply_days:g} days of the comment; this one is"
                f" {(now - thread.created_at).days} days old",
            )
        if thread.private_replies >= rules.private_replies_per_comment:
            return Refusal("private_reply_already_sent", "a comment takes one private reply, and this one has it")
    if action == "message" and rules.window_hours is not None:
        opened = thread.last_inbound_at
        if opened is None or now - opened > timedelta(hours=rules.window_hours):
            return Refusal(
                "outside_messaging_window",
                f"{platform} allows messages only within {rules.window_hours:g} hours of the person's last message",
            )
    return None


def next_slot(budgets: Sequence[Budget], planned: Iterable[datetime], now: datetime) -> datetime:
    """When one more send may go: not before ``now`` nor before the last send already queued (the
    queue is first come, first served), and at a time where every window still has room. ``planned``
    are the account's sends of this kind, made or queued; a send at ``t`` counts in ``(t - seconds, t]``,
    so a full window frees a place when its oldest entry leaves."""
    times = sorted(planned)
    t = max([now, *times]) if budgets else now
    moved = True
    while moved:
        moved = False
        for b in budgets:
            window = timedelta(seconds=b.seconds)
            inside = [x for x in times if t - window < x <= t]
            if len(inside) >= b.sends:
                t = inside[len(inside) - b.sends] + window
                moved = True
    return t


def is_echo(author_id: str, account_platform_id: str, flagged: bool) -> bool:
    """Our own message coming back: flagged by the platform (``is_echo``), or written by the account."""
    return flagged or (bool(author_id) and author_id == account_platform_id)


def meta_thread(account_id: str, user_id: str) -> str:
    """A Messenger or Instagram conversation as its webhooks and its listing both name it: the
    account's id and the person's. A webhook carries only sender and recipient, never the listing's
    conversation id (``t_…``), so the listing's messages are named this way too: one thread, one
    partition, whichever way a message arrived."""
    return f"{account_id}-{user_id}"


def comment_key(platform: str, comment_id: str) -> str:
    """The partition key of a comment's events: the comment itself, however it arrived. Every delivery
    of one comment (a webhook with or without its post, the sweep) lands in one partition in the order
    it came, so a replay folds them as the live projector did (the first delivery makes the row)."""
    return f"{platform}:comment:{comment_id}"


def comment_event_id(platform: str, comment_id: str) -> str:
    """The event id of a comment, however it arrived (webhook, sweep): one comment, one event."""
    return derived_id(platform, "comment", comment_id)


def message_event_id(platform: str, message_id: str) -> str:
    return derived_id(platform, "message", message_id)


def item_id(platform: str, kind: str, platform_item_id: str) -> str:
    """The inbox item's id: the event id of the comment or message it is."""
    return message_event_id(platform, platform_item_id) if kind == "message" else comment_event_id(platform, platform_item_id)
