"""refresh: keep tokens fresh. Hourly, every worker looks for active accounts whose token expires
within the horizon (2 h) and refreshes them; the row lock and token version in
:class:`adapters.accounts.tokens.TokenSource` make it one refresh per account however many workers
look at once. Publishing refreshes on its own too (a token about to expire, or a 401)."""
from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("socializer.refresh")


def register(app: Any, topics: Any, deps: Any) -> None:
    s = deps.settings

    @app.timer(s.refresh_interval_seconds, name="refresh.tokens", on_leader=False)
    async def refresh_tokens() -> None:
        try:
            done, failed = await (await deps.tokens()).refresh_due(s.refresh_horizon_seconds)
            if done or failed:
                log.info("refreshed %d account token(s), %d failed", done, failed)
        except Exception as err:  # an outage waits for the next tick
            log.warning("token refresh round failed: %s", err)
