"""Log lines as JSON: each names its agent and the event being handled, and none carries a credential."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from adapters.accounts import MemoryAccounts, MemoryTokens
from adapters.kafka import MemoryProducer
from adapters.logs import CURRENT, Context, JsonFormatter, TextFormatter, redact, set_role
from adapters.platforms.x import XClient
from adapters.publishing import MemoryAttempts
from commands.publish import Policy
from domain.accounts import Account
from schemas import topics as t
from schemas.commands import PublishPost
from schemas.registry import registry
from streams import publish
from streams.plumbing import handle_one

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TOKEN = "canary-access-7f3a9c1e5b2d"
X = Account(account_id="a-x", platform="x", platform_account_id="x-1", handle="me", site_id="s1")


@dataclass
class Msg:
    value: bytes
    key: bytes = b"p1"
    topic: str = t.PUBLISH
    partition: int = 0
    offset: int = 7
    headers: list[tuple[str, bytes]] = field(default_factory=list)


class CanaryTokens(MemoryTokens):
    """Hands out a recognisable token, so a leak into a log line would be found."""

    async def authorized(self, account_id: str) -> Account:
        return (await super().authorized(account_id)).model_copy(update={"access_token": TOKEN})


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged at any level, through the JSON formatter, as a role writes it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    set_role("worker")
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError(f"refused with Authorization: Bearer {TOKEN}")
        except ValueError:
            import sys

            info = sys.exc_info()
    return logging.LogRecord("socializer.test", logging.WARNING, __file__, 1, msg, args, info)


def test_a_line_is_one_json_object_with_the_agent_and_the_messages_event_and_correlation_ids() -> None:
    env = registry.envelope(
        PublishPost(post_id="p1", site_id="s1", account_id="a-x", platform="x", text="hi", due_at=NOW),
        source="t",
        subject="p1",
        id="ev-1",
        correlationid="corr-9",
    )
    token = CURRENT.set(Context("publish", Msg(env.encode())))
    try:
        line = JsonFormatter().format(record("post %s waits", "p1"))
    finally:
        CURRENT.reset(token)
    assert "\n" not in line
    doc = orjson.loads(line)
    assert doc["message"] == "post p1 waits" and doc["level"] == "warning" and doc["logger"] == "socializer.test"
    assert (doc["agent"], doc["event_id"], doc["correlation_id"]) == ("publish", "ev-1", "corr-9")
    assert doc["time"].endswith("Z")


def test_a_line_outside_any_message_has_no_event_and_an_undecodable_message_falls_back_to_its_header() -> None:
    assert not {"agent", "event_id", "correlation_id"} & set(orjson.loads(JsonFormatter().format(record("idle"))))
    token = CURRENT.set(Context("intake", Msg(b"\xff not json", headers=[("ce_id", b"hdr-3")])))
    try:
        doc = orjson.loads(JsonFormatter().format(record("bad")))
    finally:
        CURRENT.reset(token)
    assert doc["agent"] == "intake" and doc["event_id"] == "hdr-3" and "correlation_id" not in doc


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {TOKEN}",
        f"POST /oauth2/token?access_token={TOKEN}&x=1",
        f'{{"refresh_token": "{TOKEN}", "ok": true}}',
        f"client_secret={TOKEN}",
        f"signing with whsec_{TOKEN}",
        f"postgresql://socializer:{TOKEN}@db:5432/s",
    ],
)
def test_credentials_are_masked_wherever_they_appear_in_a_line(text: str) -> None:
    assert TOKEN not in redact(text) and "***" in redact(text)
    assert TOKEN not in JsonFormatter().format(record("%s", text)) and TOKEN not in TextFormatter().format(record("%s", text))


def test_an_exceptions_traceback_is_masked_too() -> None:
    doc = orjson.loads(JsonFormatter().format(record("failed", exc=True)))
    assert "ValueError" in doc["exception"] and TOKEN not in doc["exception"]


async def test_a_publish_whose_create_gets_no_answer_logs_its_event_and_never_the_token(captured: io.StringIO) -> None:
    sent: list[httpx.Request] = []

    def platform(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        raise httpx.ReadTimeout("no answer", request=request)

    memory = MemoryAccounts([X])
    attempts = MemoryAttempts()
    async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as http:
        p = publish.Publishing(
            attempts=attempts,
            tokens=CanaryTokens(memory),
            platforms={"x": XClient(http, "http://x.invalid")},
            out=MemoryProducer(),
            policy=Policy(lease=timedelta(seconds=50), reconcile_delay=timedelta(seconds=3), max_tries=5),
            outbox=attempts.outbox,
            clock=lambda: NOW,
        )
        cmd = PublishPost(post_id="p1", site_id="s1", account_id="a-x", platform="x", text="hello", due_at=NOW)
        env = registry.envelope(cmd, source="t", subject="p1", id="ev-pub", correlationid="corr-pub")

        async def one(message: Msg) -> None:
            await publish.handle(publish.decode(message.value), p)

        assert await handle_one(Msg(env.encode()), one, agent="publish", out=MemoryProducer()) == "handled"
    assert sent and sent[0].headers["authorization"] == f"Bearer {TOKEN}"  # the token did go to the platform
    lines = [orjson.loads(line) for line in captured.getvalue().splitlines()]
    unknown = [d for d in lines if "outcome unknown" in d["message"]]
    assert unknown and unknown[0]["agent"] == "publish" and unknown[0]["role"] == "worker"
    assert (unknown[0]["event_id"], unknown[0]["correlation_id"]) == ("ev-pub", "corr-pub")
    assert TOKEN not in captured.getvalue()
