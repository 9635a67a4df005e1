"""Which failures are worth waiting out: an outage of the database, the broker or a platform.

A message whose handling failed for one of these is held and retried in place; anything else that
fails can never succeed as it is and goes to the dead-letter topic.
"""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaError

from adapters.exceptions import Unavailable

_TRANSIENT: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted
    TimeoutError,
    OSError,  # a network path that went away
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,  # the server is starting or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    Unavailable,  # a platform or token endpoint that could not be reached
)


def is_transient(err: BaseException) -> bool:
    if isinstance(err, KafkaError):
        return bool(err.retriable)
    if isinstance(err, asyncpg.exceptions.InternalClientError):
        # The connection was cut mid-operation and left in a state it cannot leave ("cannot switch to
        # state ..."): the pool throws it away on release, the next try gets a fresh one.
        return "cannot switch to state" in str(err) or "another operation" in str(err)
    if isinstance(err, asyncpg.InterfaceError):
        return "pool is closing" in str(err) or "connection is closed" in str(err)
    return isinstance(err, _TRANSIENT)
