"""relay: send the outbox's account events to ``social.accounts``. The API sends them right after
its commit; this timer catches whatever it could not (a broker hiccup, a crash in between)."""
from __future__ import annotations

import logging
from typing import Any

from adapters import outbox

log = logging.getLogger("socializer.relay")


def register(app: Any, topics: Any, deps: Any) -> None:
    async def send(topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> Any:
        return await app.producer.send(topic, key, value, partition=None, timestamp=None, headers=headers)

    @app.timer(1.0, name="relay.outbox")
    async def relay_outbox() -> None:
        try:
            while await outbox.relay(await deps.db(), send) >= 200:
                pass
        except Exception as err:  # the rows stay unsent; the next tick tries again
            log.warning("outbox relay failed: %s", err)
