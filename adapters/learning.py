"""What the best-time learner is told: each published post's engagement at 24 h — taken from its
24 h snapshot, or imputed from an earlier one through the platform's decay — with the post's
local weekday and hour and its content covariates. Read from the read models (posts and their
snapshots), never from a platform.

:class:`Learning` is the port the scheduler and the API ask for an account's beliefs;
:class:`PostgresLearning` reads Postgres; :class:`MemoryLearning` is the fake.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from domain import learner
from domain.learner import Beliefs, Evidence

DAY = 86400.0
# Evidence older than this many half-lives weighs under 1/16: not worth reading.
KEEP_HALF_LIVES = 4


class Learning(Protocol):
    async def beliefs(self, account_id: str, platform: str, site_id: str, timezone: str, best_times: Sequence[str] = ()) -> Beliefs:
        """The account's beliefs: the platform's prior, pooled over the site's other accounts of the
        platform, updated with the account's own results."""
        ...


def evidence_of(rows: Sequence[Any], timezone: str, platform: str, age_scale: float) -> list[Evidence]:
    """One piece of evidence per post: its latest snapshot no older than 24 h, imputed to 24 h."""
    tz = ZoneInfo(timezone)
    out = []
    for r in rows:
        local = r["published_at"].astimezone(tz)
        age_hours = r["age_seconds"] / age_scale / 3600
        value = learner.impute_24h(math.log1p(r["interactions"]), age_hours, platform)
        out.append(
            Evidence(
                weekday=local.weekday(),
                hour=local.hour,
                value=value,
                at=r["published_at"],
                post_type=r["post_type"],
                media=bool(r["media"]),
                virality=float(r["virality"] or 0) / 100,
            )
        )
    return out


# The latest snapshot of each of an account's posts that is at most 24 h old (scaled).
_EVIDENCE = """
SELECT DISTINCT ON (h.post_id) h.post_id, p.published_at, p.post_type, cardinality(p.media_urls) > 0 AS media, p.virality,
       h.likes + h.comments + h.shares AS interactions, h.age_seconds
  FROM engagement_history h JOIN posts p USING (post_id)
 WHERE p.account_id = $1 AND p.status = 'published' AND p.published_at > $2
   AND h.age_seconds IS NOT NULL AND h.age_seconds > 0 AND h.age_seconds <= $3
 ORDER BY h.post_id, h.age_seconds DESC
"""


class PostgresLearning:
    def __init__(
        self, pool: Any, *, age_scale: float = 1.0, ttl_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.pool = pool
        self.age_scale = age_scale
        self.ttl = ttl_seconds
        self.clock = clock
        self._cache: dict[tuple[str, ...], tuple[float, Beliefs]] = {}

    async def evidence(self, account_id: str, platform: str, timezone: str) -> list[Evidence]:
        since = datetime.now(UTC) - timedelta(days=learner.HALF_LIFE_DAYS * KEEP_HALF_LIVES * self.age_scale)
        rows = await self.pool.fetch(_EVIDENCE, account_id, since, DAY * self.age_scale)
        return evidence_of(rows, timezone, platform, self.age_scale)

    async def beliefs(self, account_id: str, platform: str, site_id: str, timezone: str, best_times: Sequence[str] = ()) -> Beliefs:
        key = (account_id, platform, site_id, timezone, *best_times)
        hit = self._cache.get(key)
        if hit and self.clock() - hit[0] < self.ttl:
            return hit[1]
        now = datetime.now(UTC)
        base = learner.prior(platform, tuple(best_times))
        others = await self.pool.fetch(
            "SELECT account_id FROM accounts WHERE site_id = $1 AND platform = $2 AND account_id <> $3 AND status <> 'disconnected'",
            site_id,
            platform,
            account_id,
        )
        learned = []
        for o in others:
            ev = await self.evidence(o["account_id"], platform, timezone)
            if ev:
                learned.append(learner.learn(base, ev, now))
        prior = learner.pooled_prior(platform, learned, tuple(best_times)) if learned else base
        beliefs = learner.learn(prior, await self.evidence(account_id, platform, timezone), now)
        self._cache[key] = (self.clock(), beliefs)
        return beliefs


class MemoryLearning:
    """The fake: evidence per account, set by the test."""

    def __init__(self, evidence: dict[str, list[Evidence]] | None = None, now: Callable[[], datetime] | None = None) -> None:
        self.evidence = evidence or {}
        self.now = now or (lambda: datetime.now(UTC))

    async def beliefs(self, account_id: str, platform: str, site_id: str, timezone: str, best_times: Sequence[str] = ()) -> Beliefs:
        return learner.learn(learner.prior(platform, tuple(best_times)), self.evidence.get(account_id, []), self.now())
