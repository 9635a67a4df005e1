"""What a post earned: the counts every platform reports in its own words, and the rate the
analytics compare them by."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Metrics"]


@dataclass(frozen=True, slots=True)
class Metrics:
    likes: int = 0
    comments: int = 0
    shares: int = 0
    impressions: int = 0
    clicks: int = 0
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def engagement_rate(self) -> float:
        """Interactions per impression; 0 when the platform reports no impressions."""
        return round((self.likes + self.comments + self.shares + self.clicks) / self.impressions, 6) if self.impressions else 0.0
