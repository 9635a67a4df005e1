"""The Faust app factory. Built by a factory (never at import time) so tests get a fresh app bound
to their own loop. It imports no agent: the composition root passes the agents' ``register``
functions in, in flow order, and each one registers through an :class:`~streams.plumbing.Agent`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import faust
from faust.transport.drivers import aiokafka as driver

from streams.deps import Deps
from streams.plumbing import Agent

Register = Callable[[Agent], None]
MAX_FETCH_BYTES = 16 << 20


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Faust hard-codes fetch_max_wait_ms=1500; the fetcher reads it when the consumer starts.
        consumer._fetch_max_wait_ms = self.app.fetch_wait_ms  # noqa: SLF001 - no public knob
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(driver.Transport):
    Consumer = _Consumer


class App(faust.App):
    """Faust's app with the fetch wait as a setting: an idle fetch held at the broker for Faust's
    fixed 1.5 s made every command wait ~0.7 s for its writer on Tansu (measured)."""

    fetch_wait_ms = 10

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)


def create_app(deps: Deps, agents: Sequence[Register], *, app_id: str = "socializer") -> tuple[faust.App, Agent]:
    s = deps.settings
    app = App(
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
    app.fetch_wait_ms = s.fetch_wait_ms
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
