"""Queues (issue 25): a rule keeps its local time across daylight-saving changes, a bad rule or zone
is refused naming its field, FIFO with a priority override, evergreen never the same text twice in a
row and never closer than its gap; the writer decides once; the timer fires an occurrence once and
the post it becomes has one id however often it is delivered."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.kafka import MemoryProducer
from adapters.outcomes import MemoryOutcomes
from adapters.post_states import Outcome
from adapters.queues import BestPost, MemoryEngagements, MemoryQueueStates
from commands import queues as decider
from commands.exceptions import InvalidContent, InvalidTransition, QueueNotFound, VersionConflict
from domain.queues import Candidate, InvalidRule, Item, best_candidate, gap_ok, next_item, recurrence
from projections.queues import QUEUES
from schemas import commands as c
from schemas import events as e
from schemas import topics as t
from schemas.registry import registry
from streams import enqueue, recur

BERLIN = ZoneInfo("Europe/Berlin")
WEEKLY_9 = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0"


def at(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)  # type: ignore[misc]


# ---------------------------------------------------------------- the rules
def test_a_weekly_nine_oclock_in_berlin_stays_at_nine_across_the_march_change() -> None:
    rule = recurrence(WEEKLY_9, "Europe/Berlin", at(2026, 3, 1))
    found = rule.between(at(2026, 3, 15), at(2026, 4, 7))  # the clocks go forward on Sunday 29 March
    assert found == [at(2026, 3, 16, 8), at(2026, 3, 23, 8), at(2026, 3, 30, 7), at(2026, 4, 6, 7)]
    assert {(o.astimezone(BERLIN).hour, o.astimezone(BERLIN).minute) for o in found} == {(9, 0)}


def test_a_weekly_nine_oclock_in_berlin_stays_at_nine_across_the_october_change() -> None:
    rule = recurrence("RRULE:" + WEEKLY_9, "Europe/Berlin", at(2026, 10, 1))
    found = rule.between(at(2026, 10, 12), at(2026, 11, 3))  # the clocks go back on Sunday 25 October
    assert found == [at(2026, 10, 12, 7), at(2026, 10, 19, 7), at(2026, 10, 26, 8), at(2026, 11, 2, 8)]
    assert {o.astimezone(BERLIN).strftime("%a %H:%M") for o in found} == {"Mon 09:00"}
    assert rule.next_after(at(2026, 10, 19, 7)) == at(2026, 10, 26, 8)


@pytest.mark.parametrize(
    ("rule", "tzid", "field"),
    [
        ("FREQ=FORTNIGHTLY", "Europe/Berlin", "rrule"),
        ("FREQ=MINUTELY", "Europe/Berlin", "rrule"),
        ("DTSTART=20260101T000000;FREQ=DAILY", "Europe/Berlin", "rrule"),
        ("FREQ=DAILY;COUNT=1;UNTIL=20200101T000000", "Europe/Berlin", "rrule"),
        ("", "Europe/Berlin", "rrule"),
        ("FREQ=DAILY;INTERVAL=0", "Europe/Berlin", "rrule"),
        ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30", "Europe/Berlin", "rrule"),  # never: refused without an hour-by-hour search to 9999
        ("FREQ=HOURLY;BYSECOND=99", "Europe/Berlin", "rrule"),
        ("FREQ=DAILY", "Europe/Atlantis", "tzid"),
        ("FREQ=DAILY", "Europe", "tzid"),
        ("FREQ=DAILY", "../etc/passwd", "tzid"),
    ],
)
def test_a_bad_rule_or_zone_is_refused_naming_its_field(rule: str, tzid: str, field: str) -> None:
    with pytest.raises(InvalidRule) as err:
        recurrence(rule, tzid, at(2026, 3, 1))
    assert err.value.field == field and err.value.detail


def test_a_start_without_an_offset_is_refused() -> None:
    with pytest.raises(InvalidRule) as err:
        recurrence("FREQ=DAILY", "UTC", datetime(2026, 3, 1))  # noqa: DTZ001 - the mistake under test
    assert err.value.field == "starts_at"


def test_fifo_with_a_priority_override() -> None:
    items = [
        Item("a", "first", 0),
        Item("b", "second", 1),
        Item("c", "urgent", 2, priority=True),
        Item("d", "later urgent", 3, priority=True),
    ]
    assert next_item(items) == items[2]
    assert next_item(items[:2]) == items[0]
    assert next_item([]) is None


def test_evergreen_takes_the_best_but_never_the_same_text_twice_in_a_row() -> None:
    cands = [Candidate("p1", "Good", 10), Candidate("p2", "Best", 50), Candidate("p3", "Also best", 50)]
    assert best_candidate(cands, None) == cands[1]  # ties go to the lower post id
    assert best_candidate(cands, "Best") == cands[2]
    assert best_candidate([Candidate("p2", "Best", 50)], " Best ") is None
    assert gap_ok(None, at(2026, 1, 1), timedelta(hours=48))
    assert not gap_ok(at(2026, 1, 1), at(2026, 1, 2), timedelta(hours=48))
    assert gap_ok(at(2026, 1, 1), at(2026, 1, 3), timedelta(hours=48))


# ---------------------------------------------------------------- the decider
NOW = at(2026, 3, 1, 12)


def cmd(n: int, qid: str = "q1", site: str = "s1", expected: int | None = None, **action: object) -> c.DecideQueue:
    return c.DecideQueue(command_id=f"cmd-{n}", queue_id=qid, site_id=site, expected_version=expected, **action)  # type: ignore[arg-type]


def run(state: decider.Queue | None, command: c.DecideQueue, now: datetime = NOW) -> tuple[decider.Queue | None, list[e.Event]]:
    events = decider.handle(state, command, now)
    for ev in events:
        state = decider.fold(state, ev)
    return state, events


def created(kind: str = "fifo", **more: object) -> decider.Queue:
    action = c.CreateQueue(account_id="acc-x", kind=kind, rrule=WEEKLY_9, tzid="Europe/Berlin", **more)  # type: ignore[arg-type]
    q, _ = run(None, cmd(0, platform="x", create=action))
    assert q is not None
    return q


def test_create_checks_the_rule_and_an_evergreen_queue_names_its_article() -> None:
    bad = c.CreateQueue(account_id="acc-x", rrule="FREQ=DAILY", tzid="Mars/Olympus")
    with pytest.raises(InvalidContent) as err:
        decider.handle(None, cmd(1, platform="x", create=bad), NOW)
    assert err.value.field == "tzid"
    evergreen = c.CreateQueue(account_id="acc-x", kind="evergreen", rrule=WEEKLY_9, tzid="Europe/Berlin")
    with pytest.raises(InvalidContent) as err:
        decider.handle(None, cmd(2, platform="x", create=evergreen), NOW)
    assert err.value.field == "content_id"
    q = created()
    assert (q.status, q.version, q.starts_at, q.platform) == ("active", 1, NOW, "x")
    with pytest.raises(InvalidTransition):
        decider.handle(q, cmd(3, platform="x", create=c.CreateQueue(account_id="a", rrule=WEEKLY_9, tzid="UTC")), NOW)
    with pytest.raises(QueueNotFound):
        decider.handle(q, cmd(4, site="s2", pause=c.PauseQueue()), NOW)


def test_occurrences_post_priority_first_then_in_order_each_once() -> None:
    q: decider.Queue | None = created()
    for n, (item, prio) in enumerate([("a", False), ("b", False), ("c", True)], start=1):
        q, _ = run(q, cmd(n, add=c.AddQueueItem(item_id=item, text=f"text {item}", priority=prio)))
    assert q is not None and q.version == 4
    with pytest.raises(InvalidTransition):
        decider.handle(q, cmd(9, add=c.AddQueueItem(item_id="a", text="again")), NOW)
    with pytest.raises(VersionConflict):
        decider.handle(q, cmd(9, expected=1, pause=c.PauseQueue()), NOW)
    q, _ = run(q, cmd(5, expected=4, prioritise=c.PrioritiseQueueItem(item_id="b")))  # b ahead of a; among priority items, arrival order
    posted = []
    for week in range(4):
        occurrence = at(2026, 3, 2, 8) + timedelta(weeks=week)
        q, events = run(q, cmd(10 + week, fire=c.FireOccurrence(occurrence=occurrence)))
        [ev] = events
        posted.append(ev.item_id if isinstance(ev, e.QueueOccurrenceFired) else getattr(ev, "reason", ""))
        again, _ = run(q, cmd(20 + week, fire=c.FireOccurrence(occurrence=occurrence)))  # a second tick
        assert decider.handle(q, cmd(20 + week, fire=c.FireOccurrence(occurrence=occurrence)), NOW) == [] and again == q
    assert posted == ["b", "c", "a", "empty"]
    assert q is not None and q.posted == 3 and q.version == 5  # firing never makes a person's If-Match stale


def test_the_post_id_is_the_queue_and_the_occurrence() -> None:
    q = created()
    q2, [ev] = run(
        decider.fold(q, e.QueueItemAdded(queue_id="q1", site_id="s1", item_id="a", text="hi")),
        cmd(5, fire=c.FireOccurrence(occurrence=at(2026, 3, 2, 8))),
    )
    assert isinstance(ev, e.QueueOccurrenceFired)
    assert ev.post_id == decider.post_id_of("q1", at(2026, 3, 2, 8)) == decider.post_id_of("q1", at(2026, 3, 2, 8).astimezone(BERLIN))
    assert ev.post_id != decider.post_id_of("q1", at(2026, 3, 9, 8)) and ev.post_id != decider.post_id_of("q2", at(2026, 3, 2, 8))
    assert q2 is not None and decider.from_json(decider.to_json(q2)) == q2


def test_a_paused_queue_fires_nothing_and_resumes_without_catching_up() -> None:
    q: decider.Queue | None = created()
    q, _ = run(q, cmd(1, add=c.AddQueueItem(item_id="a", text="hello")))
    q, _ = run(q, cmd(2, pause=c.PauseQueue()))
    with pytest.raises(InvalidTransition):
        decider.handle(q, cmd(3, pause=c.PauseQueue()), NOW)
    assert decider.handle(q, cmd(4, fire=c.FireOccurrence(occurrence=at(2026, 3, 2, 8))), NOW) == []
    q, _ = run(q, cmd(5, resume=c.ResumeQueue()), now=at(2026, 3, 10))
    assert q is not None and q.since == at(2026, 3, 10)
    assert decider.handle(q, cmd(6, fire=c.FireOccurrence(occurrence=at(2026, 3, 9, 8))), NOW) == []  # missed while paused
    [fired] = decider.handle(q, cmd(7, fire=c.FireOccurrence(occurrence=at(2026, 3, 16, 8))), NOW)
    assert isinstance(fired, e.QueueOccurrenceFired) and fired.text == "hello"


def test_evergreen_reposts_the_best_with_a_gap_and_never_the_same_text_twice_in_a_row() -> None:
    q: decider.Queue | None = created("evergreen", content_id="article-1", min_gap_hours=24 * 8)
    with pytest.raises(InvalidContent):
        decider.handle(q, cmd(1, add=c.AddQueueItem(item_id="a", text="x")), NOW)
    cands = [
        c.EvergreenCandidate(post_id="p1", text="Read this", score=40),
        c.EvergreenCandidate(post_id="p2", text="Best one", score=90),
    ]
    texts = []
    for week in range(5):
        q, events = run(q, cmd(10 + week, fire=c.FireOccurrence(occurrence=at(2026, 3, 2, 8) + timedelta(weeks=week), candidates=cands)))
        [ev] = events
        texts.append(ev.text if isinstance(ev, e.QueueOccurrenceFired) else getattr(ev, "reason", ""))
    # a post every other week (the gap is 8 days), the best first, never twice in a row
    assert texts == ["Best one", "gap", "Read this", "gap", "Best one"]
    q, [skip] = run(q, cmd(20, fire=c.FireOccurrence(occurrence=at(2026, 5, 4, 7), candidates=cands[1:])))
    assert isinstance(skip, e.QueueOccurrenceSkipped) and skip.reason == "no_candidate"


# ---------------------------------------------------------------- the writer and the timer
def envelope(command: c.DecideQueue) -> bytes:
    return registry.envelope(command, source="tests", subject=command.queue_id).encode()


async def test_the_writer_decides_once_and_the_timer_fires_an_occurrence_into_one_post() -> None:
    states, out = MemoryQueueStates(), MemoryProducer()
    clock = [at(2026, 3, 2, 7, 55)]
    w = enqueue.Enqueuing(states=states, out=out, clock=lambda: clock[0])
    action = c.CreateQueue(account_id="acc-x", rrule=WEEKLY_9, tzid="Europe/Berlin", starts_at=at(2026, 3, 1))
    made = await enqueue.decide(registry.decode(envelope(cmd(1, platform="x", create=action))), w)
    assert (made.status, made.body["status"], made.body["version"]) == (202, "active", 1)
    added = await enqueue.decide(registry.decode(envelope(cmd(2, add=c.AddQueueItem(item_id="a", text="Monday post")))), w)
    assert (
        added.body["items"] == 1
        and await enqueue.decide(registry.decode(envelope(cmd(2, add=c.AddQueueItem(item_id="a", text="Monday post")))), w) == added
    )
    refused = await enqueue.decide(registry.decode(envelope(cmd(3, qid="q9", pause=c.PauseQueue()))), w)
    assert refused.status == 404 and refused.body["field"] == "queue_id"

    r = recur.Recurring(states, MemoryEngagements(), out, lead=timedelta(minutes=10), clock=lambda: clock[0])
    assert await recur.tick(r) == 1 and await recur.tick(r) == 1  # due in 5 minutes: sent (twice, the same command)
    fires = [m for m in out.messages(t.QUEUE_COMMANDS)]
    assert len(fires) == 2 and fires[0] == fires[1]
    for message in [m for k, m in out.sent if k == t.QUEUE_COMMANDS]:
        await enqueue.decide(message.decoded(), w)
    [fired] = [m for m in out.messages(t.QUEUES) if isinstance(m, e.QueueOccurrenceFired)]
    assert fired.occurrence == at(2026, 3, 2, 8) and fired.item_id == "a"
    assert await recur.tick(r) == 0  # done: nothing more due before 08:05

    for topic, message in list(out.sent):  # its own events back from the log: not folded twice
        if topic == t.QUEUES:
            await enqueue.fold(message.decoded(), w)
    assert decider.from_json(states.rows["q1"].state or {}).posted == 1

    fired_env = [m for k, m in out.sent if k == t.QUEUES and isinstance(m.decoded().message, e.QueueOccurrenceFired)][0]
    first = await recur.post(fired_env.decoded(), r)
    clock[0] = at(2026, 3, 2, 9)  # redelivered after a restart, an hour later
    second = await recur.post(fired_env.decoded(), r)
    assert first is not None and second is not None
    assert (first.post_id, first.command_id) == (second.post_id, second.command_id) == (fired.post_id, first.command_id)
    assert first.create is not None and first.create.schedule is not None
    assert first.create.schedule.scheduled_at == at(2026, 3, 2, 8) and first.create.text == "Monday post" and first.platform == "x"


async def test_an_evergreen_tick_reads_the_articles_best_posts() -> None:
    states, out = MemoryQueueStates(), MemoryProducer()
    w = enqueue.Enqueuing(states=states, out=out, clock=lambda: at(2026, 3, 1))
    action = c.CreateQueue(account_id="acc-x", kind="evergreen", content_id="art", rrule="FREQ=DAILY;BYHOUR=9;BYMINUTE=0", tzid="UTC")
    await enqueue.decide(registry.decode(envelope(cmd(1, platform="x", create=action))), w)
    best = MemoryEngagements(
        [
            ("art", "x", BestPost("p1", "Fine", 3)),
            ("art", "x", BestPost("p2", "Great", 30)),
            ("art", "linkedin", BestPost("p3", "Other", 99)),
        ]
    )
    r = recur.Recurring(states, best, out, clock=lambda: at(2026, 3, 1, 8, 55))
    assert await recur.tick(r) == 1
    [fire] = out.messages(t.QUEUE_COMMANDS)
    assert isinstance(fire, c.DecideQueue) and fire.fire is not None
    assert [x.post_id for x in fire.fire.candidates] == ["p2", "p1"]


def test_a_queue_may_be_created_with_its_first_items() -> None:
    first = [c.AddQueueItem(item_id="a", text="one"), c.AddQueueItem(item_id="b", text="two", priority=True)]
    action = c.CreateQueue(account_id="acc-x", rrule=WEEKLY_9, tzid="UTC", items=first)
    q, events = run(None, cmd(1, platform="x", create=action))
    assert [type(ev).__name__ for ev in events] == ["QueueCreated", "QueueItemAdded", "QueueItemAdded"]
    assert q is not None and q.version == 3 and next_item(q.items) == Item("b", "two", 1, priority=True)
    twice = c.CreateQueue(account_id="acc-x", rrule=WEEKLY_9, tzid="UTC", items=[first[0], first[0]])
    with pytest.raises(InvalidContent) as err:
        decider.handle(None, cmd(2, platform="x", create=twice), NOW)
    assert err.value.field == "items"


def test_due_is_the_latest_occurrence_not_done_within_the_lead_and_none_before_the_start() -> None:
    q = decider.fold(
        None,
        e.QueueCreated(
            queue_id="q1",
            site_id="s1",
            account_id="a",
            platform="x",
            rrule="FREQ=HOURLY;BYMINUTE=0",
            tzid="UTC",
            starts_at=at(2026, 3, 1, 9, 0, 30),  # 09:00 is before the start: the first is 10:00
        ),
    )
    assert q is not None
    lead = timedelta(minutes=10)
    assert recur.due(q, at(2026, 3, 1, 9, 0, 40), lead) is None
    assert recur.due(q, at(2026, 3, 1, 9, 50), lead) == at(2026, 3, 1, 10)
    assert recur.due(q, at(2026, 3, 1, 13, 5), lead) == at(2026, 3, 1, 13)  # down for hours: the latest, not all of them
    done = decider.fold(q, e.QueueOccurrenceSkipped(queue_id="q1", site_id="s1", occurrence=at(2026, 3, 1, 13), reason="empty"))
    assert done is not None and recur.due(done, at(2026, 3, 1, 13, 5), lead) is None


async def test_a_paused_queue_is_not_looked_at_by_the_timer() -> None:
    states, out = MemoryQueueStates(), MemoryProducer()
    w = enqueue.Enqueuing(states=states, out=out, clock=lambda: at(2026, 3, 1))
    create = c.CreateQueue(
        account_id="acc-x", rrule="FREQ=DAILY;BYHOUR=9;BYMINUTE=0", tzid="UTC", items=[c.AddQueueItem(item_id="a", text="t")]
    )
    await enqueue.decide(registry.decode(envelope(cmd(1, platform="x", create=create))), w)
    await enqueue.decide(registry.decode(envelope(cmd(2, pause=c.PauseQueue()))), w)
    r = recur.Recurring(states, MemoryEngagements(), out, clock=lambda: at(2026, 3, 1, 8, 55))
    assert await recur.tick(r) == 0 and out.messages(t.QUEUE_COMMANDS) == []


def test_every_queue_event_becomes_a_statement_with_as_many_arguments_as_its_sql_takes() -> None:
    base = {"queue_id": "q1", "site_id": "s1"}
    events: list[e.Event] = [
        e.QueueCreated(**base, account_id="a", platform="x", rrule=WEEKLY_9, tzid="UTC", starts_at=NOW),
        e.QueueItemAdded(**base, item_id="i", text="t"),
        e.QueueItemPrioritised(**base, item_id="i", priority=True),
        e.QueuePaused(**base),
        e.QueueResumed(**base, since=NOW),
        e.QueueOccurrenceFired(**base, account_id="a", platform="x", occurrence=NOW, post_id="p", text="t", item_id="i"),
        e.QueueOccurrenceSkipped(**base, occurrence=NOW, reason="empty"),
    ]
    for ev in events:
        [(key, args)] = QUEUES.statements(registry.decode(registry.envelope(ev, source="tests", subject="q1").encode()))
        taken = max(int(n) for n in re.findall(r"\$(\d+)", QUEUES.render(key, {"queues": "queues"})))
        assert (taken, args[0]) == (len(args), "q1"), key


@pytest.mark.parametrize("rule", ["FREQ=WEEKLY", "RRULE:FREQ=DAILY", "FREQ=MONTHLY;BYMONTHDAY=1", "FREQ=HOURLY;INTERVAL=6"])
def test_a_rule_of_its_frequency_alone_or_with_parts_is_accepted(rule: str) -> None:
    start = datetime(2027, 1, 4, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    assert recurrence(rule, "Europe/Berlin", start).next_after(start) is not None


# ---------------------------------------------------------------- a post the posts' writer refuses
def refuse(post_id: str, occurrence: datetime, n: int = 30) -> c.DecideQueue:
    return cmd(n, refuse=c.RefuseOccurrence(occurrence=occurrence, post_id=post_id, code="too_long", reason="over 280", field="text"))


def test_a_refused_post_is_not_counted_and_its_item_comes_back_held_and_passed_over() -> None:
    q, _ = run(None, cmd(1, platform="x", create=c.CreateQueue(account_id="acc-x", rrule=WEEKLY_9, tzid="UTC", starts_at=at(2026, 3, 1))))
    q, _ = run(q, cmd(2, add=c.AddQueueItem(item_id="a", text="first")))
    # added before the add-time check knew what the writer refuses (the check now says 422: see below)
    q = decider.fold(q, e.QueueItemAdded(queue_id="q1", site_id="s1", item_id="b", text="x" * 300, priority=True))
    q, [fired] = run(q, cmd(4, fire=c.FireOccurrence(occurrence=at(2026, 3, 2, 9))))
    assert isinstance(fired, e.QueueOccurrenceFired) and fired.item_id == "b" and q is not None and q.posted == 1

    q, [refused] = run(q, refuse(fired.post_id, fired.occurrence))
    assert isinstance(refused, e.QueueOccurrenceRefused)
    assert (refused.item_id, refused.seq, refused.priority, refused.reason, refused.field) == ("b", 1, True, "over 280", "text")
    assert q is not None and q.posted == 0 and q.last_posted_at is None and q.since == at(2026, 3, 2, 9)  # the occurrence is done
    assert [(i.item_id, i.held) for i in q.items] == [("a", ""), ("b", "over 280")]
    assert decider.handle(q, refuse(fired.post_id, fired.occurrence, 31), NOW) == []  # told again: no news
    assert decider.from_json(decider.to_json(q)) == q

    q, [second] = run(q, cmd(5, fire=c.FireOccurrence(occurrence=at(2026, 3, 9, 9))))
    assert isinstance(second, e.QueueOccurrenceFired) and second.item_id == "a"  # the held item is passed over
    q, [third] = run(q, cmd(6, fire=c.FireOccurrence(occurrence=at(2026, 3, 16, 9))))
    assert isinstance(third, e.QueueOccurrenceSkipped) and third.reason == "empty"  # only a held item is left
    assert decider.handle(q, refuse("post-of-another-queue", at(2026, 3, 16, 9), 32), NOW) == []


def test_a_refused_evergreen_post_gives_its_gap_back() -> None:
    create = c.CreateQueue(
        account_id="acc-x",
        rrule="FREQ=DAILY;BYHOUR=9",
        tzid="UTC",
        starts_at=at(2026, 3, 1),
        kind="evergreen",
        content_id="art",
        min_gap_hours=48,
    )
    q, _ = run(None, cmd(1, platform="x", create=create))
    cands = [c.EvergreenCandidate(post_id="p1", text="best", score=9.0)]
    q, [fired] = run(q, cmd(2, fire=c.FireOccurrence(occurrence=at(2026, 3, 2, 9), candidates=cands)))
    assert isinstance(fired, e.QueueOccurrenceFired)
    q, [refused] = run(q, refuse(fired.post_id, fired.occurrence))
    assert isinstance(refused, e.QueueOccurrenceRefused) and refused.item_id is None
    assert q is not None and q.posted == 0 and q.last_posted_at is None and q.last_text is None
    q, [again] = run(q, cmd(3, fire=c.FireOccurrence(occurrence=at(2026, 3, 3, 9), candidates=cands)))
    assert isinstance(again, e.QueueOccurrenceFired)  # within 48 h of the refused one: that one never went


async def test_the_timer_waits_for_the_posts_writer_and_sends_a_refusal_back_to_the_queue() -> None:
    out, answers = MemoryProducer(), {}
    r = recur.Recurring(MemoryQueueStates(), MemoryEngagements(), out, MemoryOutcomes(answers), answer_seconds=0.05, clock=lambda: NOW)
    fired = e.QueueOccurrenceFired(
        queue_id="q1", site_id="s1", account_id="acc-x", platform="x", occurrence=NOW, post_id="post-q1", text="x" * 300, item_id="b"
    )
    decoded = registry.decode(registry.envelope(fired, source="tests", subject="q1").encode())
    with pytest.raises(TimeoutError):  # no answer yet: an outage, held and tried again
        await recur.post(decoded, r)
    sent = recur.post_command(fired, NOW)
    answers[sent.command_id] = Outcome(422, {"post_id": "post-q1", "code": "invalid_content", "detail": "X takes 280", "field": "text"})
    await recur.post(decoded, r)
    await recur.post(decoded, r)  # redelivered: the same refusal, which the writer answers once
    refusals = out.messages(t.QUEUE_COMMANDS)
    assert len(refusals) == 2 and refusals[0] == refusals[1]
    told = refusals[0]
    assert isinstance(told, c.DecideQueue) and told.refuse is not None
    assert (told.refuse.post_id, told.refuse.reason, told.refuse.field, told.refuse.code) == (
        "post-q1",
        "X takes 280",
        "text",
        "invalid_content",
    )

    answers[sent.command_id] = Outcome(202, {"post_id": "post-q1", "status": "scheduled"})
    await recur.post(decoded, r)
    assert len(out.messages(t.QUEUE_COMMANDS)) == 2  # accepted: nothing for the queue


def test_the_read_model_puts_a_refused_item_back_held_after_the_waiting_ones() -> None:
    refused = e.QueueOccurrenceRefused(
        queue_id="q1", site_id="s1", occurrence=NOW, post_id="p", item_id="b", text="long", seq=1, priority=True, reason="X takes 280"
    )
    [(name, params)] = QUEUES.statements(registry.decode(registry.envelope(refused, source="tests", subject="q1").encode()))
    assert name == "refused_item" and params[3:] == ("b", "long", None, 1, "X takes 280", True, [])
    bare = refused.model_copy(update={"item_id": None})
    [(name, _)] = QUEUES.statements(registry.decode(registry.envelope(bare, source="tests", subject="q1").encode()))
    assert name == "refused"


def test_an_item_its_post_would_be_refused_for_is_refused_as_it_is_added_naming_its_field() -> None:
    x = c.CreateQueue(account_id="acc-x", rrule=WEEKLY_9, tzid="UTC", starts_at=at(2026, 3, 1))
    with pytest.raises(InvalidContent) as err:
        run(
            None,
            cmd(
                1,
                platform="x",
                create=x.model_copy(
                    update={"items": [c.AddQueueItem(item_id="a", text="ok"), c.AddQueueItem(item_id="b", text="x" * 281)]}
                ),
            ),
        )
    assert err.value.field == "items[1].text" and "over x's 280" in err.value.detail
    q, _ = run(None, cmd(1, platform="x", create=x))
    with pytest.raises(InvalidContent) as err:
        decider.handle(q, cmd(2, add=c.AddQueueItem(item_id="a", text="x" * 281)), NOW)
    assert err.value.field == "text"
    link = "https://blog.example.com/2026/03/a-long-article-slug-about-queues-and-schedules"  # X counts a link as 23
    assert decider.handle(q, cmd(3, add=c.AddQueueItem(item_id="a", text="y" * 250, link_url=link)), NOW)

    ig, _ = run(None, cmd(1, qid="q2", platform="instagram", create=x.model_copy(update={"account_id": "acc-ig"})))
    with pytest.raises(InvalidContent) as err:
        decider.handle(ig, cmd(2, qid="q2", add=c.AddQueueItem(item_id="a", text="A photo")), NOW)
    assert err.value.field == "media_urls"
    ig, [added] = run(ig, cmd(3, qid="q2", add=c.AddQueueItem(item_id="a", text="A photo", media_urls=["https://img.example/a.jpg"])))
    assert ig is not None and ig.items[0].media_urls == ("https://img.example/a.jpg",)
    ig, [fired] = run(ig, cmd(4, qid="q2", fire=c.FireOccurrence(occurrence=at(2026, 3, 2, 9))))
    assert isinstance(fired, e.QueueOccurrenceFired) and fired.media_urls == ["https://img.example/a.jpg"]
    post = recur.post_command(fired, NOW)
    assert post.create is not None and post.create.media_urls == ["https://img.example/a.jpg"]  # the post carries its image
    assert decider.from_json(decider.to_json(ig)) == ig
