"""An in-memory platform for unit tests: the same contract as the HTTP clients, with scripted faults."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime

from adapters.exceptions import OutcomeUnknown, RateLimited
from adapters.ports import Metrics, OutgoingPost, PublishedRef
from domain.accounts import Account


class Killed(BaseException):
    """The worker dying mid-call (a SIGKILL): nothing in the shell catches it, as nothing catches that."""


@dataclass
class FakePlatform:
    platform: str = "x"
    posts: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # id -> (account, text, created)
    faults: list[str] = field(default_factory=list)  # "rate_limit" | "hang_after_accept" | "die_after_accept", in order
    calls: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        self.calls += 1
        fault = self.faults.pop(0) if self.faults else None
        if fault == "rate_limit":
            raise RateLimited(self.platform, "rate limited", retry_after=30)
        pid = str(next(self._ids))
        self.posts[pid] = (account.platform_account_id, post.text, time.time())
        if fault == "hang_after_accept":
            raise OutcomeUnknown(self.platform, "no answer")
        if fault == "die_after_accept":
            raise Killed(f"killed while {self.platform} answered {pid}")
        return PublishedRef(pid, f"https://fake.example/{pid}")

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        for pid, (acct, text, created) in self.posts.items():
            if acct == account.platform_account_id and text == post.text and created >= since.timestamp():
                return PublishedRef(pid, f"https://fake.example/{pid}")
        return None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        return {pid: Metrics(likes=1, impressions=10) for pid in ids if pid in self.posts}

    async def count_followers(self, account: Account) -> int | None:
        """As many followers as ten per post it took, over a base of 100."""
        return 100 + 10 * sum(1 for acct, _, _ in self.posts.values() if acct == account.platform_account_id)
