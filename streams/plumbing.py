"""What every agent shares: registering through :class:`Agent`, and dead-lettering one message
without stopping.

Faust acks a message whose agent raised, so an agent never lets an exception escape: each message
is handled inside :func:`each`, and a failure sends the original bytes and headers to ``<topic>.dlq``
with the reason, the agent and the source position as headers.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.kafka import FaustSender, Producer
from domain.exceptions import DomainError
from schemas import topics as t
from schemas.exceptions import InvalidEvent
from streams.deps import Deps
from streams.exceptions import Unprocessable

log = logging.getLogger("socializer.streams")


async def dead_letter(dlq_topic: Any, message: Any, *, agent: str, reason: str) -> None:
    headers = list(message.headers.items() if isinstance(message.headers, dict) else message.headers or [])
    headers += [
        ("dlq-reason", reason.encode()[:4000]),
        ("dlq-agent", agent.encode()),
        ("dlq-topic", str(message.topic).encode()),
        ("dlq-partition", str(message.partition).encode()),
        ("dlq-offset", str(message.offset).encode()),
    ]
    fut = await dlq_topic.send(key=message.key, value=message.value, headers=headers, force=True)
    await fut


async def each(stream: Any, *, agent: str, dlq_topic: Any, handle: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``handle(message)`` for every message; dead-letter the ones that fail, keep going."""
    async for event in stream.events():
        message = event.message
        try:
            await handle(message)
        except (InvalidEvent, Unprocessable, DomainError) as err:
            log.warning("%s: dead-lettered %s/%s@%s: %s", agent, message.topic, message.partition, message.offset, err)
            await dead_letter(dlq_topic, message, agent=agent, reason=str(err))
        except asyncio.CancelledError:
            raise
        except Exception as err:  # a bug or an outage on one message must not stop the stream
            log.error("%s: failed on %s/%s@%s: %s", agent, message.topic, message.partition, message.offset, err)
            reason = f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=3)}"
            await dead_letter(dlq_topic, message, agent=agent, reason=reason)


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

    def consume(self, topic: str, name: str, handle: Callable[[Any], Awaitable[None]], *, concurrency: int = 1) -> None:
        """Run ``handle(message)`` for every message of ``topic``; a message it cannot handle goes to ``<topic>.dlq``."""
        source, dlq_topic = self.topics[topic], self.topics[t.dlq(topic)]

        async def consumer(stream: Any) -> None:
            await each(stream, agent=name, dlq_topic=dlq_topic, handle=handle)

        consumer.__name__ = consumer.__qualname__ = name.replace(".", "_")
        self.app.agent(source, name=name, concurrency=concurrency)(consumer)

    def every(self, seconds: float, name: str, tick: Callable[[], Awaitable[Any]], *, on_leader: bool = False) -> None:
        """A timer whose failure (an outage, a tick before the producer started) waits for the next tick."""

        async def timer() -> None:
            try:
                await tick()
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.warning("%s failed: %s", name, err)

        timer.__name__ = timer.__qualname__ = name.replace(".", "_")
        self.app.timer(seconds, name=name, on_leader=on_leader)(timer)
