"""The calendar's month view rendered server-side: ``socializer.web.calendar.build`` (days, hours,
cap and cooldown shading, ghosts) and its Jinja2 template over an in-memory month of posts, against
the same rows joined into HTML with a bare string join (no grid, no shading, no escaping).

The page's own reads are the calendar query, measured at 100k posts by ``--only calendar``; this
measures what the page adds. Run: ``python -m bench.run --only dashboard [--smoke]``; goal < 200 ms.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from random import Random
from types import SimpleNamespace
from typing import Any

from domain.schedule import SlotPolicy
from schemas.events import AccountSettings
from socializer.web.calendar import Ghost, build, render
from socializer.web.posts import PLATFORMS

Line = Callable[[str, str, str, str, str, bool], None]
TZ = "America/New_York"
MONTH = date(2026, 12, 1)


def month_of_posts(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` posts over December 2026 for one account per platform, as the calendar query returns them."""
    rng = Random(seed)
    start = datetime(2026, 11, 30, 5, tzinfo=UTC)
    posts = []
    for i in range(n):
        platform = PLATFORMS[i % 5]
        at = start + timedelta(minutes=rng.randrange(0, 33 * 24 * 60))
        posts.append(
            {
                "post_id": f"post-{i:05d}",
                "account_id": f"acct-{platform}",
                "platform": platform,
                "post_type": "announcement",
                "status": "published" if at < datetime(2026, 12, 10, tzinfo=UTC) else "scheduled",
                "preview": f"Post {i}: what event sourcing taught us about <scheduling> & retries #{platform}",
                "at": at,
                "version": 3,
            }
        )
    return sorted(posts, key=lambda p: p["at"])


def raw(posts: list[dict[str, Any]]) -> str:
    return "".join(f'<li data-post="{p["post_id"]}">{p["at"]:%H:%M} {p["platform"]} {p["preview"][:48]}</li>' for p in posts)


def timed(fn: Callable[[], object], reps: int) -> float:
    """The median of ``reps`` runs, in milliseconds."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_month(n: int, reps: int, line: Line) -> float:
    posts = month_of_posts(n)
    policies = {f"acct-{p}": SlotPolicy.of(AccountSettings(max_per_day=12, cooldown_hours=1), TZ) for p in PLATFORMS[:5]}
    ghosts = [
        Ghost(
            datetime(2026, 12, 20 + i % 5, 14 + i % 3, tzinfo=UTC),
            f"acct-{PLATFORMS[i % 5]}",
            PLATFORMS[i % 5],
            "expected +8% engagement (80 % interval -2% to +19%), learned from 40 posts",
        )
        for i in range(15)
    ]
    who = SimpleNamespace(site_id="bench", timezone=TZ, csrf="x" * 32, can_write=True)
    aside: list[dict[str, Any]] = []

    def ours() -> str:
        context = build("month", MONTH, TZ, [dict(p) for p in posts], policies=policies, ghosts=ghosts)
        return render(context, viewer=who, path="/socializer/calendar", aside=aside, views=("month", "week", "day", "list"))

    html = ours()
    assert html.count('class="chip') >= n * 0.9, "every post of the month is on the page"
    ms = timed(ours, reps)
    base = timed(lambda: raw([dict(p) for p in posts]), reps)
    line(f"calendar month page, {n} posts", f"{ms:.1f} ms", f"{base:.2f} ms", f"{ms / base:.0f}x", "< 200 ms", ms < 200)
    print(f"{'':<34} ({len(html) / 1024:.0f} KB of HTML; build + template render, median of {reps})")
    return ms
