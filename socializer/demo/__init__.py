"""The demo: one site, the accounts ``socializer up`` connects through the sandbox's OAuth flows, and
sample accounts (without the flow) for the engine's benchmarks and pure tests."""

from __future__ import annotations

from dataclasses import dataclass

from domain.accounts import Account, AccountSettings, Site


@dataclass(frozen=True)
class DemoConnection:
    """An account the demo connects through the sandbox's OAuth flow, as a user would."""

    platform: str
    sandbox_user: str
    account_type: str
    settings: AccountSettings


def demo_connections() -> list[DemoConnection]:
    """One account per platform posting on one-minute slots, plus a LinkedIn member whose posts wait
    for review (drafts), so a newcomer sees every status within minutes."""
    fast = AccountSettings(auto_publish=True, max_per_day=500, cooldown_hours=0, interval_minutes=1)
    return [
        DemoConnection("linkedin", "demo", "organization", fast),
        DemoConnection("linkedin", "demo-editor", "personal", AccountSettings(auto_publish=False)),
        DemoConnection("x", "demo", "personal", fast),
        DemoConnection("facebook", "demo", "page", fast),
        DemoConnection("instagram", "demo", "business", fast),
        DemoConnection("tiktok", "demo", "personal", fast),
        DemoConnection("youtube", "demo", "channel", fast),
    ]


def demo_sites() -> list[Site]:
    return [
        # The demo publishes on its own, to show the whole flow; a new site starts in manual review.
        Site(
            site_id="demo",
            name="Demo Co blog",
            timezone="Europe/Berlin",
            post_types=["announcement", "quote_card", "carousel", "thread"],
            auto_social_publish=True,
        )
    ]


def sample_accounts(site_id: str = "demo") -> list[Account]:
    """Accounts as the demo's connections yield them, without the flow: for the engine's benchmarks
    and the pure tests of generation, which need targets but no tokens."""
    return [
        Account(
            account_id=f"{site_id}-{c.platform}-{c.sandbox_user}",
            platform=c.platform,
            site_id=site_id,  # type: ignore[arg-type]
            platform_account_id=f"{c.platform}-{i}",
            handle=c.sandbox_user,
            account_type=c.account_type,
            settings=c.settings,
        )
        for i, c in enumerate(demo_connections())
        if c.platform != "youtube"
    ]


def demo_video_content_id() -> str:
    """The demo article ``socializer up`` turns into a short video."""
    return "demo-1"
