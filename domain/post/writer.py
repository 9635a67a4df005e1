"""What a writer is: the rule writer (:mod:`domain.post.rules`) writes offline and deterministically;
an LLM writer (an adapter) calls out, so it is async. Whatever writes a draft, the validator has the
last word."""

from __future__ import annotations

from typing import Protocol

from domain.post.reading import Digest
from domain.post.rules import Draft


class Writer(Protocol):
    name: str

    def write(self, digest: Digest, url: str, platform: str, post_type: str) -> Draft | None: ...


class AsyncWriter(Protocol):
    name: str

    async def awrite(self, digest: Digest, url: str, platform: str, post_type: str) -> Draft | None: ...
