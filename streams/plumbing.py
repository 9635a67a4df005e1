"""What every agent shares: sending enveloped events, and dead-lettering one message without stopping.

Faust acks a message whose agent raised, so an agent never lets an exception escape: each message
is handled inside :func:`each`, and a failure sends the original bytes and headers to ``<topic>.dlq``
with the reason, the agent and the source position as headers.
"""
from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from schemas.envelope import Envelope
from schemas.exceptions import InvalidEvent
from streams.exceptions import Unprocessable

log = logging.getLogger("socializer.streams")


async def send_all(topic: Any, items: Iterable[tuple[str, Envelope]], *, wait: bool = True) -> None:
    """Send every (key, envelope).

    ``wait=False`` is for agents: Faust flushes the producer before it commits the source offsets,
    so what an agent sent is on the broker before its input counts as processed (at-least-once)
    without paying a round trip per message. Timers and anything that records "sent" in a database
    afterwards wait for the broker's acknowledgement.
    """
    # Straight to the app's producer: Faust's Topic.send costs ~150 µs of bookkeeping per message.
    producer = topic.app.producer
    name = topic.get_topic_name()
    futures = [await producer.send(name, key.encode(), env.encode(), None, None, env.headers()) for key, env in items]
    if wait and futures:
        await asyncio.gather(*futures)


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
        except (InvalidEvent, Unprocessable) as err:
            log.warning("%s: dead-lettered %s/%s@%s: %s", agent, message.topic, message.partition, message.offset, err)
            await dead_letter(dlq_topic, message, agent=agent, reason=str(err))
        except asyncio.CancelledError:
            raise
        except Exception as err:  # a bug or an outage on one message must not stop the stream
            log.error("%s: failed on %s/%s@%s: %s", agent, message.topic, message.partition, message.offset, err)
            reason = f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=3)}"
            await dead_letter(dlq_topic, message, agent=agent, reason=reason)
