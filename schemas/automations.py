"""What an automation is, as it crosses the API and the log: a trigger, a flow of nodes, and how its
sends are paced. Only the shape is checked here; whether a flow makes sense (every node reachable,
no loop without a delay or a wait, every placeholder known, every link valid, a regex that cannot
backtrack catastrophically) is decided when it is activated (:mod:`domain.automation`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Button",
    "ConditionNode",
    "Definition",
    "DelayNode",
    "Match",
    "MessageNode",
    "Node",
    "Pacing",
    "PrivateReplyNode",
    "PublicReplyNode",
    "Resource",
    "ResourceNode",
    "TagNode",
    "Test",
    "Trigger",
    "TriggerKind",
    "WebhookNode",
]

TriggerKind = Literal["comment", "message", "mention", "story_reply"]
Match = Literal["exact", "contains", "starts_with", "word", "regex"]
NodeId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=10000)]
Keyword = Annotated[str, Field(min_length=1, max_length=200)]


class _Shape(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Trigger(_Shape):
    """When a run starts: an item of one of ``on``'s kinds whose text matches a keyword (after case
    and accents are folded) and no ``exclude`` word, on ``posts`` ("all": present and future) of
    ``account_ids`` (empty: every account of the site). ``once_per_user``: one run per person ever,
    else one per triggering item."""

    on: list[TriggerKind] = Field(min_length=1, max_length=4)
    keywords: list[Keyword] = Field(min_length=1, max_length=50)
    match: Match = "word"
    exclude: list[Keyword] = Field(default_factory=list, max_length=50)
    posts: Literal["all"] | list[Annotated[str, Field(min_length=1, max_length=200)]] = "all"
    account_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list, max_length=100)
    once_per_user: bool = True


class Button(_Shape):
    title: str = Field(min_length=1, max_length=20)
    url: str = Field(min_length=1, max_length=2000)


class _Step(_Shape):
    id: NodeId
    next: NodeId | None = None  # None: the run ends after this node


class MessageNode(_Step):
    """A direct message in the person's conversation (only inside the window they opened)."""

    type: Literal["message"] = "message"
    text: Text
    buttons: list[Button] = Field(default_factory=list, max_length=3)
    link: str | None = Field(None, max_length=2000)


class PrivateReplyNode(_Step):
    """The one private reply a comment allows (within 7 days of it)."""

    type: Literal["private_reply"] = "private_reply"
    text: Text


class PublicReplyNode(_Step):
    """A public reply under the comment; one of ``variants`` (picked by the comment) when given, so
    that a hundred answers are not one text a hundred times."""

    type: Literal["public_reply"] = "public_reply"
    text: Text
    variants: list[Text] = Field(default_factory=list, max_length=10)


class DelayNode(_Step):
    type: Literal["delay"] = "delay"
    seconds: float = Field(gt=0, le=30 * 86400)


class Test(_Shape):
    """What a condition asks. ``answer``: the person's next message (waited for up to
    ``ConditionNode.wait_seconds``) matches ``keywords``; ``keyword``: the triggering text does;
    ``tag``: the person carries ``tag``; ``inactive``: the person has been silent for ``seconds``;
    ``window_open``: a message may still be sent to them (the 24-hour window)."""

    kind: Literal["answer", "keyword", "tag", "inactive", "window_open"]
    keywords: list[Keyword] = Field(default_factory=list, max_length=50)
    match: Match = "word"
    tag: str | None = Field(None, min_length=1, max_length=100)
    seconds: float | None = Field(None, gt=0, le=365 * 86400)


class ConditionNode(_Step):
    """Branches: ``then`` when the test holds, ``otherwise`` when not (or when the wait times out)."""

    type: Literal["condition"] = "condition"
    test: Test
    then: NodeId | None = None
    otherwise: NodeId | None = None
    wait_seconds: float = Field(86400, gt=0, le=7 * 86400)  # for an ``answer`` test: how long to wait


class TagNode(_Step):
    type: Literal["tag", "untag"] = "tag"
    tag: str = Field(min_length=1, max_length=100)


class WebhookNode(_Step):
    """POSTs the run's context to ``url``, signed like the outbound webhooks (Standard Webhooks)."""

    type: Literal["webhook"] = "webhook"
    url: str = Field(min_length=1, max_length=2000)


class Resource(_Shape):
    keyword: Keyword
    url: str = Field(min_length=1, max_length=2000)


class ResourceNode(_Step):
    """A CTA template: the keyword that triggered the run picks its link (UTM-tagged), sent as
    ``text`` with ``{{link}}`` in it, by DM or as the comment's private reply."""

    type: Literal["resource"] = "resource"
    resources: list[Resource] = Field(min_length=1, max_length=50)
    default_url: str | None = Field(None, max_length=2000)
    text: Text
    via: Literal["message", "private_reply"] = "private_reply"


Node = Annotated[
    MessageNode | PrivateReplyNode | PublicReplyNode | DelayNode | ConditionNode | TagNode | WebhookNode | ResourceNode,
    Field(discriminator="type"),
]


class Pacing(_Shape):
    """How sends go out beyond the platform's budgets: a pause drawn (per send, deterministically)
    between ``jitter_min_seconds`` and ``jitter_max_seconds``; at most ``daily_cap`` sends a day per
    account (None: the platform's budgets only); one send of an action per person per
    ``dedupe_days``."""

    jitter_min_seconds: float = Field(0, ge=0, le=3600)
    jitter_max_seconds: float = Field(0, ge=0, le=3600)
    daily_cap: int | None = Field(None, ge=1, le=100_000)
    dedupe_days: float = Field(7, ge=0, le=365)


class Definition(_Shape):
    """An automation as a person wrote it: ``start`` names the first node."""

    name: str = Field(min_length=1, max_length=200)
    trigger: Trigger
    nodes: list[Node] = Field(min_length=1, max_length=100)
    start: NodeId
    pacing: Pacing = Field(default_factory=Pacing)
