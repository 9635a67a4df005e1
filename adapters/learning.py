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

# Evidence older than this many half-lives weighs under 1/16: not worth reading.
KEEP_HALF_LIVES = 4


class Learning(Protocol):
    async def beliefs(self, account_id: str, platform: str, site_id: str, timezone: str, best_times: Sequence[str] = ()) -> Beliefs:
        """The account's beliefs: the platform's prior, pooled over the site's other accounts of the
        platform, updated with the account's own results."""
        ...


def nominal_hours(label: str) -> float | None:
    """A snapshot label's age in hours ("1h" 1, "24h" 24, "7d" 168, "30m" 0.5): the age it stands for,
    whatever the deployment's age scale; None for a reading from before labels."""
    units = {"m": 1 / 60, "h": 1.0, "d": 24.0}
    if len(label) < 2 or label[-1] not in units or not label[:-1].isdigit():
        return None
    return int(label[:-1]) * units[label[-1]]


def evidence_of(rows: Sequence[Any], timezone: str, platform: str) -> list[Evidence]:
    """One piece of evidence per post: its 24 h snapshot, else its latest earlier one imputed to 24 h
    through the platform's decay."""
    tz = ZoneInfo(timezone)
    best: dict[str, tuple[float, Any]] = {}
    for r in rows:
        hours = nominal_hours(r["label"])
        if hours is None or not 0 < hours <= 24:
            continue
        if r["post_id"] not in best or hours > best[r["post_id"]][0]:
            best[r["post_id"]] = (hours, r)
    out = []
    for age_hours, r in best.values():
        local = r["published_at"].astimezone(tz)
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


# The labelled snapshots of an account's published posts (evidence_of keeps one per post).
_EVIDENCE = """
SELECT h.post_id, h.label, p.published_at, p.post_type, jsonb_array_length(p.media_urls) > 0 AS media, p.virality,
       h.likes + h.comments + h.shares AS interactions
  FROM engagement_history h JOIN posts p USING (post_id)
 WHERE p.account_id = $1 AND p.status = 'published' AND p.published_at > $2 AND h.label <> ''
"""


class PostgresLearning:
    def __init__(self, pool: Any, *, ttl_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.pool = pool
        self.ttl = ttl_seconds
        self.clock = clock
        self._cache: dict[tuple[str, ...], tuple[float, Beliefs]] = {}

    async def evidence(self, account_id: str, platform: str, timezone: str) -> list[Evidence]:
        since = datetime.now(UTC) - timedelta(days=learner.HALF_LIFE_DAYS * KEEP_HALF_LIVES)
        rows = await self.pool.fetch(_EVIDENCE, account_id, since)
        return evidence_of(rows, timezone, platform)

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
