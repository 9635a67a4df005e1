"""What every agent shares: registering through :class:`Agent`, and dead-lettering one message
without stopping.

Faust acks a message whose agent raised, so an agent never lets an exception escape: each message
is handled inside :func:`handle_one`. An outage is waited out with the message held; a message that
can never succeed goes to ``<topic>.dlq`` with the reason, the agent and the source position as
headers (a reference instead of the bytes when it is too large to copy).
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from adapters.kafka import FaustSender, KafkaMessage, Producer
from adapters.logs import CURRENT, Context
from adapters.metrics import EVENTS_DEAD_LETTERED, EVENTS_HANDLED, EVENTS_WAITED
from adapters.transient import is_transient
from domain.exceptions import DomainError
from schemas import topics as t
from schemas.exceptions import InvalidEvent
from streams.deps import Deps
from streams.exceptions import Unprocessable

log = logging.getLogger("socializer.streams")


# A dead letter carries the original bytes; past this size it carries a reference to them instead
# (the original stays on its topic): a copy too large for the broker must never be lost.
DLQ_MAX_BYTES = 900_000
HEAD_BYTES = 1024
BACKOFF_FIRST, BACKOFF_MAX = 0.2, 30.0


def dead_letter_record(message: Any, *, agent: str, reason: str, reference: bool = False) -> KafkaMessage:
    """The dead letter of ``message``: its key, bytes and headers with the reason and the source
    position as ``dlq-*`` headers, or, for a message too large to copy (or ``reference``), a JSON
    reference to it."""
    headers = list(message.headers.items() if isinstance(message.headers, dict) else message.headers or [])
    headers += [
        ("dlq-reason", reason.encode()[:4000]),
        ("dlq-agent", agent.encode()),
        ("dlq-topic", str(message.topic).encode()),
        ("dlq-partition", str(message.partition).encode()),
        ("dlq-offset", str(message.offset).encode()),
    ]
    value: bytes = message.value or b""
    if reference or len(value) > DLQ_MAX_BYTES:
        head = value[:HEAD_BYTES].decode("utf-8", "replace")
        ref = {"topic": str(message.topic), "partition": message.partition, "offset": message.offset, "size": len(value)}
        value = orjson.dumps({"reference": ref, "reason": reason[:4000], "head": head})
        headers = [(k, v) for k, v in headers if k.startswith("dlq-")] + [("dlq-reference", b"1")]
    return KafkaMessage(message.key, value, tuple(headers))


async def dead_letter(out: Producer, message: Any, *, agent: str, reason: str) -> None:
    await (await out.send(t.dlq(str(message.topic)), dead_letter_record(message, agent=agent, reason=reason)))


async def handle_one(
    message: Any,
    handle: Callable[[Any], Awaitable[None]],
    *,
    agent: str,
    out: Producer,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> str:
    """Handle one message: ``handled``, or ``dead-lettered`` (it can never succeed as it is).

    An outage (database, broker, platform) is waited out: the message is held and tried again with
    backoff, so nothing behind it on its partition overtakes it and nothing is lost. Every line
    logged meanwhile names the agent and the message's event and correlation ids; the outcome is
    counted per agent (``socializer_events_handled_total``, ``..._dead_lettered_total``)."""
    context = CURRENT.set(Context(agent, message))
    try:
        outcome = await _handle_one(message, handle, agent=agent, out=out, sleep=sleep)
    finally:
        CURRENT.reset(context)
    (EVENTS_HANDLED if outcome == "handled" else EVENTS_DEAD_LETTERED).labels(agent).inc()
    return outcome


async def _handle_one(
    message: Any, handle: Callable[[Any], Awaitable[None]], *, agent: str, out: Producer, sleep: Callable[[float], Awaitable[None]]
) -> str:
    delay = BACKOFF_FIRST
    while True:
        try:
            await handle(message)
            return "handled"
        except asyncio.CancelledError:
            raise
        except (InvalidEvent, Unprocessable, DomainError) as err:
            log.warning("%s: dead-lettered %s/%s@%s: %s", agent, message.topic, message.partition, message.offset, err)
            reason = str(err)
        except Exception as err:  # noqa: BLE001 - an outage waits, a bug dead-letters; neither stops the stream
            if is_transient(err):
                log.warning(
                    "%s: %s/%s@%s waits out %s: %s; again in %.1fs",
                    agent,
                    message.topic,
                    message.partition,
                    message.offset,
                    type(err).__name__,
                    err,
                    delay,
                )
                EVENTS_WAITED.labels(agent).inc()
                await sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            log.error("%s: failed on %s/%s@%s: %s", agent, message.topic, message.partition, message.offset, err)
            reason = f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=3)}"
        await _dead_letter_held(out, message, agent=agent, reason=reason, sleep=sleep)
        return "dead-lettered"


async def _dead_letter_held(out: Producer, message: Any, *, agent: str, reason: str, sleep: Callable[[float], Awaitable[None]]) -> None:
    """Dead-letter, waiting out a broker outage: a message leaves its partition only once its dead
    letter is on the broker."""
    delay = BACKOFF_FIRST
    while True:
        try:
            await dead_letter(out, message, agent=agent, reason=reason)
            return
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001
            if not is_transient(err):
                # The broker refused the copy itself (too large for it): send the reference instead.
                slim = dead_letter_record(message, agent=agent, reason=f"{reason} (copy refused: {type(err).__name__})", reference=True)
                try:
                    await (await out.send(t.dlq(str(message.topic)), slim))
                except Exception as final:  # noqa: BLE001 - the original stays on its topic; say where
                    log.critical(
                        "%s: %s/%s@%s could not be dead-lettered (%s): %s",
                        agent,
                        message.topic,
                        message.partition,
                        message.offset,
                        final,
                        reason,
                    )
                return
            log.warning("%s: dead letter waits out %s; again in %.1fs", agent, type(err).__name__, delay)
            await sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)


async def caught_up(version_of: Callable[[], Awaitable[int | None]], version: int, seconds: float) -> None:
    """Wait (bounded, holding no lock) until a single writer has folded ``version`` of its aggregate:
    the caller read it from the read model, which may be ahead of the writer's fold of the log. Still
    behind after the wait, the writer's version check refuses the command with the aggregate's state."""
    deadline = time.monotonic() + seconds
    while ((known := await version_of()) is None or known < version) and time.monotonic() < deadline:  # noqa: ASYNC110 - another agent folds it
        await asyncio.sleep(0.01)


async def each(stream: Any, *, agent: str, out: Producer, handle: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``handle(message)`` for every message of the stream (see :func:`handle_one`)."""
    async for event in stream.events():
        await handle_one(event.message, handle, agent=agent, out=out)


class Agent:
    """What an agent module registers through: the app's topics by name, the ports (``deps``), one
    producer, and the per-message catch. Agent modules never import the app, nor it them."""

    def __init__(self, app: Any, deps: Deps) -> None:
        self.app = app
        self.deps = deps
        self.producer: Producer = FaustSender(app)
        partitions = deps.settings.partitions

        def topic(name: str) -> Any:
            return app.topic(name, key_type=bytes, value_type=bytes, value_serializer="raw", key_serializer="raw", partitions=partitions)

        self.topics: dict[str, Any] = {name: topic(name) for name in t.ALL}

    def consume(
        self, topic: str, name: str, handle: Callable[[Any], Awaitable[None]], *, concurrency: int = 1, isolated: bool = False
    ) -> None:
        """Run ``handle(message)`` for every message of ``topic``; a message it cannot handle goes to ``<topic>.dlq``.

        ``isolated``: one actor per partition (Faust's ``isolated_partitions``): the partitions are handled
        side by side, each still in order, so one key's messages never overtake each other."""
        source = self.topics[topic]

        async def consumer(stream: Any) -> None:
            await each(stream, agent=name, out=self.producer, handle=handle)

        consumer.__name__ = consumer.__qualname__ = name.replace(".", "_")
        self.app.agent(source, name=name, concurrency=concurrency, isolated_partitions=isolated)(consumer)

    def every(
        self, seconds: float, name: str, tick: Callable[[], Awaitable[Any]], *, on_leader: bool = False, first_at_start: bool = False
    ) -> None:
        """A timer whose failure (an outage, a tick before the producer started) waits for the next tick.

        Faust's timer sleeps a whole interval before its first tick; ``first_at_start`` ticks as soon
        as the worker runs (and, ``on_leader``, once it is the leader), trying again every second
        until a tick has gone through: what fell due while nothing ran is not left for an interval."""

        async def timer() -> bool:
            try:
                await tick()
                return True
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.warning("%s failed: %s", name, err)
                return False

        if first_at_start:

            async def loop() -> None:
                await repeat(timer, seconds, ready=lambda: not on_leader or bool(self.app.is_leader()))

            loop.__name__ = loop.__qualname__ = name.replace(".", "_")
            self.app.task(loop)
            return
        timer.__name__ = timer.__qualname__ = name.replace(".", "_")
        self.app.timer(seconds, name=name, on_leader=on_leader)(timer)


async def repeat(
    tick: Callable[[], Awaitable[bool]],
    seconds: float,
    *,
    ready: Callable[[], bool] = lambda: True,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    soon: float = 1.0,
) -> None:
    """Tick now, then every ``seconds``; until a first tick has gone through (``ready`` and the tick
    answered True), try again every ``soon`` seconds instead."""
    through = False
    while True:
        if ready():
            through = await tick() or through
        await sleep(seconds if through else min(soon, seconds))
