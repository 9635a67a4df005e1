"""The run interpreter: each node type, placeholders, public-reply variants, the answer wait and its
timeout, conditions, and a loop without a wait ending the run instead of spinning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from domain.automation import run as r
from schemas import events as e
from schemas.automations import Definition

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def definition(nodes: list[dict[str, Any]], start: str | None = None, **trigger: Any) -> Definition:
    return Definition.model_validate(
        {
            "name": "Spring Promo!",
            "trigger": {"on": ["comment", "message"], "keywords": ["promo", "guide"], **trigger},
            "nodes": nodes,
            "start": start or nodes[0]["id"],
        }
    )


def facts(kind: str = "comment", text: str = "PROMO please!", keyword: str = "promo", **kw: Any) -> r.Facts:
    base: dict[str, Any] = {
        "run_id": "run-1",
        "automation_id": "auto-1",
        "version": 1,
        "site_id": "site",
        "account_id": "acct",
        "platform": "instagram",
        "user_id": "u1",
        "user_name": "ada",
        "trigger_event_id": "item-1",
        "kind": kind,
        "keyword": keyword,
        "text": text,
        "thread": "media-1" if kind != "message" else "conv-1",
        "comment_id": "c1" if kind != "message" else "",
        "conversation_id": "conv-1" if kind == "message" else "",
        "started_at": T0,
    }
    return r.Facts(**(base | kw))


def begin(d: Definition, f: r.Facts | None = None) -> r.Step:
    return r.step(d, r.start(f or facts()), r.Start(), T0)


def test_a_private_reply_renders_its_placeholders_and_the_run_completes() -> None:
    d = definition(
        [{"id": "pr", "type": "private_reply", "text": "Hi {{name}} (@{{username}}): '{{keyword}}' on \"{{comment}}\" from {{automation}}"}]
    )
    got = begin(d)
    [send] = got.effects
    assert isinstance(send, r.Send) and send.action == "private_reply" and send.item_id == "item-1"
    assert send.text == "Hi ada (@ada): 'promo' on \"PROMO please!\" from Spring Promo!"
    assert send.target == {"comment_id": "c1", "post_id": "media-1", "recipient": "u1"}
    [nameless] = begin(d, facts(user_name="")).effects  # a DM's webhook names no one: "Hi there"
    assert isinstance(nameless, r.Send) and nameless.text.startswith("Hi there (@u1)")
    kinds = [type(o).__name__ for o in got.out]
    assert (
        kinds == ["AutomationRunStarted", "Send", "AutomationRunEnded"] and got.state.status == "ended" and got.state.ended == "completed"
    )


def test_public_reply_variants_are_picked_by_the_comment_the_same_each_time_and_spread_over_comments() -> None:
    d = definition(
        [{"id": "pub", "type": "public_reply", "text": "Sent!", "variants": ["Check your DMs", "On its way", "Look in your inbox"]}]
    )
    texts = []
    for i in range(40):
        [send] = begin(d, facts(comment_id=f"c{i}")).effects
        assert isinstance(send, r.Send) and send.action == "reply"
        texts.append(send.text)
    assert len(set(texts)) == 4  # every option used
    [again] = begin(d, facts(comment_id="c7")).effects
    assert isinstance(again, r.Send) and again.text == texts[7]


def test_a_resource_picks_the_link_of_the_keyword_that_triggered_utm_tagged_else_the_default() -> None:
    d = definition(
        [
            {
                "id": "cta",
                "type": "resource",
                "text": "Here: {{link}}",
                "resources": [
                    {"keyword": "guide", "url": "https://ex.com/guide?ref=1"},
                    {"keyword": "promo", "url": "https://ex.com/promo"},
                ],
                "default_url": "https://ex.com/",
            }
        ]
    )
    [send] = begin(d, facts(keyword="guide", text="the guide pls")).effects
    assert isinstance(send, r.Send) and send.action == "private_reply"
    link = send.text.removeprefix("Here: ")
    q = parse_qs(urlsplit(link).query)
    assert link.startswith("https://ex.com/guide?") and q["ref"] == ["1"]
    assert q["utm_source"] == ["instagram"] and q["utm_medium"] == ["social"] and q["utm_campaign"] == ["spring-promo"]
    [other] = begin(d, facts(keyword="deal", text="a deal?")).effects
    assert isinstance(other, r.Send) and other.text.startswith("Here: https://ex.com/?utm_source=instagram")
    bare = definition(
        [{"id": "cta", "type": "resource", "text": "{{link}}", "resources": [{"keyword": "guide", "url": "https://ex.com/g"}]}]
    )
    got = begin(bare, facts(keyword="deal", text="deal"))
    [skipped] = [o for o in got.out if isinstance(o, e.AutomationSendSkipped)]
    assert skipped.code == "no_link" and not got.effects


def test_a_message_answers_the_persons_message_and_is_skipped_when_they_never_wrote_one() -> None:
    d = definition(
        [
            {
                "id": "dm",
                "type": "message",
                "text": "Hello {{name}}",
                "link": "https://ex.com",
                "buttons": [{"title": "Shop", "url": "https://ex.com/s"}],
            }
        ]
    )
    [send] = begin(d, facts(kind="message", text="promo")).effects
    assert isinstance(send, r.Send) and send.action == "message" and send.item_id == "item-1"
    assert send.text == "Hello ada\nhttps://ex.com\nShop: https://ex.com/s" and send.target == {
        "conversation_id": "conv-1",
        "recipient": "u1",
    }
    got = begin(d)  # a comment: no conversation to answer
    [skipped] = [o for o in got.out if isinstance(o, e.AutomationSendSkipped)]
    assert skipped.code == "no_conversation" and not got.effects and got.state.status == "ended"


def test_a_delay_waits_and_the_timer_goes_on_only_once_it_is_due() -> None:
    d = definition([{"id": "wait", "type": "delay", "seconds": 60, "next": "pr"}, {"id": "pr", "type": "private_reply", "text": "later"}])
    got = begin(d)
    [waiting] = [o for o in got.out if isinstance(o, e.AutomationRunWaiting)]
    assert waiting.until == T0 + timedelta(seconds=60) and not waiting.for_answer and got.state.status == "waiting"
    early = r.step(d, got.state, r.Timer(), T0 + timedelta(seconds=59))
    assert early.out == [] and early.state == got.state
    due = r.step(d, got.state, r.Timer(), T0 + timedelta(seconds=60))
    assert [type(o).__name__ for o in due.out] == ["AutomationRunResumed", "Send", "AutomationRunEnded"]
    [resumed] = due.events[:1]
    assert isinstance(resumed, e.AutomationRunResumed) and not resumed.timed_out


def ask_flow() -> Definition:
    return definition(
        [
            {"id": "ask", "type": "message", "text": "Want the guide? yes/no", "next": "answer"},
            {
                "id": "answer",
                "type": "condition",
                "test": {"kind": "answer", "keywords": ["yes", "sure"]},
                "then": "yes",
                "otherwise": "no",
                "wait_seconds": 3600,
            },
            {"id": "yes", "type": "message", "text": "Here it is"},
            {"id": "no", "type": "message", "text": "Maybe later"},
        ]
    )


def test_an_answer_wait_branches_on_the_persons_answer_and_answers_that_message() -> None:
    d = ask_flow()
    got = begin(d, facts(kind="message", text="promo"))
    assert got.state.status == "waiting" and got.state.for_answer and got.state.until == T0 + timedelta(hours=1)
    at = T0 + timedelta(minutes=5)
    yes = r.step(d, got.state, r.Answer("item-2", "Sure, thanks!", at), at)
    [resumed] = [o for o in yes.out if isinstance(o, e.AutomationRunResumed)]
    assert resumed.answer == "Sure, thanks!" and not resumed.timed_out
    [send] = yes.effects
    assert isinstance(send, r.Send) and send.text == "Here it is" and send.item_id == "item-2"  # the answer is the item it answers
    no = r.step(d, got.state, r.Answer("item-3", "nope", at), at)
    [send] = no.effects
    assert isinstance(send, r.Send) and send.text == "Maybe later"


def test_an_answer_wait_times_out_into_otherwise() -> None:
    d = ask_flow()
    got = begin(d, facts(kind="message", text="promo"))
    late = r.step(d, got.state, r.Timer(), T0 + timedelta(hours=1))
    [resumed] = [o for o in late.out if isinstance(o, e.AutomationRunResumed)]
    assert resumed.timed_out
    [send] = late.effects
    assert isinstance(send, r.Send) and send.text == "Maybe later"


def test_a_message_while_not_waiting_for_an_answer_only_opens_the_window() -> None:
    d = definition([{"id": "wait", "type": "delay", "seconds": 600, "next": "open"}, *branches("window_open")])
    got = begin(d)  # a comment: no window open
    at = T0 + timedelta(minutes=1)
    told = r.step(d, got.state, r.Answer("item-9", "hi", at, "conv-9"), at)
    assert told.out == [] and told.state.last_message_id == "item-9" and told.state.conversation_id == "conv-9"
    due = r.step(d, told.state, r.Timer(), T0 + timedelta(minutes=10))
    [send] = due.effects
    assert isinstance(send, r.Send) and send.text == "then" and send.action == "message" and send.item_id == "item-9"


def branches(kind: str, **test: Any) -> list[dict[str, Any]]:
    return [
        {"id": "open", "type": "condition", "test": {"kind": kind, **test}, "then": "t", "otherwise": "o"},
        {"id": "t", "type": "message", "text": "then"},
        {"id": "o", "type": "private_reply", "text": "otherwise"},
    ]


def test_conditions_on_keyword_tag_inactivity_and_the_messaging_window() -> None:
    def branch(d: Definition, f: r.Facts, tags: frozenset[str] = frozenset(), now: datetime = T0) -> str:
        got = r.step(d, r.start(f, tags), r.Start(), now)
        sends = [o for o in got.out if isinstance(o, r.Send)]
        skipped = [o for o in got.out if isinstance(o, e.AutomationSendSkipped)]
        return sends[0].node_id if sends else skipped[0].node_id  # the branch's first node

    kw = definition(branches("keyword", keywords=["please"]))
    assert branch(kw, facts()) == "t"
    assert branch(kw, facts(text="promo now")) == "o"
    tag = definition(branches("tag", tag="vip"))
    assert branch(tag, facts(), frozenset({"vip"})) == "t" and branch(tag, facts()) == "o"
    idle = definition(branches("inactive", seconds=3600))
    assert branch(idle, facts(item_at=T0 - timedelta(hours=2))) == "t"
    assert branch(idle, facts(item_at=T0 - timedelta(minutes=5))) == "o"
    window = definition(branches("window_open"))
    assert branch(window, facts(kind="message", item_at=T0 - timedelta(hours=23))) == "t"
    assert branch(window, facts(kind="message", item_at=T0 - timedelta(hours=25))) == "o"
    assert branch(window, facts(platform="x", kind="message")) == "t"  # X has no window


def test_tags_and_untags_are_events_and_change_what_the_run_knows() -> None:
    d = definition(
        [
            {"id": "a", "type": "tag", "tag": "vip", "next": "b"},
            {"id": "b", "type": "untag", "tag": "old", "next": "check"},
            {"id": "check", "type": "condition", "test": {"kind": "tag", "tag": "vip"}, "then": "pr"},
            {"id": "pr", "type": "private_reply", "text": "hi vip"},
        ]
    )
    got = r.step(d, r.start(facts(), frozenset({"old"})), r.Start(), T0)
    tagged = [o for o in got.out if isinstance(o, e.AutomationUserTagged)]
    assert [(t.tag, t.removed) for t in tagged] == [("vip", False), ("old", True)]
    assert got.state.tags == frozenset({"vip"}) and len(got.effects) == 1


def test_a_webhook_node_calls_with_the_runs_context_and_the_flow_goes_on() -> None:
    d = definition(
        [
            {"id": "hook", "type": "webhook", "url": "https://hooks.example/x", "next": "pr"},
            {"id": "pr", "type": "private_reply", "text": "ok"},
        ]
    )
    got = begin(d)
    call, send = got.effects
    assert isinstance(call, r.CallWebhook) and call.url == "https://hooks.example/x" and isinstance(send, r.Send)
    data = call.body["data"]
    assert data["run_id"] == "run-1" and data["user"] == {"id": "u1", "name": "ada"} and data["trigger"]["keyword"] == "promo"


def test_a_loop_without_a_wait_ends_the_run_after_the_step_limit() -> None:
    d = definition([{"id": "a", "type": "tag", "tag": "x", "next": "b"}, {"id": "b", "type": "untag", "tag": "x", "next": "a"}])
    got = begin(d)
    assert len([o for o in got.out if isinstance(o, e.AutomationUserTagged)]) == r.MAX_STEPS
    assert got.state.status == "ended" and "without a wait" in got.state.ended


def test_a_started_or_ended_run_ignores_a_repeated_start_and_the_state_survives_json() -> None:
    d = ask_flow()
    got = begin(d, facts(kind="message", text="promo"))
    again = r.step(d, got.state, r.Start(), T0)
    assert again.out == []
    assert r.from_json(r.to_json(got.state)) == got.state
    ended = r.end(got.state, "the automation was paused or deleted", T0)
    assert [type(o).__name__ for o in ended.out] == ["AutomationRunEnded"] and r.step(
        d, ended.state, r.Timer(), T0 + timedelta(days=2)
    ).out == []


def test_triggers_match_kinds_accounts_posts_keywords_and_excluded_words() -> None:
    d = definition(
        [{"id": "pr", "type": "private_reply", "text": "x"}], posts=["post-ours", "media-9"], account_ids=["acct"], exclude=["stop"]
    )
    tr = d.trigger
    assert r.triggered(tr, "comment", "acct", ("post-ours",), "PROMÖ!") == "promo"
    assert r.triggered(tr, "comment", "acct", ("media-9",), "the guide") == "guide"
    assert r.triggered(tr, "comment", "acct", ("media-1",), "promo") is None  # another post
    assert r.triggered(tr, "comment", "other", ("media-9",), "promo") is None  # another account
    assert r.triggered(tr, "mention", "acct", (), "promo") is None  # a kind it does not listen to
    assert r.triggered(tr, "comment", "acct", ("media-9",), "promo, stop it") is None  # excluded
    assert r.triggered(tr, "message", "acct", (), "promo") == "promo"  # posts scope only comments
