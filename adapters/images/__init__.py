"""Images for posts: platform sizes with a content-aware crop, quote cards and carousel slides,
rendered in a process pool (never on the event loop) and kept in a content-addressed media store."""

from __future__ import annotations

from typing import Any, Protocol


class MediaRenderer(Protocol):
    """Renders a draft's media plan for a platform; returns the stored images' public URLs
    (:class:`adapters.images.service.MediaService`)."""

    async def materialize(self, plan: dict[str, Any], platform: str) -> list[str]: ...
