"""The inbox's rules before any call (7 days, the 24-hour window, bytes, budgets and the queue's
times), the reply decider, and echo recognition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from commands import reply
from domain.inbox import Thread, check, comment_event_id, is_echo, item_id, next_slot
from domain.platforms import Budget, profile
from domain.publishing import Policy

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
COMMENT = Thread(kind="comment", created_at=NOW - timedelta(hours=1))


def _cmd(action: str = "reply", text: str = "Thanks!", key: str | None = "k1", platform: str = "instagram") -> reply.RequestReply:
    return reply.RequestReply(
        site_id="s",
        account_id="a1",
        platform=platform,
        item_id="i1",
        thread="p1",
        action=action,
        text=text,
        target={"comment_id": "c1"},
        idempotency_key=key,
    )


def test_a_private_reply_to_a_comment_older_than_seven_days_is_refused_with_the_reason() -> None:
    old = Thread(kind="comment", created_at=NOW - timedelta(days=8))
    refusal = check("instagram", "private_reply", "hello", old, NOW)
    assert refusal is not None and refusal.code == "private_reply_window_closed"
    assert "7 days" in refusal.reason and "8 days old" in refusal.reason
    assert check("instagram", "private_reply", "hello", Thread(kind="comment", created_at=NOW - timedelta(days=6, hours=23)), NOW) is None


def test_a_comment_takes_one_private_reply() -> None:
    replied = Thread(kind="comment", created_at=NOW - timedelta(hours=1), private_replies=1)
    refusal = check("facebook", "private_reply", "hi", replied, NOW)
    assert refusal is not None and refusal.code == "private_reply_already_sent"


def test_a_meta_dm_goes_only_inside_the_24_hour_window_the_user_opened() -> None:
    open_ = Thread(kind="message", created_at=NOW - timedelta(hours=23), last_inbound_at=NOW - timedelta(hours=23))
    closed = Thread(kind="message", created_at=NOW - timedelta(hours=25), last_inbound_at=NOW - timedelta(hours=25))
    assert check("instagram", "message", "hi", open_, NOW) is None
    refusal = check("instagram", "message", "hi", closed, NOW)
    assert refusal is not None and refusal.code == "outside_messaging_window" and "24 hours" in refusal.reason


def test_x_has_no_window_but_no_private_replies_either() -> None:
    stale = Thread(kind="message", created_at=NOW - timedelta(days=3), last_inbound_at=NOW - timedelta(days=3))
    assert check("x", "message", "hi", stale, NOW) is None
    refusal = check("x", "private_reply", "hi", COMMENT, NOW)
    assert refusal is not None and refusal.code == "action_unsupported"
    assert profile("x").messaging is not None and profile("x").messaging.dm_needs_permission  # type: ignore[union-attr]


def test_instagram_dm_text_is_counted_in_bytes() -> None:
    thread = Thread(kind="message", created_at=NOW, last_inbound_at=NOW)
    assert check("instagram", "message", "a" * 1000, thread, NOW) is None
    emoji = "\N{GRINNING FACE}" * 251  # 4 bytes each: 1,004 bytes in 251 characters
    refusal = check("instagram", "message", emoji, thread, NOW)
    assert refusal is not None and refusal.code == "text_too_long" and "1004 bytes" in refusal.reason


def test_our_own_comment_is_never_answered() -> None:
    own = Thread(kind="comment", created_at=NOW, own=True)
    refusal = check("facebook", "reply", "hi", own, NOW)
    assert refusal is not None and refusal.code == "own_item"


def test_with_room_in_the_budget_a_reply_goes_now() -> None:
    budgets = profile("instagram").messaging.budgets["private_reply"]  # type: ignore[union-attr]
    assert budgets == (Budget(750, 3600.0),)
    planned = [NOW - timedelta(minutes=i) for i in range(749)]
    assert next_slot(budgets, planned, NOW) == NOW


def test_a_spent_budget_queues_the_reply_until_the_oldest_send_leaves_the_window() -> None:
    budgets = (Budget(750, 3600.0),)
    first = NOW - timedelta(minutes=50)
    planned = [first + timedelta(seconds=i) for i in range(750)]
    assert next_slot(budgets, planned, NOW) == first + timedelta(hours=1)


def test_the_queue_drains_at_the_budget_in_order() -> None:
    """X DMs: 200 per 15 minutes and 1,000 a day. 1,200 asked at once: 200 now, 200 every 15 minutes
    until the day's 1,000, then the rest when the first of the day leaves the 24 hours."""
    budgets = profile("x").messaging.budgets["message"]  # type: ignore[union-attr]
    planned: list[datetime] = []
    for _ in range(1200):
        planned.append(next_slot(budgets, planned, NOW))
    assert planned[199] == NOW and planned[200] == NOW + timedelta(minutes=15)
    assert planned[999] == NOW + timedelta(minutes=60) and planned[1000] == NOW + timedelta(days=1)
    assert planned == sorted(planned)


def test_a_new_reply_is_recorded_queued_with_its_time() -> None:
    d = reply.decide(None, _cmd(), COMMENT, [], NOW)
    assert isinstance(d, reply.Accepted)
    assert d.event.go_at == NOW and d.event.reply_id == d.attempt.effect_id
    assert d.attempt.state == "retry" and d.attempt.next_try_at == NOW  # nothing sent: one create is safe


def test_the_same_request_again_is_the_same_reply_and_another_one_with_its_key_is_refused() -> None:
    first = reply.decide(None, _cmd(), COMMENT, [], NOW)
    assert isinstance(first, reply.Accepted)
    again = reply.decide(first.attempt, _cmd(), COMMENT, [], NOW + timedelta(seconds=3))
    assert isinstance(again, reply.Same) and again.attempt is first.attempt
    other = reply.decide(first.attempt, _cmd(text="Something else"), COMMENT, [], NOW)
    assert isinstance(other, reply.Refused) and other.status == 409


def test_without_a_key_the_same_text_to_the_same_item_is_one_reply() -> None:
    assert reply.reply_id("i1", "reply", "hi", None) == reply.reply_id("i1", "reply", "hi", None)
    assert reply.reply_id("i1", "reply", "hi", None) != reply.reply_id("i1", "reply", "hello", None)
    assert reply.reply_id("i1", "reply", "hi", "a") != reply.reply_id("i1", "reply", "hi", "b")


def test_a_broken_rule_is_a_422_and_records_nothing() -> None:
    old = Thread(kind="comment", created_at=NOW - timedelta(days=9))
    d = reply.decide(None, _cmd(action="private_reply"), old, [], NOW)
    assert isinstance(d, reply.Refused) and d.status == 422 and d.refusal.code == "private_reply_window_closed"


def test_a_timed_out_reply_is_looked_up_and_a_found_one_is_sent_once() -> None:
    from commands import publish as attempt

    policy = Policy(lease=timedelta(seconds=30), reconcile_delay=timedelta(seconds=1), max_tries=5)
    a = reply.decide(None, _cmd(), COMMENT, [], NOW)
    assert isinstance(a, reply.Accepted)
    unknown, events = reply.outcome(a.attempt, attempt.Unknown("timeout"), NOW, policy)
    assert unknown.state == "unknown" and events == [] and attempt.must_look_up(unknown)
    found, events = reply.outcome(unknown, attempt.Found("r9"), NOW + timedelta(seconds=2), policy)
    assert found.state == "published" and found.reconciled
    [sent] = events
    assert sent.platform_reply_id == "r9" and sent.reconciled  # type: ignore[attr-defined]
    late, more = reply.outcome(found, attempt.Created("r10"), NOW + timedelta(seconds=3), policy)
    assert late == found and more == []


def test_echoes_are_recognised_by_flag_or_by_author() -> None:
    assert is_echo("u1", "acct", flagged=True)
    assert is_echo("acct", "acct", flagged=False)
    assert not is_echo("u1", "acct", flagged=False)
    assert not is_echo("", "", flagged=False)


def test_an_item_is_named_by_its_platform_id_whatever_delivered_it() -> None:
    assert item_id("instagram", "comment", "c1") == comment_event_id("instagram", "c1") == item_id("instagram", "mention", "c1")
    assert item_id("instagram", "message", "c1") != item_id("instagram", "comment", "c1")
