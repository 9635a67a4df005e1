"""The Video Creator's API (being built: issue 10). Voices first: which languages each speaks, so a
dashboard offers only what can be narrated — an article in another language is refused, never read
with English phonemes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from adapters.api_keys import Caller
from adapters.voice.piper import PiperSynthesizer
from socializer.http.deps import reader
from socializer.http.models import PROBLEMS
from socializer.http.problems import ORJSON

router = APIRouter(prefix="/api/v1/video", responses=PROBLEMS)


class VoiceOut(BaseModel):
    voice_id: str
    languages: list[str] = Field(description="ISO 639-1 codes of the languages it speaks")
    words_per_second: float = Field(description="what script durations are estimated with, before synthesis measures them")
    offline: bool = Field(description="runs on this machine, nothing downloaded")


class VoiceList(BaseModel):
    count: int
    results: list[VoiceOut]


@router.get("/voices/", response_model=VoiceList, summary="The voices that can narrate a video, and the languages each speaks")
async def voices(who: Caller = reader) -> Any:
    found = [
        VoiceOut(voice_id=v.voice_id, languages=list(v.languages), words_per_second=v.words_per_second, offline=v.offline)
        for v in PiperSynthesizer().voices()
    ]
    return ORJSON(VoiceList(count=len(found), results=found).model_dump(mode="json"))
