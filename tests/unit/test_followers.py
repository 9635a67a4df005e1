"""Followers over time: the leader counts each active analytics account where its platform reports
followers; the engagement projection keeps each count once."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.accounts import MemoryAccounts, MemoryTokens
from adapters.kafka import MemoryProducer
from adapters.platforms.fake import FakePlatform
from adapters.ports import OutgoingPost
from domain.accounts import Account
from projections.read_models import ENGAGEMENT
from schemas import topics as t
from schemas.events import FollowersCounted
from schemas.registry import registry
from streams import engagement

NOW = datetime(2026, 3, 29, 12, tzinfo=UTC)
X = Account(account_id="a-x", platform="x", platform_account_id="u1", handle="me", site_id="s1", scopes=[])
LI = Account(account_id="a-li", platform="linkedin", platform_account_id="urn:li:person:p", handle="li", site_id="s1")
GONE = Account(account_id="a-gone", platform="x", platform_account_id="u2", handle="gone", site_id="s1", status="disconnected")
PUBLISH_ONLY = Account(  # connected to publish only: its grant lacks the analytics scopes
    account_id="a-pub", platform="tiktok", platform_account_id="t3", handle="pub", site_id="s2", scopes=["user.info.basic", "video.publish"]
)


async def test_each_active_account_granted_analytics_is_counted_once_per_tick() -> None:
    x = FakePlatform()
    await x.create_post(X, OutgoingPost(post_id="p1", text="hi"))
    accounts = MemoryAccounts([X, LI, GONE, PUBLISH_ONLY])
    out = MemoryProducer()
    # LinkedIn is not in the platforms given: an account whose platform counts nothing is skipped.
    platforms = {"x": x, "tiktok": FakePlatform("tiktok")}
    n = await engagement.count_followers(accounts, MemoryTokens(accounts), platforms, out, now=NOW)
    (counted,) = out.messages(t.ENGAGEMENT)
    assert n == 1 and isinstance(counted, FollowersCounted)
    assert (counted.account_id, counted.site_id, counted.platform, counted.followers, counted.counted_at) == ("a-x", "s1", "x", 110, NOW)


def test_the_projection_keeps_each_count_by_account_and_instant() -> None:
    ev = FollowersCounted(site_id="s1", account_id="a-x", platform="x", followers=120, counted_at=NOW)
    decoded = registry.decode(registry.envelope(ev, source="tests", subject="a-x").encode())
    assert ENGAGEMENT.statements(decoded) == [("followers", ("a-x", NOW, "s1", "x", 120))]
    assert "follower_counts" in ENGAGEMENT.tables and "ON CONFLICT DO NOTHING" in ENGAGEMENT.sql["followers"]
