"""The per-message catch: outages are waited out with the message held, messages that can never
succeed are dead-lettered (by reference when too large to copy), and the stream goes on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson
import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError

from adapters.exceptions import Unavailable
from adapters.kafka import KafkaMessage, MemoryProducer
from domain.exceptions import NoFreeSlot
from schemas.exceptions import InvalidEvent
from streams.plumbing import DLQ_MAX_BYTES, handle_one


@dataclass
class Msg:
    value: bytes
    key: bytes = b"k1"
    topic: str = "content.published"
    partition: int = 2
    offset: int = 41
    headers: list[tuple[str, bytes]] = field(default_factory=lambda: [("ce_type", b"x")])


class Sleeps:
    def __init__(self) -> None:
        self.waited: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)


def failing(*errors: BaseException) -> Any:
    left = list(errors)
    calls: list[bytes] = []

    async def handle(message: Msg) -> None:
        calls.append(message.value)
        if left:
            raise left.pop(0)

    handle.calls = calls  # type: ignore[attr-defined]
    return handle


@pytest.mark.parametrize(
    "outage",
    [
        ConnectionRefusedError(),
        asyncpg.CannotConnectNowError("starting up"),
        # what a connection cut mid-query leaves behind (seen when Postgres restarts under the projector)
        asyncpg.exceptions.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
        KafkaConnectionError(),
        Unavailable("x", "connect error"),
    ],
)
async def test_an_outage_is_waited_out_with_the_message_held(outage: BaseException) -> None:
    out, sleeps = MemoryProducer(), Sleeps()
    handle = failing(outage, outage, outage)
    assert await handle_one(Msg(b"v"), handle, agent="intake", out=out, sleep=sleeps) == "handled"
    assert handle.calls == [b"v"] * 4 and out.sent == []
    assert sleeps.waited == [0.2, 0.4, 0.8]  # backoff, doubling


@pytest.mark.parametrize("err", [InvalidEvent("envelope.type: nope"), NoFreeSlot("no free slot within 60 days"), KeyError("bug")])
async def test_what_can_never_succeed_is_dead_lettered_with_its_reason_and_position(err: BaseException) -> None:
    out = MemoryProducer()
    assert await handle_one(Msg(b"orig"), failing(err), agent="intake", out=out, sleep=Sleeps()) == "dead-lettered"
    ((topic, dead),) = out.sent
    headers = dict(dead.headers)
    assert topic == "content.published.dlq" and dead.value == b"orig" and dead.key == b"k1"
    assert headers["ce_type"] == b"x"  # the original headers stay
    assert (headers["dlq-topic"], headers["dlq-partition"], headers["dlq-offset"], headers["dlq-agent"]) == (
        b"content.published",
        b"2",
        b"41",
        b"intake",
    )
    assert type(err).__name__ in headers["dlq-reason"].decode() or str(err) in headers["dlq-reason"].decode()


async def test_a_message_too_large_to_copy_is_dead_lettered_as_a_reference() -> None:
    out = MemoryProducer()
    big = b'{"html": "' + b"x" * (DLQ_MAX_BYTES + 10) + b'"}'
    await handle_one(Msg(big), failing(InvalidEvent("data.html: too large")), agent="intake", out=out, sleep=Sleeps())
    ((_, dead),) = out.sent
    body = orjson.loads(dead.value)
    assert body["reference"] == {"topic": "content.published", "partition": 2, "offset": 41, "size": len(big)}
    assert body["reason"] == "data.html: too large" and body["head"].startswith('{"html": "xxx')
    assert dict(dead.headers)["dlq-reference"] == b"1" and len(dead.value) < 4096


class Refusing(MemoryProducer):
    """A broker that is down twice, then refuses the full copy as too large."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[BaseException] = [KafkaConnectionError(), KafkaConnectionError(), MessageSizeTooLargeError()]

    async def send(self, topic: str, message: KafkaMessage) -> Any:
        if self.errors:
            raise self.errors.pop(0)
        return await super().send(topic, message)


async def test_the_dead_letter_waits_out_the_broker_and_falls_back_to_a_reference() -> None:
    out, sleeps = Refusing(), Sleeps()
    await handle_one(Msg(b"small but refused"), failing(InvalidEvent("bad")), agent="intake", out=out, sleep=sleeps)
    ((_, dead),) = out.sent
    assert sleeps.waited == [0.2, 0.4] and dict(dead.headers)["dlq-reference"] == b"1"
    assert orjson.loads(dead.value)["reference"]["offset"] == 41
