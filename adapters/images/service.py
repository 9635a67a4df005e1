"""Turns a draft's media plan into stored images: fetches sources over HTTP, renders in a process
pool, stores the bytes. Async at the edge, blocking work in other processes."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import httpx
import orjson

from adapters.images import render
from adapters.images.store import MediaStore

log = logging.getLogger("socializer.media")
MAX_SOURCE_BYTES = 40 << 20


class MediaError(Exception):
    pass


class MediaService:
    def __init__(self, store: MediaStore, http: httpx.AsyncClient, executor: Executor | None = None, workers: int = 2) -> None:
        self.store = store
        self.http = http
        self.executor = executor or ProcessPoolExecutor(max_workers=workers)
        self._sources: dict[str, asyncio.Future[bytes]] = {}  # one download per source, shared by its platforms
        self._renders: dict[str, asyncio.Future[list[str]]] = {}  # one render per (plan, platform): two accounts share it

    async def _run(self, fn: Any, *args: Any) -> render.Rendered:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def fetch(self, url: str) -> bytes:
        fut = self._sources.get(url)
        if fut is None:
            fut = self._sources[url] = asyncio.ensure_future(self._download(url))
            while len(self._sources) > 8:
                self._sources.pop(next(iter(self._sources)))
        return await asyncio.shield(fut)

    async def _download(self, url: str) -> bytes:
        try:
            async with self.http.stream("GET", url, timeout=15.0, follow_redirects=True) as resp:
                if resp.status_code != 200:
                    raise MediaError(f"{url}: HTTP {resp.status_code}")
                chunks, size = [], 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_SOURCE_BYTES:
                        raise MediaError(f"{url}: larger than {MAX_SOURCE_BYTES >> 20} MB")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as err:
            raise MediaError(f"{url}: {type(err).__name__}") from err

    async def materialize(self, plan: dict[str, Any], platform: str) -> list[str]:
        key = orjson.dumps([plan, platform], option=orjson.OPT_SORT_KEYS).decode()
        fut = self._renders.get(key)
        if fut is None or (fut.done() and fut.exception() is not None):
            fut = self._renders[key] = asyncio.ensure_future(self._materialize(plan, platform))
            while len(self._renders) > 64:
                self._renders.pop(next(iter(self._renders)))
        return list(await asyncio.shield(fut))

    async def _materialize(self, plan: dict[str, Any], platform: str) -> list[str]:
        kind = plan.get("kind")
        if kind == "resize":
            out = await self._run(render.fit, await self.fetch(plan["source"]), platform)
            return [await self.store.put(out.data, out.ext)]
        if kind == "quote_card":
            out = await self._run(render.quote_card, plan["text"], plan.get("attribution", ""), platform)
            return [await self.store.put(out.data, out.ext)]
        if kind == "carousel":
            slides = plan["slides"][:10]
            rendered = await asyncio.gather(
                *(self._run(render.carousel_slide, s, i, len(slides), platform) for i, s in enumerate(slides, 1))
            )
            return [await self.store.put(r.data, r.ext) for r in rendered]
        raise MediaError(f"unknown media plan {kind!r}")
