"""The Video Creator's API so far: the voices, and the languages each speaks, behind the API key."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration


async def test_voices_say_which_languages_they_speak(system) -> None:  # type: ignore[no-untyped-def]
    async with system.client("itest-read") as api:
        r = await api.get("/api/v1/video/voices/")
    assert r.status_code == 200
    [voice] = r.json()["results"]
    assert voice["voice_id"] == "joe-us" and voice["languages"] == ["en"] and voice["offline"] is True
    anonymous = httpx.get(f"{system.api}/api/v1/video/voices/", timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == "application/problem+json"
