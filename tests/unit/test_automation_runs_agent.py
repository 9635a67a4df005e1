"""The automate agent with memory fakes: a matching comment starts a run whose private reply is sent
once (a redelivered trigger and a second worker make no second send), the automation's own replies
coming back never trigger it, a DM flow waits for the person's answer (and times out into its other
branch), a paused automation's runs end, a repeat send to a person is skipped as a duplicate, and a
failing webhook is recorded while the flow goes on."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.accounts import MemoryAccounts, MemoryTokens
from adapters.automation_runs import HookResult, MemoryAutomationRuns, MemoryAutomationSends, MemoryHooks
from adapters.automations import ActiveAutomation, MemoryAutomations
from adapters.kafka import MemoryProducer
from adapters.outbox import MemoryOutbox
from adapters.ports import OutgoingReply, PublishedRef, SeenComment, SeenMessage
from domain.accounts import Account
from domain.inbox import item_id
from domain.publishing import Policy
from schemas import events as e
from schemas import topics as t
from schemas.automations import Definition
from schemas.registry import Decoded, registry
from streams import answer, automate

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
ME = "ig-me"  # the account's own id on Instagram
ACCOUNT = Account(account_id="acct-ig", platform="instagram", platform_account_id=ME, handle="shop", site_id="site")


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)  # time moves between two readings, as it does
        return self.now


@dataclass
class FakeInbox:
    """Instagram as a responder: every call recorded, each reply a new platform id."""

    sent: list[OutgoingReply] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send_reply(self, account: Account, reply: OutgoingReply) -> PublishedRef:
        self.sent.append(reply)
        return PublishedRef(f"pr-{next(self.ids)}")

    async def find_reply(self, account: Account, reply: OutgoingReply, since: datetime) -> PublishedRef | None:
        return None

    async def list_comments(self, account: Account, post_id: str) -> list[SeenComment]:
        return []

    async def list_messages(self, account: Account, since: datetime) -> list[SeenMessage]:
        return []


@dataclass
class World:
    automations: MemoryAutomations
    runs: MemoryAutomationRuns
    sends: MemoryAutomationSends
    out: MemoryProducer
    platform: FakeInbox
    hooks: MemoryHooks
    clock: Clock

    def worker(self) -> automate.Automating:
        """One worker's agent over the shared stores (two of these are two workers)."""
        accounts = MemoryAccounts([ACCOUNT])
        answering = answer.Answering(
            replies=self.sends,
            tokens=MemoryTokens(accounts),
            platforms={"instagram": self.platform},
            out=self.out,
            outbox=MemoryOutbox(),
            policy=Policy(lease=timedelta(seconds=60), reconcile_delay=timedelta(seconds=5), max_tries=3),
            clock=self.clock,
        )
        return automate.Automating(
            automations=self.automations,
            runs=self.runs,
            sends=self.sends,
            accounts=accounts,
            out=self.out,
            hooks=self.hooks,
            answering=answering,
            clock=self.clock,
        )

    def run_events(self) -> list[Any]:
        return self.out.messages(t.AUTOMATION_RUNS)


def world(nodes: list[dict[str, Any]], **trigger: Any) -> World:
    d = Definition.model_validate(
        {
            "name": "Promo",
            "trigger": {"on": ["comment", "message"], "keywords": ["promo"], **trigger},
            "nodes": nodes,
            "start": nodes[0]["id"],
        }
    )
    automations = MemoryAutomations()
    automations.put(ActiveAutomation("auto-1", "site", 1, d))
    return World(automations, MemoryAutomationRuns(), MemoryAutomationSends(), MemoryProducer(), FakeInbox(), MemoryHooks(), Clock())


def decoded(ev: e.Event, eid: str) -> Decoded:
    return registry.decode(registry.envelope(ev, source="tests", subject="x", id=eid).encode())


def comment(cid: str, text: str, author: str = "u1", *, echo: bool = False) -> Decoded:
    ev = e.CommentReceived(
        platform="instagram",
        account_id=ACCOUNT.account_id,
        site_id="site",
        comment_id=cid,
        platform_post_id="media-1",
        author_id=author,
        author_name="ada" if author == "u1" else author,
        text=text,
        created_at=T0,
        echo=echo,
    )
    return decoded(ev, item_id("instagram", "comment", cid))


def message(mid: str, text: str, sender: str = "u1", *, at: datetime = T0, echo: bool = False) -> Decoded:
    ev = e.MessageReceived(
        platform="instagram",
        account_id=ACCOUNT.account_id,
        site_id="site",
        conversation_id="conv-1",
        message_id=mid,
        sender_id=sender,
        sender_name="ada",
        text=text,
        created_at=at,
        echo=echo,
    )
    return decoded(ev, item_id("instagram", "message", mid))


PRIVATE = [{"id": "pr", "type": "private_reply", "text": "Your PROMO code, {{name}}: SPRING"}]


async def test_a_matching_comment_gets_one_private_reply_even_when_redelivered_or_seen_by_a_second_worker() -> None:
    w = world(PRIVATE)
    one, two = w.worker(), w.worker()
    await automate.on_inbox(comment("c1", "Promo please"), one)
    await automate.on_inbox(comment("c1", "Promo please"), one)  # redelivered
    await automate.on_inbox(comment("c1", "Promo please"), two)  # the other worker got it too (a rebalance)
    assert [(s.action, s.text, s.target["comment_id"]) for s in w.platform.sent] == [
        ("private_reply", "Your PROMO code, ada: SPRING", "c1")
    ]
    kinds = [type(m).__name__ for m in w.run_events()]
    assert kinds == ["AutomationRunStarted", "AutomationSendQueued", "AutomationRunEnded"]
    [queued] = [m for m in w.run_events() if isinstance(m, e.AutomationSendQueued)]
    [attempt] = w.sends.rows.values()
    assert attempt.effect_id == queued.reply_id and attempt.state == "published"
    # the reply went out promptly: the agent claimed and sent it, the answer agent's sweep finds nothing
    assert await w.sends.claim_due(w.clock(), w.clock(), 10) == []


async def test_the_automations_own_replies_coming_back_never_trigger_it() -> None:
    w = world([{"id": "pub", "type": "public_reply", "text": "PROMO sent to your DMs", "next": "pr"}, *PRIVATE], once_per_user=False)
    d = w.worker()
    await automate.on_inbox(comment("c1", "promo"), d)
    assert len(w.platform.sent) == 2
    public_id = next(a.platform_post_id for a in w.sends.rows.values() if a.payload["action"] == "reply")
    # The echoes: the public reply as a comment by the account, the private reply as an echo message,
    # and the public reply again as the platform may tell it (by its id, with no author we know).
    await automate.on_inbox(comment("echo-1", "PROMO sent to your DMs", author=ME), d)
    await automate.on_inbox(message("m-echo", "Your PROMO code, ada: SPRING", sender=ME, echo=True), d)
    await automate.on_inbox(comment(public_id or "", "PROMO sent to your DMs", author="someone"), d)
    assert len(w.platform.sent) == 2
    assert [type(m).__name__ for m in w.run_events()].count("AutomationRunStarted") == 1


def ask_flow() -> list[dict[str, Any]]:
    return [
        {"id": "ask", "type": "message", "text": "Want the PROMO guide? yes/no", "next": "answer"},
        {
            "id": "answer",
            "type": "condition",
            "test": {"kind": "answer", "keywords": ["yes"]},
            "then": "yes",
            "otherwise": "no",
            "wait_seconds": 600,
        },
        {"id": "yes", "type": "message", "text": "Here it is: {{keyword}}"},
        {"id": "no", "type": "message", "text": "Maybe later"},
    ]


async def test_a_dm_flow_waits_for_the_persons_answer_and_answers_it() -> None:
    w = world(ask_flow())
    d = w.worker()
    await automate.on_inbox(message("m1", "promo?"), d)
    assert [s.text for s in w.platform.sent] == ["Want the PROMO guide? yes/no"]
    [state] = [s for s, _ in w.runs.rows.values()]
    assert state.status == "waiting" and state.for_answer
    later = T0 + timedelta(minutes=2)
    await automate.on_inbox(message("m2", "yes please", at=later), d)
    await automate.on_inbox(message("m2", "yes please", at=later), d)  # redelivered: applied once
    assert [s.text for s in w.platform.sent] == ["Want the PROMO guide? yes/no", "Here it is: promo"]
    assert w.platform.sent[1].target == {"conversation_id": "conv-1", "recipient": "u1"}
    [state] = [s for s, _ in w.runs.rows.values()]
    assert state.status == "ended" and state.ended == "completed"
    kinds = [type(m).__name__ for m in w.run_events()]
    assert kinds.count("AutomationRunResumed") == 1 and kinds.count("AutomationRunStarted") == 1


async def test_an_unanswered_question_times_out_into_its_other_branch_on_the_timer() -> None:
    w = world(ask_flow())
    d = w.worker()
    await automate.on_inbox(message("m1", "promo"), d)
    assert await automate.tick(d) == 0  # not due yet
    w.clock.now = T0 + timedelta(minutes=11)
    assert await automate.tick(d) == 1
    assert await automate.tick(d) == 0
    assert [s.text for s in w.platform.sent] == ["Want the PROMO guide? yes/no", "Maybe later"]
    [resumed] = [m for m in w.run_events() if isinstance(m, e.AutomationRunResumed)]
    assert resumed.timed_out


async def test_a_paused_automations_waiting_runs_end_and_new_items_start_none() -> None:
    w = world(ask_flow())
    d = w.worker()
    await automate.on_inbox(message("m1", "promo"), d)
    w.automations.remove("auto-1")
    w.clock.now = T0 + timedelta(minutes=11)
    await automate.tick(d)
    [ended] = [m for m in w.run_events() if isinstance(m, e.AutomationRunEnded)]
    assert "paused or deleted" in ended.reason and len(w.platform.sent) == 1
    await automate.on_inbox(message("m9", "promo", sender="u2"), d)
    assert len(w.platform.sent) == 1


async def test_a_second_run_for_the_same_person_is_skipped_as_a_duplicate_with_its_reason() -> None:
    w = world(PRIVATE, once_per_user=False)
    d = w.worker()
    await automate.on_inbox(comment("c1", "promo"), d)
    await automate.on_inbox(comment("c2", "promo again"), d)
    assert len(w.platform.sent) == 1
    [skipped] = [m for m in w.run_events() if isinstance(m, e.AutomationSendSkipped)]
    assert skipped.code == "deduplicated" and skipped.node_id == "pr" and "7 days" in skipped.reason


async def test_a_failing_webhook_is_recorded_and_the_flow_goes_on() -> None:
    w = world([{"id": "hook", "type": "webhook", "url": "https://hooks.example/lead", "next": "pr"}, *PRIVATE])
    w.hooks.result = HookResult(503, False, "answered 503")
    await automate.on_inbox(comment("c1", "promo"), w.worker())
    [called] = [m for m in w.run_events() if isinstance(m, e.AutomationWebhookCalled)]
    assert not called.ok and called.status == 503 and called.webhook_id.startswith("msg_")
    [(site, url, msg_id, body)] = w.hooks.calls
    assert site == "site" and url == "https://hooks.example/lead" and msg_id == called.webhook_id and b'"keyword":"promo"' in body
    assert len(w.platform.sent) == 1  # the private reply went all the same
