"""The Faust app factory. Built by a factory (never at import time) so tests get a fresh app bound
to their own loop. It imports no agent: the composition root passes the agents' ``register``
functions in, in flow order, and each one registers through an :class:`~streams.plumbing.Agent`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import faust

from streams.deps import Deps
from streams.plumbing import Agent

Register = Callable[[Agent], None]
MAX_FETCH_BYTES = 16 << 20


def create_app(deps: Deps, agents: Sequence[Register], *, app_id: str = "socializer") -> tuple[faust.App, Agent]:
    s = deps.settings
    app = faust.App(
        app_id,
        broker=[f"kafka://{b.strip()}" for b in s.broker.split(",")],
        value_serializer="raw",
        key_serializer="raw",
        topic_partitions=s.partitions,
        topic_replication_factor=s.replication,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=s.session_timeout_seconds,
        broker_heartbeat_interval=max(1.0, s.session_timeout_seconds / 5),
        broker_commit_interval=1.0,
        web_enabled=False,
        producer_linger_ms=5,
        stream_wait_empty=False,
        # A record larger than the fetch size would stall its partition: fetch past the largest a
        # producer may send, so an oversized message reaches the agent and is refused with a reason.
        consumer_max_fetch_size=MAX_FETCH_BYTES,
    )
    agent = Agent(app, deps)
    for register in agents:
        register(agent)
    return app, agent


def quiet_loggers(level: str) -> None:
    """Faust leaves its loggers at DEBUG; every send then builds a record that is thrown away."""
    lvl = getattr(logging, level.upper(), logging.WARNING)
    logging.getLogger().setLevel(lvl)
    # httpx logs every request's URL at INFO: no URL of ours carries a secret, but none should ever be logged.
    for name in ("faust", "mode", "aiokafka", "kafka", "httpx", "httpcore", "authlib"):
        logging.getLogger(name).setLevel(max(lvl, logging.WARNING))
