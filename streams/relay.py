"""relay: send the outbox's account events to ``social.accounts``. The API sends them right after
its commit; this timer catches whatever it could not (a broker hiccup, a crash in between)."""

from __future__ import annotations

from adapters.kafka import Producer
from adapters.outbox import OutboxRelay
from streams.plumbing import Agent

BATCH = 200


async def relay_all(outbox: OutboxRelay, out: Producer) -> int:
    sent = total = 0
    while (sent := await outbox.relay(out, BATCH)) >= BATCH:
        total += sent
    return total + sent


def register(agent: Agent) -> None:
    agent.every(1.0, "relay.outbox", lambda: relay_all(agent.deps.outbox, agent.producer))
