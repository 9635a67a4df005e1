"""The studio: a script in, a finished video out, every stage's output stored under the hash of
its inputs. A section's narration, picture and segment are each made once; run it again after a
kill and it starts at the first missing artefact; change one section and only that section's
narration and segment are made again before the join. Blocking: run it in a worker process."""

from __future__ import annotations

import json
import os
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from adapters.video import visuals
from adapters.video.ffmpeg import ffmpeg, probe, problems, run
from adapters.voice import Narration, Synthesizer
from domain.video.captions import Page, Word, ass, pages, srt, vtt, words
from domain.video.compose import Shot, digest, section_key, shots
from domain.video.script import Chapter, Script, Section, Token, chapters
from domain.video.timeline import FPS, PRESETS, Motion, Scene, Segment, join_command, segment_command

Progress = Callable[[str, float], None]
PAUSE = 0.35  # seconds of silence after each sentence


@dataclass
class Produced:
    video: Path
    srt: Path
    vtt: Path
    thumbnail: Path
    seconds: float
    durations: list[float]
    chapters: list[Chapter]
    problems: list[str]
    made: dict[str, int] = field(default_factory=dict)  # what this run had to make, per stage


def sentences(section: Section) -> list[list[Token]]:
    out: list[list[Token]] = [[]]
    for t in section.tokens:
        out[-1].append(t)
        if t.shown.endswith((".", "!", "?")):
            out.append([])
    return [s for s in out if s]


class Studio:
    def __init__(self, store: Path, synth: Synthesizer, fetch: Callable[[str], bytes], *, site: str = "") -> None:
        self.store, self.synth, self.fetch, self.site = store, synth, fetch, site
        self.made: dict[str, int] = {}  # what the current produce() had to make, per stage
        store.mkdir(parents=True, exist_ok=True)

    def _path(self, kind: str, key: str, ext: str) -> Path:
        return self.store / f"{kind}-{key[:32]}.{ext}"

    def _write(self, path: Path, data: bytes | str) -> None:
        """Whole or not at all: a killed render never leaves half an artefact under its final name."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data if isinstance(data, bytes) else data.encode())
        tmp.replace(path)

    # ------------------------------------------------------------ stages
    def narrate(self, section: Section, voice_id: str, language: str, pause: float = PAUSE) -> tuple[Path, dict[str, Any]]:
        key = digest({"narration": section.narration, "voice": voice_id, "pause": pause})
        wav, meta = self._path("voice", key, "wav"), self._path("voice", key, "json")
        if not (wav.exists() and meta.exists()):
            n = self.synth.synthesize(sentences(section), voice_id=voice_id, language=language, pause=pause)
            # Padded with silence to a whole number of frames: the picture and the voice of every
            # section start together, however many sections come before.
            frames = -(-n.samples * FPS // n.rate)
            target = round(frames * n.rate / FPS)
            n = Narration(n.rate, n.pcm + b"\x00\x00" * (target - n.samples), n.sentences, n.tokens)
            self._write(wav, n.wav())
            info = {"rate": n.rate, "samples": n.samples, "frames": frames, "tokens": [[s.start, s.end] for s in n.tokens]}
            self._write(meta, json.dumps(info))
            self.made["voice"] = self.made.get("voice", 0) + 1
        return wav, json.loads(meta.read_text())

    def picture(self, shot: Shot, width: int, height: int) -> Path:
        path = self._path("still", shot.key(width, height), "jpg")
        if not path.exists():
            self._write(path, self._draw(shot, width, height))
            self.made["still"] = self.made.get("still", 0) + 1
        return path

    def _draw(self, shot: Shot, width: int, height: int) -> bytes:
        if shot.visual == "image":
            try:
                return visuals.still(self.fetch(shot.source), width, height)
            except Exception:  # noqa: BLE001 - a dead or broken image link: the part gets a card instead
                return visuals.text_card(self.site or shot.source.rsplit("/", 1)[-1], width, height)
        if shot.visual == "code":
            return visuals.code_card(shot.code or "", width, height, caption=shot.source)
        if shot.visual == "cta":
            title, _, site = shot.source.partition("|")
            return visuals.text_card(title, width, height, footer=site)
        return visuals.text_card(shot.source, width, height)

    def segment(self, key: str, still: Path, motion: Motion, seconds: float, captions: str, width: int, height: int) -> Path:
        path = self._path("segment", key, "mp4")
        if not path.exists():
            ass_path = self._path("captions", key, "ass")
            self._write(ass_path, captions)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.mp4")
            run(segment_command(ffmpeg(), Segment((Scene(str(still), seconds, motion),), str(ass_path)), width, height, str(tmp)))
            tmp.replace(path)
            self.made["segment"] = self.made.get("segment", 0) + 1
        return path

    # ------------------------------------------------------------ the whole
    def produce(
        self,
        script: Script,
        preset: str,
        voice_id: str,
        *,
        size: tuple[int, int] | None = None,
        motion: Literal["none", "pan", "zoom", "mixed"] = "mixed",
        pause: float = PAUSE,
        progress: Progress | None = None,
    ) -> Produced:
        self.made = {}
        p = PRESETS[preset]
        width, height = size or (p.width, p.height)
        short = script.form == "short"
        plan = shots(script, motion=motion, site=self.site)
        segs, wavs, durations, all_words = [], [], [], []
        at = 0.0
        for i, (section, shot) in enumerate(zip(script.sections, plan, strict=True)):
            wav, meta = self.narrate(section, voice_id, script.language, pause)
            seconds = meta["frames"] / FPS
            spans = [(a / meta["rate"], b / meta["rate"]) for a, b in meta["tokens"]]
            ws = words(section.tokens, spans, FPS)
            ends = [k for k, tok in enumerate(section.tokens) if tok.shown.endswith((".", "!", "?"))]  # a page never spans two sentences
            shown = pages(ws, max_words=3 if short else 7, max_chars=18 if short else 40, sentence_ends=ends)
            captions = ass(shown, width=width, height=height)
            key = digest(
                {
                    "section": section_key(section, shot, voice_id, width, height),
                    "captions": captions,
                    "seconds": seconds,
                    "motion": shot.motion,
                }
            )
            segs.append(self.segment(key, self.picture(shot, width, height), shot.motion, seconds, captions, width, height))
            wavs.append(wav)
            durations.append(seconds)
            all_words += [Word(w.text, w.start + at, w.end + at) for w in ws]
            at += seconds
            if progress:
                progress("render", (i + 1) / len(script.sections))
        audio = self._path("audio", digest([w.name for w in wavs]), "wav")
        if not audio.exists():
            self._write(audio, _concat_wav(wavs))
        video = self._path("video", digest({"segments": [s.name for s in segs], "audio": audio.name}), "mp4")
        if not video.exists():
            listing = self._path("segments", digest([s.name for s in segs]), "txt")
            self._write(listing, "".join(f"file '{s.resolve()}'\n" for s in segs))
            tmp = video.with_name(f".{video.name}.{os.getpid()}.tmp.mp4")
            run(join_command(ffmpeg(), str(listing), str(audio), str(tmp)))
            tmp.replace(video)
            self.made["video"] = 1
        lines = _lines(all_words, short)
        srt_path, vtt_path = video.with_suffix(".srt"), video.with_suffix(".vtt")
        self._write(srt_path, srt(lines))
        self._write(vtt_path, vtt(lines))
        thumb = self._path("thumbnail", digest({"title": script.title, "short": short}), "jpg")
        if not thumb.exists():
            w, h = (1080, 1920) if short else (1280, 720)
            import io

            from PIL import Image

            card = Image.open(io.BytesIO(visuals.text_card(script.title, w, h, footer=self.site))).convert("RGB")
            card = card.crop(((card.width - w) // 2, (card.height - h) // 2, (card.width + w) // 2, (card.height + h) // 2))
            buf = io.BytesIO()
            card.save(buf, "JPEG", quality=88)
            self._write(thumb, buf.getvalue())
        found = probe(video)
        return Produced(
            video,
            srt_path,
            vtt_path,
            thumb,
            found.seconds,
            durations,
            chapters(script, durations),
            problems(found, p, width=width, height=height),
            dict(self.made),
        )


def _lines(ws: list[Word], short: bool) -> list[Page]:
    return pages(ws, max_words=3 if short else 8, max_chars=18 if short else 42)


def _concat_wav(paths: list[Path]) -> bytes:
    import io

    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        for i, path in enumerate(paths):
            with wave.open(str(path), "rb") as w:
                if i == 0:
                    out.setparams(w.getparams())
                out.writeframes(w.readframes(w.getnframes()))
    return buf.getvalue()


_SYNTH: Synthesizer | None = None  # one voice model per worker process, loaded on its first render


def render_project(store: str, media_url: str, article_json: str, preset: str, voice_id: str, form: str, site: str) -> dict[str, object]:
    """A whole project in a worker process (picklable arguments in, URLs and figures out). An image
    that cannot be fetched becomes a card: a dead link never fails a video."""
    import httpx

    from adapters.voice.piper import PiperSynthesizer
    from domain.video.outline import outline
    from domain.video.script import draft_script
    from schemas.events import ContentPublished

    global _SYNTH
    _SYNTH = _SYNTH or PiperSynthesizer()
    article = ContentPublished.model_validate_json(article_json)

    def fetch(url: str) -> bytes:
        r = httpx.get(url, timeout=20, follow_redirects=True)
        r.raise_for_status()
        return r.content

    parts = outline(article.title, article.html, tuple(str(u) for u in article.image_urls))
    script = draft_script(parts, form=form, language=article.language, url=str(article.url))  # type: ignore[arg-type]
    made = Studio(Path(store), _SYNTH, fetch, site=site).produce(script, preset, voice_id)
    base = media_url.rstrip("/")
    return {
        "video_url": f"{base}/{made.video.name}",
        "srt_url": f"{base}/{made.srt.name}",
        "vtt_url": f"{base}/{made.vtt.name}",
        "thumbnail_url": f"{base}/{made.thumbnail.name}",
        "seconds": made.seconds,
        "sections": len(script.sections),
        "chapters": [{"start": c.start, "title": c.title} for c in made.chapters],
        "problems": made.problems,
    }
