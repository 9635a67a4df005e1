"""refresh: keep tokens fresh. Hourly, every worker looks for active accounts whose token expires
within the horizon (2 h) and refreshes them; the row lock and token version in
:class:`adapters.accounts.tokens.TokenSource` make it one refresh per account however many workers
look at once. Publishing refreshes on its own too (a token about to expire, or a 401)."""

from __future__ import annotations

import logging

from adapters.accounts import Tokens
from streams.plumbing import Agent

log = logging.getLogger("socializer.refresh")


async def refresh_due(tokens: Tokens, horizon_seconds: float) -> tuple[int, int]:
    done, failed = await tokens.refresh_due(horizon_seconds)
    if done or failed:
        log.info("refreshed %d account token(s), %d failed", done, failed)
    return done, failed


def register(agent: Agent) -> None:
    s = agent.deps.settings
    agent.every(s.refresh_interval_seconds, "refresh.tokens", lambda: refresh_due(agent.deps.tokens, s.refresh_horizon_seconds))
