"""The hidden truth behind the sandbox's engagement, so posting time matters as it does on the platforms.

A post's final engagement is drawn, deterministically per post, from:
- its account's **response curve**: log multipliers over weekday × local hour (``curve[d][h]``,
  d = 0 Monday) in the account's time zone — by default a smooth daily shape whose peak hour (and a
  little weekday tilt) comes from a hash of the account, set through the operator API;
- the post's **content quality**, from a hash of its text and media;
- **noise**, seeded by the post id;
and reached over its age along the platform's **decay**: ``1 - 2^(-age / half-life)``, with the
half-lives of Graffius, "Lifespan (Half-Life) of Social Media Posts" (scottgraffius.com, 2018-2024):
X ~24 min, Facebook ~1 h, Instagram ~20 h, LinkedIn ~24 h, YouTube ~9 days; TikTok's For You feed
keeps resurfacing posts, taken here as a day.

The sandbox's clock: ``day_seconds`` real seconds are one platform day (``growth_seconds`` of the
app), so tests see a day's decay in seconds."""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HALF_LIFE_HOURS = {"x": 0.4, "facebook": 1.0, "instagram": 20.0, "linkedin": 24.0, "tiktok": 24.0, "youtube": 9 * 24.0}
# Final impressions of an average post at an average hour, before the curve, quality and noise.
BASE_IMPRESSIONS = {"x": 1500, "facebook": 1200, "instagram": 2500, "linkedin": 1800, "tiktok": 4000, "youtube": 3000}
AMPLITUDE = 1.0  # the default curve's log swing: its peak hour earns e^2 (~7x) its trough's
QUALITY_SD, NOISE_SD = 0.25, 0.35


def _h(*parts: str) -> int:
    return int(hashlib.sha256(":".join(parts).encode()).hexdigest()[:12], 16)


def daily_shape(peak_hour: float, tilt: list[float] | None = None) -> list[list[float]]:
    """A smooth day: ``AMPLITUDE * cos`` around ``peak_hour``, plus a log offset per weekday."""
    tilt = tilt or [0.0] * 7
    return [[round(AMPLITUDE * math.cos(2 * math.pi * (h - peak_hour) / 24) + tilt[d], 6) for h in range(24)] for d in range(7)]


@dataclass
class Curve:
    timezone: str = "UTC"
    curve: list[list[float]] = field(default_factory=lambda: daily_shape(12))
    peak_hour: int | None = None  # when set through the shorthand, or the default's

    def multiplier(self, created_at: float) -> float:
        local = datetime.fromtimestamp(created_at, ZoneInfo(self.timezone))
        return self.curve[local.weekday()][local.hour]

    def as_json(self) -> dict:
        return {"timezone": self.timezone, "curve": self.curve, "peak_hour": self.peak_hour}


def default_curve(platform: str, account: str) -> Curve:
    """An account's own curve until an operator sets one: a peak between 07:00 and 21:00 and a weekday tilt of ±0.2."""
    h = _h("curve", platform, account)
    peak = 7 + h % 15
    tilt = [((h >> (8 + 3 * d)) % 5 - 2) / 10 for d in range(7)]
    return Curve("UTC", daily_shape(peak, tilt), peak)


def parse_curve(body: dict, current: Curve) -> Curve:
    """``{"timezone", "curve": [[float × 24] × 7]}`` or the shorthand ``{"peak_hour": 19}`` (with an
    optional ``timezone``); raises ValueError with what is wrong."""
    tz = body.get("timezone", current.timezone)
    if not isinstance(tz, str):
        raise ValueError("timezone must be an IANA zone name")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown timezone {tz!r}") from err
    if "peak_hour" in body and body["peak_hour"] is not None:
        peak = body["peak_hour"]
        if not isinstance(peak, int) or isinstance(peak, bool) or not 0 <= peak <= 23:
            raise ValueError("peak_hour must be an integer 0-23")
        return Curve(tz, daily_shape(peak), peak)
    grid = body.get("curve")
    if grid is None:
        return Curve(tz, current.curve, current.peak_hour)
    ok = (
        isinstance(grid, list)
        and len(grid) == 7
        and all(
            isinstance(row, list) and len(row) == 24 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in row)
            for row in grid
        )
    )
    if not ok or not all(math.isfinite(v) and abs(v) <= 10 for row in grid for v in row):
        raise ValueError("curve must be 7 lists (Monday first) of 24 finite log multipliers (|v| <= 10)")
    return Curve(tz, [[float(v) for v in row] for row in grid], None)


def quality(text: str, media: str = "") -> float:
    """The content's own pull (log), the same for the same words and pictures."""
    return random.Random(_h("quality", text, media)).gauss(0, QUALITY_SD)


def final_counts(post_id: str, platform: str, text: str, media: str, created_at: float, curve: Curve) -> dict[str, float]:
    """What the post earns in the end (unrounded); deterministic per post."""
    rng = random.Random(f"sandbox-post:{post_id}")
    log_mult = curve.multiplier(created_at) + quality(text, media) + rng.gauss(0, NOISE_SD)
    impressions = BASE_IMPRESSIONS.get(platform, 1500) * math.exp(log_mult)
    return {
        "impressions": impressions,
        "likes": impressions * rng.uniform(0.02, 0.08),
        "comments": impressions * rng.uniform(0.002, 0.006),
        "shares": impressions * rng.uniform(0.004, 0.008),
        "clicks": impressions * rng.uniform(0.01, 0.03),
        "saves": impressions * rng.uniform(0.003, 0.008),
        "reach_share": rng.uniform(0.7, 0.9),
    }


def reached(platform: str, age_seconds: float) -> float:
    """The share of its final engagement a post has reached at this (platform) age."""
    half = HALF_LIFE_HOURS.get(platform, 24.0) * 3600
    return 1 - 2 ** (-max(0.0, age_seconds) / half)
