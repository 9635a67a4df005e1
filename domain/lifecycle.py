"""A post's lifecycle, as sets of states written once: the decider (:mod:`commands.posts`) and
every reader ask these instead of spelling the states out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# What a manager may still change: schedule, edit, publish now, cancel.
EDITABLE: frozenset[str] = frozenset({"draft", "scheduled", "failed"})
# Where a post ends: nothing moves it on.
TERMINAL: frozenset[str] = frozenset({"published", "cancelled"})


@dataclass(frozen=True, slots=True)
class PostState:
    """A post as its single writer knows it: enough to decide a command."""

    post_id: str
    site_id: str
    account_id: str
    platform: str
    status: str = "draft"
    scheduled_at: datetime | None = None
    version: int = 0  # how many lifecycle events the post has had: what optimistic concurrency compares
    # What it says, as drafted and edited: an edit is checked against the whole post, not the change alone.
    post_type: str = "announcement"
    text: str = ""
    hashtags: tuple[str, ...] = ()
    link_url: str | None = None
    thread: tuple[str, ...] | None = None
    media_urls: tuple[str, ...] = ()
