"""The one Kafka binding: an envelope becomes a record (and back) here and nowhere else.

Structured CloudEvents over Kafka: the value is the whole envelope as JSON, the key the aggregate
id, and the headers ``content-type``, ``ce_type`` and ``ce_id`` repeat the routing attributes so an
operator can filter without parsing. Every producer path (agents, API, CLI, outbox relay, bench)
sends through a :class:`Producer`; :class:`MemoryProducer` is its fake.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from schemas.envelope import Envelope
from schemas.registry import Decoded, registry

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class KafkaMessage:
    key: bytes | None
    value: bytes
    headers: Headers = ()

    @classmethod
    def of(cls, key: str, env: Envelope) -> KafkaMessage:
        return cls(key.encode(), env.encode(), tuple(env.headers()))

    def decoded(self) -> Decoded:
        """The envelope and its message (raises :class:`schemas.exceptions.InvalidEvent`)."""
        return registry.decode(self.value)


@dataclass(frozen=True, slots=True)
class Position:
    topic: str
    partition: int
    offset: int


class Producer(Protocol):
    async def send(self, topic: str, message: KafkaMessage) -> Awaitable[Position]:
        """Hand a record to the producer; the awaitable resolves once the broker acknowledged it."""
        ...


async def send_all(producer: Producer, topic: str, items: Iterable[tuple[str, Envelope]], *, wait: bool = True) -> list[Position]:
    """Send every (key, envelope) to ``topic``.

    ``wait=False`` is for agents: Faust flushes the producer before it commits the source offsets,
    so what an agent sent is on the broker before its input counts as processed (at-least-once)
    without a round trip per message. Anything that records "sent" afterwards waits.
    """
    futures = [await producer.send(topic, KafkaMessage.of(key, env)) for key, env in items]
    if wait and futures:
        return list(await asyncio.gather(*futures))
    return []


class _Ack:
    """The broker's acknowledgement of one record, as a :class:`Position`. Not a coroutine: an agent
    that does not wait (Faust flushes before it commits) drops it without a warning."""

    __slots__ = ("fut",)

    def __init__(self, fut: Awaitable[Any]) -> None:
        self.fut = fut

    def __await__(self) -> Generator[Any, None, Position]:
        md = yield from self.fut.__await__()
        return Position(md.topic, md.partition, md.offset)


class AIOKafkaSender:
    """A started ``aiokafka.AIOKafkaProducer`` (the API, the CLI, the bench)."""

    def __init__(self, producer: Any) -> None:
        self.producer = producer

    async def send(self, topic: str, message: KafkaMessage) -> Awaitable[Position]:
        fut = await self.producer.send(topic, message.value, key=message.key, headers=list(message.headers))
        return _Ack(fut)


class FaustSender:
    """A Faust app's producer, looked up at send time (it exists only once the app started). Straight
    to the producer: Faust's ``Topic.send`` costs ~150 µs of bookkeeping per message."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def send(self, topic: str, message: KafkaMessage) -> Awaitable[Position]:
        fut = await self.app.producer.send(topic, message.key, message.value, None, None, list(message.headers))
        return _Ack(fut)


@dataclass
class MemoryProducer:
    """The fake: records what was sent, per topic, acknowledged at once."""

    sent: list[tuple[str, KafkaMessage]] = field(default_factory=list)
    fail: BaseException | None = None  # set to make every send raise (a broker outage)

    async def send(self, topic: str, message: KafkaMessage) -> Awaitable[Position]:
        if self.fail is not None:
            raise self.fail
        self.sent.append((topic, message))
        done: asyncio.Future[Position] = asyncio.get_running_loop().create_future()
        done.set_result(Position(topic, 0, len(self.sent) - 1))
        return done

    def messages(self, topic: str) -> list[Any]:
        """The decoded messages sent to ``topic``, in order."""
        return [m.decoded().message for t, m in self.sent if t == topic]

    def envelopes(self, topic: str) -> Sequence[Envelope]:
        return [m.decoded().envelope for t, m in self.sent if t == topic]


async def end_offsets(consumer: Any, tps: Sequence[Any], within: float = 10.0) -> dict[Any, int]:
    """The offset after each partition's last record, for an assigned aiokafka consumer (it moves
    their positions: seek afterwards). Tansu 0.6 answers ListOffsets(latest) with the base offset of
    one batch + 1 (on s3:// the batch with the newest second-resolution mtime), a lower bound; its
    Fetch answers carry the true high watermark, so one fetch from the reported end settles it."""
    reported = await consumer.end_offsets(list(tps))
    for tp in tps:
        consumer.seek(tp, max(0, reported[tp] - 1))
    deadline = asyncio.get_running_loop().time() + within
    while (waiting := [tp for tp in tps if consumer.highwater(tp) is None]) and asyncio.get_running_loop().time() < deadline:
        await consumer.getmany(*waiting, timeout_ms=200, max_records=1)
    return {tp: max(reported[tp], consumer.highwater(tp) or 0) for tp in tps}
