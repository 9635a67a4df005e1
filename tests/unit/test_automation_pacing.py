"""Automation sends paced under the platform's budgets, the daily cap, jitter and dedupe, with a
fake clock: a burst of 5,000 matching Instagram comments within one minute drains through the
750-an-hour private-reply budget without ever exceeding it, nearly as fast as it allows, and every
comment ends queued or skipped with a reason."""

from __future__ import annotations

import bisect
import math
import random
from datetime import UTC, datetime, timedelta

from domain.automation.pacing import Go, Sends, Skip, jitter, pace
from schemas.automations import Pacing
from schemas.envelope import derived_id

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
BUDGET = 750  # Instagram private replies an hour per account (domain.platforms.INSTAGRAM_MESSAGING)


def _burst(n: int, pacing: Pacing, seed: int = 5) -> tuple[list[datetime], list[tuple[str, Skip]]]:
    """Each comment paced when it arrives (the clock at its arrival), against what was queued before it."""
    rng = random.Random(seed)
    arrivals = sorted(T0 + timedelta(seconds=rng.uniform(0, 60)) for _ in range(n))
    queued: list[datetime] = []
    skipped: list[tuple[str, Skip]] = []
    for i, at in enumerate(arrivals):
        rid = derived_id("burst", str(i))
        got = pace(
            platform="instagram",
            action="private_reply",
            reply_id=rid,
            pacing=pacing,
            sends=Sends(planned=queued[-BUDGET:], automated=queued[-(pacing.daily_cap or 1) :]),
            now=at,
            comment_at=at,
        )
        if isinstance(got, Go):
            assert got.go_at >= at
            bisect.insort(queued, got.go_at)
        else:
            skipped.append((rid, got))
    return queued, skipped


def _most_in_an_hour(times: list[datetime]) -> int:
    """The most sends in any sliding hour (a send at t counts in (t - 1 h, t], as the budget counts)."""
    most, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - HOUR:
            lo += 1
        most = max(most, hi - lo + 1)
    return most


def test_a_burst_of_5000_comments_never_exceeds_750_private_replies_in_any_hour_and_drains_at_the_budget() -> None:
    n = 5000
    queued, skipped = _burst(n, Pacing(jitter_min_seconds=1, jitter_max_seconds=3))
    # Every comment ends queued or skipped with a reason: none silently dropped (here all fit the 7 days).
    assert len(queued) + len(skipped) == n and not skipped
    assert _most_in_an_hour(queued) == BUDGET  # never more, and the budget is used to the full
    # The drain: ceil(5000 / 750) = 7 hourly windows. The first 750 go within the first hour
    # (1-3 s apart), then each hour frees 750 places: by the end of hour k, 750 * k have gone (the
    # target was at least 95 %; the queue uses the budget to the full), and all 5,000 within 7 hours
    # of the first comment (the last at about 6 h 17 min: 500 more, 1-3 s apart).
    hours = math.ceil(n / BUDGET)
    for k in range(1, hours):
        gone = sum(1 for t in queued if t < T0 + k * HOUR)
        assert gone >= 0.95 * BUDGET * k and gone == BUDGET * k, (k, gone)
    assert queued[-1] < T0 + hours * HOUR
    # ... and no faster than the budget allows: 5,000 needs more than 6 full windows.
    assert queued[-1] >= T0 + (hours - 1) * HOUR


def test_a_private_reply_whose_turn_comes_after_the_comments_seven_days_is_skipped_with_the_reason() -> None:
    now = T0
    old_comment = now - timedelta(days=7) + timedelta(minutes=30)
    full = [now - timedelta(minutes=10)] * BUDGET  # the hour's budget is spent: the next place frees in 50 min
    got = pace(
        platform="instagram",
        action="private_reply",
        reply_id="r1",
        pacing=Pacing(),
        sends=Sends(planned=full),
        now=now,
        comment_at=old_comment,
    )
    assert isinstance(got, Skip) and got.code == "private_reply_window_closed" and "private-reply window" in got.reason
    fresh = pace(
        platform="instagram", action="private_reply", reply_id="r1", pacing=Pacing(), sends=Sends(planned=full), now=now, comment_at=now
    )
    assert isinstance(fresh, Go) and fresh.go_at == now + timedelta(minutes=50)


def test_a_dm_past_the_persons_24_hour_window_is_skipped_not_queued() -> None:
    wrote = T0 - timedelta(hours=23, minutes=59)
    cap = Pacing(daily_cap=10)
    day = [T0 - timedelta(hours=1)] * 10  # the automation's ten sends of the day are spent
    got = pace(platform="facebook", action="message", reply_id="m", pacing=cap, sends=Sends(automated=day), now=T0, last_inbound_at=wrote)
    assert isinstance(got, Skip) and got.code == "daily_cap" and "10 sends a day" in got.reason
    no_cap = pace(
        platform="facebook", action="message", reply_id="m", pacing=Pacing(), sends=Sends(automated=day), now=T0, last_inbound_at=wrote
    )
    assert isinstance(no_cap, Go) and no_cap.go_at == T0


def test_the_daily_cap_queues_a_send_for_when_the_days_oldest_send_leaves_the_window() -> None:
    sent = [T0 - timedelta(hours=20) + timedelta(minutes=i) for i in range(3)]
    got = pace(platform="x", action="reply", reply_id="q", pacing=Pacing(daily_cap=3), sends=Sends(automated=sent), now=T0)
    assert isinstance(got, Go) and got.go_at == sent[0] + timedelta(days=1)


def test_jitter_is_drawn_within_its_bounds_the_same_for_the_same_reply() -> None:
    draws = [jitter(f"reply-{i}", 2, 8) for i in range(500)]
    assert all(2 <= d <= 8 for d in draws) and max(draws) - min(draws) > 5  # spread over the range
    assert jitter("reply-7", 2, 8) == draws[7]
    got = pace(
        platform="x",
        action="reply",
        reply_id="reply-7",
        pacing=Pacing(jitter_min_seconds=2, jitter_max_seconds=8),
        sends=Sends(automated=[T0]),
        now=T0,
    )
    assert isinstance(got, Go) and got.go_at == T0 + timedelta(seconds=draws[7])


def test_a_second_send_of_a_step_to_the_same_person_is_skipped_as_a_duplicate() -> None:
    got = pace(
        platform="instagram", action="private_reply", reply_id="d", pacing=Pacing(dedupe_days=7), sends=Sends(duplicate=True), now=T0
    )
    assert isinstance(got, Skip) and got.code == "deduplicated" and "7 days" in got.reason
