"""What a section looks like on screen, decided before anything is drawn: its still (the
article's image for the part, else a card), its motion, and how long it stays (the narration's
measured length). Each section is one segment: regenerating one section re-renders one segment."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from domain.video.script import Script, Section
from domain.video.timeline import Motion, motions

Visual = Literal["image", "title", "figure", "code", "cta"]


@dataclass(frozen=True)
class Shot:
    visual: Visual
    source: str  # the image URL, or the card's text
    motion: Motion
    code: str | None = None

    def key(self, width: int, height: int) -> str:
        return digest({"shot": asdict(self), "size": [width, height]})


def digest(value: object) -> str:
    """The content address of anything JSON can say: same inputs, same artefact."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def shots(script: Script, *, motion: Literal["none", "pan", "zoom", "mixed"] = "mixed", site: str = "") -> list[Shot]:
    """One shot per section: a code card shows its code (no motion: code is read), a point its
    part's first image if the article has one, the hook the cover or the title card."""
    kinds = motions(len(script.sections), motion)
    out = []
    for i, s in enumerate(script.sections):
        out.append(_shot(s, script, kinds[i], site))
    return out


def _shot(s: Section, script: Script, motion: Motion, site: str) -> Shot:
    if s.kind == "code":
        return Shot("code", s.heading, "none", code=s.code)
    if s.images:
        return Shot("image", s.images[0], motion)
    if s.kind == "hook":
        return Shot("title", script.title, motion)
    if s.kind == "cta":
        return Shot("cta", f"Read the full article|{site}", "none")
    figure = s.caption if s.kind == "point" and any(ch.isdigit() for ch in s.caption) else s.heading or s.caption
    return Shot("figure", figure[:160], motion)


def section_key(section: Section, shot: Shot, voice_id: str, width: int, height: int) -> str:
    """A section's segment depends on its words, its voice, its shot and the frame: nothing else."""
    return digest({"narration": section.narration, "shown": section.caption, "voice": voice_id, "shot": shot.key(width, height)})


def offsets(durations: Sequence[float]) -> list[float]:
    at, out = 0.0, []
    for d in durations:
        out.append(at)
        at += d
    return out
