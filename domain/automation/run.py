"""The run interpreter: one person going through one automation's flow.

Given the definition, the run's state and a stimulus — the triggering item (:class:`Start`), the
person's message (:class:`Answer`), the clock (:class:`Timer`) — :func:`step` answers the run's
events and the effects the shell performs, in order (:class:`Step`): sends (:class:`Send`, each
checked by the inbox's rules and paced by :mod:`.pacing` before it is queued, or skipped with the
reason) and webhook calls (:class:`CallWebhook`). A run only sleeps at a delay or an answer wait,
and never executes more than :data:`MAX_STEPS` nodes for one stimulus, so a loop without a wait ends
the run instead of spinning.

Pure: the shell keeps the state (:func:`to_json`/:func:`from_json`) and derives the events' ids.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Any, Literal

from domain.automation.match import PatternRefused, first_match, fold, matches
from domain.inbox import rules_for
from domain.post.rules import with_utm
from schemas import events as e
from schemas.automations import (
    ConditionNode,
    Definition,
    DelayNode,
    MessageNode,
    Node,
    PrivateReplyNode,
    PublicReplyNode,
    ResourceNode,
    TagNode,
    Trigger,
    WebhookNode,
)

__all__ = [
    "MAX_STEPS",
    "Answer",
    "CallWebhook",
    "Effect",
    "Facts",
    "RunState",
    "Send",
    "Start",
    "Step",
    "Stimulus",
    "Timer",
    "context",
    "end",
    "from_json",
    "render",
    "slug",
    "start",
    "step",
    "to_json",
    "triggered",
]

MAX_STEPS = 50  # nodes one stimulus may execute: a flow loops only through a wait
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@dataclass(frozen=True)
class Facts:
    """What started the run (copied into :class:`schemas.events.AutomationRunStarted`)."""

    run_id: str
    automation_id: str
    version: int
    site_id: str
    account_id: str
    platform: str
    user_id: str
    trigger_event_id: str
    kind: str
    keyword: str
    started_at: datetime
    item_at: datetime | None = None  # when the triggering comment or message was written
    thread: str = ""
    user_name: str = ""
    text: str = ""
    comment_id: str = ""
    conversation_id: str = ""
    post_id: str = ""


Status = Literal["running", "waiting", "ended"]


@dataclass(frozen=True)
class RunState:
    """Where the run is: ``node`` it waits at (until ``until``, for an answer when ``for_answer``),
    the person's tags as the shell read them, when they last wrote (``last_seen_at``) and last sent a
    direct message (``last_message_at``, its event id ``last_message_id``: the item a DM answers)."""

    facts: Facts
    status: Status = "running"
    node: str | None = None
    until: datetime | None = None
    for_answer: bool = False
    tags: frozenset[str] = frozenset()
    last_seen_at: datetime | None = None
    last_message_at: datetime | None = None
    last_message_id: str = ""
    conversation_id: str = ""
    answer: str = ""
    ended: str = ""  # why, once ended


@dataclass(frozen=True)
class Start:
    """The triggering item: the run begins at the definition's start node."""


@dataclass(frozen=True)
class Answer:
    """The person's direct message (``event_id``: its inbox item)."""

    event_id: str
    text: str
    at: datetime
    conversation_id: str = ""


@dataclass(frozen=True)
class Timer:
    """The clock: a wait whose time has come ends (a delay goes on, an answer wait times out)."""


Stimulus = Start | Answer | Timer


@dataclass(frozen=True)
class Send:
    """A message, private or public reply to queue (at most once, by the reply id the shell derives
    from the run, the node and ``stimulus_id``) answering the inbox item ``item_id``."""

    node_id: str
    action: Literal["reply", "private_reply", "message"]
    text: str
    item_id: str
    target: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallWebhook:
    """POST ``body`` (the run's context) to ``url``, signed; the flow goes on whatever it answers."""

    node_id: str
    url: str
    body: dict[str, Any]


Effect = Send | CallWebhook


@dataclass(frozen=True)
class Step:
    state: RunState
    out: list[e.Event | Effect]

    @property
    def events(self) -> list[e.Event]:
        return [o for o in self.out if isinstance(o, e.Event)]

    @property
    def effects(self) -> list[Effect]:
        return [o for o in self.out if not isinstance(o, e.Event)]


def triggered(trigger: Trigger, kind: str, account_id: str, post_ids: tuple[str, ...], text: str) -> str | None:
    """The keyword an item matches, or None: of a kind the trigger listens to, on one of its accounts
    (none listed: all), for a comment on one of its posts ("all", or ours or the platform's ids), its
    text matching a keyword and no excluded word."""
    if kind not in trigger.on or (trigger.account_ids and account_id not in trigger.account_ids):
        return None
    if kind == "comment" and trigger.posts != "all" and not set(post_ids) & set(trigger.posts):
        return None
    try:
        return first_match(text, trigger.keywords, trigger.match, trigger.exclude)
    except PatternRefused:  # activation refuses these; a stored one never matches
        return None


# ------------------------------------------------------------------ rendering
def slug(text: str) -> str:
    """A name as a URL parameter: ``Spring Promo!`` → ``spring-promo``."""
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", bare.lower()).strip("-") or "automation"


def context(d: Definition, s: RunState, link: str = "") -> dict[str, str]:
    f = s.facts
    return {
        "name": f.user_name or "there",  # a DM's webhook names no one (Meta sends ids only): "Hi there"
        "username": f.user_name or f.user_id,
        "keyword": f.keyword,
        "link": link,
        "comment": f.text,
        "automation": d.name,
    }


def render(text: str, values: dict[str, str]) -> str:
    """``{{name}}`` and the other known placeholders filled in; an unknown one (activation refuses
    them) is left empty rather than sent as braces."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


def _pick(options: list[str], by: str) -> str:
    """One of ``options``, the same for the same comment (a hundred answers are not one text)."""
    return options[int.from_bytes(sha256(by.encode()).digest()[:8], "big") % len(options)]


def _resource_link(d: Definition, node: ResourceNode, s: RunState) -> str | None:
    kw = fold(s.facts.keyword)
    url = next((r.url for r in node.resources if fold(r.keyword) == kw), None)
    if url is None:
        url = next((r.url for r in node.resources if matches(s.facts.text, r.keyword, d.trigger.match)), None)
    url = url or node.default_url
    if not url:
        return None
    return with_utm(url, platform=s.facts.platform, campaign=slug(d.name), content=slug(s.facts.keyword))[0]


# ------------------------------------------------------------------ the interpreter
def start(facts: Facts, tags: frozenset[str] = frozenset()) -> RunState:
    """The state of a run about to receive :class:`Start`."""
    message = facts.kind == "message" or bool(facts.conversation_id)
    at = facts.item_at or facts.started_at
    return RunState(
        facts=facts,
        tags=tags,
        last_seen_at=at,
        last_message_at=at if message else None,
        last_message_id=facts.trigger_event_id if message else "",
        conversation_id=facts.conversation_id,
    )


def end(s: RunState, reason: str, now: datetime) -> Step:
    """The run ends here (paused, deleted, or it cannot go on)."""
    if s.status == "ended":
        return Step(s, [])
    ev = e.AutomationRunEnded(run_id=s.facts.run_id, automation_id=s.facts.automation_id, reason=reason, at=now)
    return Step(replace(s, status="ended", node=None, until=None, for_answer=False, ended=reason), [ev])


def step(d: Definition, s: RunState, stimulus: Stimulus, now: datetime) -> Step:
    """What ``stimulus`` makes of the run: its events and effects in order, and its new state."""
    f = s.facts
    out: list[e.Event | Effect] = []
    if s.status == "ended":
        return Step(s, out)
    nodes = {n.id: n for n in d.nodes}
    if isinstance(stimulus, Start):
        if s.node is not None:  # started before: a repeated trigger changes nothing
            return Step(s, out)
        started = e.AutomationRunStarted(
            run_id=f.run_id,
            automation_id=f.automation_id,
            version=f.version,
            site_id=f.site_id,
            account_id=f.account_id,
            platform=f.platform,
            user_id=f.user_id,
            user_name=f.user_name,
            trigger_event_id=f.trigger_event_id,
            kind=f.kind,
            keyword=f.keyword,
            text=f.text,
            thread=f.thread,
            comment_id=f.comment_id,
            conversation_id=f.conversation_id,
            post_id=f.post_id,
            started_at=f.started_at,
        )
        out.append(started)
        return _go(d, nodes, replace(s, node=d.start), d.start, now, out)
    if isinstance(stimulus, Answer):
        s = replace(
            s,
            last_seen_at=stimulus.at,
            last_message_at=stimulus.at,
            last_message_id=stimulus.event_id,
            conversation_id=stimulus.conversation_id or s.conversation_id,
        )
        node = nodes.get(s.node or "")
        if s.status != "waiting" or not s.for_answer or not isinstance(node, ConditionNode):
            return Step(s, out)  # not waiting for an answer: only remembered (it opens the window)
        out.append(e.AutomationRunResumed(run_id=f.run_id, automation_id=f.automation_id, node_id=node.id, answer=stimulus.text, at=now))
        holds = first_match(stimulus.text, node.test.keywords, node.test.match) is not None
        s = replace(s, status="running", until=None, for_answer=False, answer=stimulus.text)
        return _go(d, nodes, s, node.then if holds else node.otherwise, now, out)
    # Timer
    if s.status != "waiting" or s.until is None or now < s.until:
        return Step(s, out)
    node = nodes.get(s.node or "")
    if node is None:
        return _finish(s, f"node {s.node!r} is no longer in the flow (the automation was edited)", now, out)
    out.append(e.AutomationRunResumed(run_id=f.run_id, automation_id=f.automation_id, node_id=node.id, timed_out=s.for_answer, at=now))
    was_answer = s.for_answer
    s = replace(s, status="running", until=None, for_answer=False)
    if was_answer and isinstance(node, ConditionNode):
        return _go(d, nodes, s, node.otherwise, now, out)
    return _go(d, nodes, s, node.next, now, out)


def _finish(s: RunState, reason: str, now: datetime, out: list[e.Event | Effect]) -> Step:
    done = end(s, reason, now)
    return Step(done.state, out + list(done.out))


def _wait(s: RunState, node_id: str, until: datetime, for_answer: bool, out: list[e.Event | Effect]) -> Step:
    f = s.facts
    out.append(e.AutomationRunWaiting(run_id=f.run_id, automation_id=f.automation_id, node_id=node_id, until=until, for_answer=for_answer))
    return Step(replace(s, status="waiting", node=node_id, until=until, for_answer=for_answer), out)


def _go(d: Definition, nodes: dict[str, Node], s: RunState, node_id: str | None, now: datetime, out: list[e.Event | Effect]) -> Step:
    f = s.facts
    for _ in range(MAX_STEPS):
        if node_id is None:
            return _finish(s, "completed", now, out)
        node = nodes.get(node_id)
        if node is None:
            return _finish(s, f"node {node_id!r} is not in the flow", now, out)
        s = replace(s, node=node_id)
        values = context(d, s)
        match node:
            case DelayNode():
                return _wait(s, node.id, now + timedelta(seconds=node.seconds), False, out)
            case ConditionNode():
                if node.test.kind == "answer":
                    return _wait(s, node.id, now + timedelta(seconds=node.wait_seconds), True, out)
                node_id = node.then if _holds(node, s, now) else node.otherwise
                continue
            case MessageNode():
                text = render(node.text, values)
                extras = [node.link] if node.link else []
                extras += [f"{b.title}: {b.url}" for b in node.buttons]
                out.append(_message(s, node.id, "\n".join([text, *extras]), now))
            case PrivateReplyNode():
                out.append(_on_comment(s, node.id, "private_reply", render(node.text, values)))
            case PublicReplyNode():
                options = [node.text, *node.variants]
                text = _pick(options, f.comment_id or f.trigger_event_id) if len(options) > 1 else node.text
                out.append(_on_comment(s, node.id, "reply", render(text, values)))
            case ResourceNode():
                link = _resource_link(d, node, s)
                if link is None:
                    out.append(
                        _skipped(s, node.id, node.via, "no_link", "no resource matches the keyword and there is no default link", now)
                    )
                else:
                    text = render(node.text, context(d, s, link))
                    out.append(_message(s, node.id, text, now) if node.via == "message" else _on_comment(s, node.id, "private_reply", text))
            case TagNode():
                removed = node.type == "untag"
                out.append(
                    e.AutomationUserTagged(
                        run_id=f.run_id,
                        automation_id=f.automation_id,
                        site_id=f.site_id,
                        account_id=f.account_id,
                        user_id=f.user_id,
                        tag=node.tag,
                        removed=removed,
                        at=now,
                    )
                )
                s = replace(s, tags=(s.tags - {node.tag}) if removed else (s.tags | {node.tag}))
            case WebhookNode():
                out.append(CallWebhook(node.id, node.url, _payload(d, s, node.id, now)))
        node_id = node.next
    return _finish(s, f"stopped after {MAX_STEPS} nodes without a wait (a loop needs a delay or an answer wait)", now, out)


def _holds(node: ConditionNode, s: RunState, now: datetime) -> bool:
    t = node.test
    if t.kind == "keyword":
        return first_match(s.facts.text, t.keywords, t.match) is not None
    if t.kind == "tag":
        return t.tag is not None and t.tag in s.tags
    if t.kind == "inactive":
        seen = s.last_seen_at or s.facts.started_at
        return t.seconds is not None and (now - seen).total_seconds() >= t.seconds
    # window_open: a DM may still be sent (the person wrote within the platform's window)
    rules = rules_for(s.facts.platform)
    if rules is None or "message" not in rules.actions:
        return False
    if rules.window_hours is None:
        return True
    return s.last_message_at is not None and now - s.last_message_at <= timedelta(hours=rules.window_hours)


def _on_comment(s: RunState, node_id: str, action: Literal["reply", "private_reply"], text: str) -> Send:
    f = s.facts
    target = {"comment_id": f.comment_id, "post_id": f.thread, "recipient": f.user_id}
    return Send(node_id, action, text, f.trigger_event_id, target)


def _message(s: RunState, node_id: str, text: str, now: datetime) -> Send | e.AutomationSendSkipped:
    if not s.last_message_id:
        return _skipped(
            s, node_id, "message", "no_conversation", "the person has not messaged the account: a DM only answers their message", now
        )
    target = {"conversation_id": s.conversation_id, "recipient": s.facts.user_id}
    return Send(node_id, "message", text, s.last_message_id, target)


def _skipped(s: RunState, node_id: str, action: str, code: str, reason: str, now: datetime) -> e.AutomationSendSkipped:
    f = s.facts
    return e.AutomationSendSkipped(
        run_id=f.run_id,
        automation_id=f.automation_id,
        node_id=node_id,
        action=action,
        code=code,
        reason=reason,
        at=now,
        trigger_event_id=f.trigger_event_id,
        site_id=f.site_id,
    )


def _payload(d: Definition, s: RunState, node_id: str, now: datetime) -> dict[str, Any]:
    """What a webhook node posts: the run's context (no token, no secret)."""
    f = s.facts
    return {
        "type": "automation.run",
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": {
            "run_id": f.run_id,
            "automation_id": f.automation_id,
            "automation": d.name,
            "node_id": node_id,
            "site_id": f.site_id,
            "account_id": f.account_id,
            "platform": f.platform,
            "user": {"id": f.user_id, "name": f.user_name},
            "trigger": {"event_id": f.trigger_event_id, "kind": f.kind, "keyword": f.keyword, "text": f.text, "thread": f.thread},
            "tags": sorted(s.tags),
            "answer": s.answer,
        },
    }


# ------------------------------------------------------------------ keeping the state
def _at(v: datetime | None) -> str | None:
    return v.isoformat() if v else None


def _dt(v: Any) -> datetime | None:
    return datetime.fromisoformat(v) if isinstance(v, str) and v else None


def to_json(s: RunState) -> dict[str, Any]:
    f = s.facts
    facts = {k: getattr(f, k) for k in Facts.__dataclass_fields__}
    facts["started_at"] = f.started_at.isoformat()
    facts["item_at"] = _at(f.item_at)
    return {
        "facts": facts,
        "status": s.status,
        "node": s.node,
        "until": _at(s.until),
        "for_answer": s.for_answer,
        "tags": sorted(s.tags),
        "last_seen_at": _at(s.last_seen_at),
        "last_message_at": _at(s.last_message_at),
        "last_message_id": s.last_message_id,
        "conversation_id": s.conversation_id,
        "answer": s.answer,
        "ended": s.ended,
    }


def from_json(v: dict[str, Any]) -> RunState:
    facts = dict(v["facts"])
    facts["started_at"] = datetime.fromisoformat(facts["started_at"])
    facts["item_at"] = _dt(facts.get("item_at"))
    return RunState(
        facts=Facts(**facts),
        status=v["status"],
        node=v.get("node"),
        until=_dt(v.get("until")),
        for_answer=bool(v.get("for_answer")),
        tags=frozenset(v.get("tags") or ()),
        last_seen_at=_dt(v.get("last_seen_at")),
        last_message_at=_dt(v.get("last_message_at")),
        last_message_id=str(v.get("last_message_id") or ""),
        conversation_id=str(v.get("conversation_id") or ""),
        answer=str(v.get("answer") or ""),
        ended=str(v.get("ended") or ""),
    )
