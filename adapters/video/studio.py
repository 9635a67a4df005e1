"""The studio: a script in, a finished video out, every stage's output stored under the hash of
its inputs. A section's narration, picture and segment are each made once; run it again after a
kill and it starts at the first missing artefact; change one section and only that section's
narration and segment are made again before the join. Blocking: run it in a worker process."""

from __future__ import annotations

import json
import os
import subprocess
import time
import wave
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from adapters.video import layouts, visuals
from adapters.video.ffmpeg import ffmpeg, probe, problems, run
from adapters.voice import Chorus, Narration, Synthesizer
from adapters.voice.speech_api import SpeechApi
from domain.platforms import PRESETS, Box, Preset, safe_area, shared_safe_area
from domain.video import scenes as grammar
from domain.video.captions import Page, Word, ass, pages, srt, vtt, words
from domain.video.compose import digest
from domain.video.legibility import caption_px
from domain.video.script import Chapter, Script, Section, Token, chapters
from domain.video.timeline import FPS, join_command

Progress = Callable[[str, float, float], None]  # (stage, fraction done, seconds in the stage)
PAUSE = 0.35  # seconds of silence after each sentence
CAPTION_FONT = "DejaVu Sans Condensed"  # 18 characters at 76 px fit the 768 px a vertical safe area leaves
MAX_FETCH_BYTES = 50 << 20  # an image or a music track a user named: no larger


@dataclass
class Produced:
    """What a run made, as far as it went: the narration always; the stills from ``visuals`` on;
    the video, its captions and the thumbnail only from a whole run."""

    audio: Path
    durations: list[float]
    seconds: float
    stills: list[Path] = field(default_factory=list)
    video: Path | None = None
    srt: Path | None = None
    vtt: Path | None = None
    thumbnail: Path | None = None
    contact_sheet: Path | None = None
    layouts: list[str] = field(default_factory=list)
    chapters: list[Chapter] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    made: dict[str, int] = field(default_factory=dict)  # what this run had to make, per stage
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage


def sentences(section: Section) -> list[list[Token]]:
    out: list[list[Token]] = [[]]
    for t in section.tokens:
        out[-1].append(t)
        if t.shown.endswith((".", "!", "?")):
            out.append([])
    return [s for s in out if s]


class Studio:
    def __init__(self, store: Path, synth: Synthesizer, fetch: Callable[[str], bytes], *, site: str = "", url: str = "") -> None:
        self.store, self.synth, self.fetch, self.site, self.url = store, synth, fetch, site, url
        self.made: dict[str, int] = {}  # what the current produce() had to make, per stage
        self.timings: dict[str, float] = {}
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

    def draw(self, scene: grammar.Scene, onsets: list[float], width: int, height: int, area: Box, zoom: bool) -> tuple[str, layouts.Drawn]:
        """A scene's layers, drawn once (the article's image fetched once; a dead link keeps the card)."""
        key = digest({"scene": asdict(scene), "onsets": onsets, "size": [width, height], "area": asdict(area), "zoom": zoom, "v": 2})
        folder = self.store / f"scene-{key[:32]}"
        index = folder / "drawn.json"
        if not index.exists():
            image = None
            if scene.image:
                try:
                    image = self.fetch(scene.image)
                except Exception:  # noqa: BLE001 - a dead or broken image link: the scene keeps its card
                    image = None
            tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
            d = layouts.Drawer(tmp, width, height, area).draw(scene, onsets, "l", image)
            d.zoom = d.zoom and zoom
            doc = json.dumps(
                {
                    "background": Path(d.background).name,
                    "zoom": d.zoom,
                    "atlas": Path(d.atlas).name if d.atlas else "",
                    "layers": [asdict(x) | {"path": Path(x.path).name} for x in d.layers],
                }
            )
            (tmp / "drawn.json").write_text(doc)
            if folder.exists():  # another worker drew it first
                import shutil

                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.replace(folder)
            self.made["scene"] = self.made.get("scene", 0) + 1
        doc = json.loads(index.read_text())
        d = layouts.Drawn(
            str(folder / doc["background"]),
            doc["zoom"],
            [layouts.Layer(**(x | {"path": str(folder / x["path"])})) for x in doc["layers"]],
            str(folder / doc["atlas"]) if doc["atlas"] else "",
        )
        return key, d

    def poster(self, key: str, d: layouts.Drawn, width: int, height: int) -> Path:
        """The scene with everything shown: its picture before any render (the visuals stage's output)."""
        path = self._path("still", key, "jpg")
        if not path.exists():
            self._write(path, layouts.poster(d, width, height))
        return path

    def segment(self, key: str, d: layouts.Drawn, seconds: float, captions: str, width: int, height: int) -> Path:
        path = self._path("segment", key, "mp4")
        if not path.exists():
            ass_path = self._path("captions", key, "ass")
            self._write(ass_path, captions)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.mp4")
            run(layouts.segment_command(ffmpeg(), d, seconds, width, height, str(tmp), str(ass_path), str(layouts.FONTS)))
            tmp.replace(path)
            self.made["segment"] = self.made.get("segment", 0) + 1
        return path

    def contact_sheet(self, segs: list[Path], moments: list[float], p: Preset, width: int, height: int) -> Path:
        """One frame per scene with the platform's covered margins drawn over it (JPEG), for a person to review at a glance."""
        path = self._path("contact", digest({"segments": [s.name for s in segs], "preset": p.name, "at": moments}), "jpg")
        if not path.exists():
            frames = []
            for seg, moment in zip(segs, moments, strict=True):
                at = max(0.0, moment)
                done = subprocess.run(
                    [
                        ffmpeg(),
                        "-hide_banner",
                        "-loglevel",
                        "error",
                        "-nostdin",
                        "-ss",
                        f"{at:.3f}",
                        "-i",
                        str(seg),
                        "-frames:v",
                        "1",
                        "-f",
                        "image2",
                        "-c:v",
                        "png",
                        "-",
                    ],
                    capture_output=True,
                    check=False,
                )
                if done.returncode == 0 and done.stdout:
                    frames.append(done.stdout)
            self._write(path, layouts.contact_sheet(frames, safe_area(p, width, height), width, height))
        return path

    def _caption_band(self, box: Box, width: int, height: int, short: bool) -> tuple[int, int]:
        """The captions' size (70–120 px on 1080 wide, smaller only if a short's widest page would leave the box) and the band they take."""
        px = caption_px(width, height)
        lines = 1 if short else 2
        return px, round(px * 1.35 * lines + px * 0.5)

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
        until: Literal["voice", "visuals", "video"] = "video",
        music: str | None = None,
    ) -> Produced:
        """Stage by stage (voice, visuals, render, join), each over every section, so progress is
        told per stage and ``until`` can stop after any of the first two."""
        self.made, self.timings = {}, {}
        p = PRESETS[preset]
        width, height = size or (p.width, p.height)
        short = script.form == "short"
        n = len(script.sections)
        tell = progress or (lambda stage, done, seconds: None)

        started = time.perf_counter()
        voiced: list[tuple[Path, dict[str, Any]]] = []
        for i, section in enumerate(script.sections):
            voiced.append(self.narrate(section, voice_id, script.language, pause))
            tell("voice", (i + 1) / n, self._lap("voice", started))
        durations = [meta["frames"] / FPS for _, meta in voiced]
        audio = self._path("audio", digest([w.name for w, _ in voiced]), "wav")
        if not audio.exists():
            self._write(audio, _concat_wav([w for w, _ in voiced]))
        if until == "voice":
            return Produced(audio=audio, durations=durations, seconds=round(sum(durations), 3), made=dict(self.made), timings=self.timings)

        started = time.perf_counter()
        box = shared_safe_area(p, width, height)
        cap_px, band = self._caption_band(box, width, height, short)
        area = Box(box.left, box.top, box.right, box.bottom - band)
        plan = grammar.plan(script, url=self.url or (f"https://{self.site}" if "." in self.site else ""), vertical=height > width)
        drawn: list[tuple[str, layouts.Drawn]] = []
        stills: list[Path] = []
        for i, (scene, (_, meta)) in enumerate(zip(plan, voiced, strict=True)):
            onsets = [round(meta["tokens"][k][0] / meta["rate"] * FPS) / FPS if k < len(meta["tokens"]) else 0.0 for k in scene.tokens]
            key, d = self.draw(scene, onsets, width, height, area, motion != "none")
            drawn.append((key, d))
            stills.append(self.poster(key, d, width, height))
            tell("visuals", (i + 1) / n, self._lap("visuals", started))
        if until == "visuals":
            return Produced(
                audio=audio,
                durations=durations,
                seconds=round(sum(durations), 3),
                stills=stills,
                layouts=[sc.layout for sc in plan],
                made=dict(self.made),
                timings=self.timings,
            )

        started = time.perf_counter()
        segs, all_words = [], []
        at = 0.0
        for i, (section, (_, meta), (scene_key, d)) in enumerate(zip(script.sections, voiced, drawn, strict=True)):
            seconds = meta["frames"] / FPS
            spans = [(a / meta["rate"], b / meta["rate"]) for a, b in meta["tokens"]]
            ws = words(section.tokens, spans, FPS)
            ends = [k for k, tok in enumerate(section.tokens) if tok.shown.endswith((".", "!", "?"))]  # a page never spans two sentences
            shown = pages(ws, max_words=3 if short else 7, max_chars=18 if short else 40, sentence_ends=ends)
            captions = ass(
                shown, width=width, height=height, font=CAPTION_FONT, size=cap_px, area=(box.left, box.top, box.right, box.bottom)
            )
            key = digest(
                {
                    "narration": section.narration,
                    "voice": voice_id,
                    "scene": scene_key,  # its layers, their onsets, the frame's size and safe area
                    "captions": captions,
                    "seconds": seconds,
                }
            )
            segs.append(self.segment(key, d, seconds, captions, width, height))
            all_words += [Word(w.text, w.start + at, w.end + at) for w in ws]
            at += seconds
            tell("render", (i + 1) / n, self._lap("render", started))
        # Each scene at its last word: every reveal done, the captions up.
        moments = [
            min(meta["frames"] / FPS - 1 / FPS, meta["tokens"][-1][0] / meta["rate"] + 0.15) if meta["tokens"] else 0.0
            for _, meta in voiced
        ]
        # The contact sheet's frames are read while the join runs (it is mostly one thread of audio work).
        sheets = ThreadPoolExecutor(1)
        sheet_job = sheets.submit(self.contact_sheet, segs, moments, p, width, height)

        started = time.perf_counter()
        bed = self._music(music) if music else None
        video = self._path("video", digest({"segments": [s.name for s in segs], "audio": audio.name, "music": bed and bed.name}), "mp4")
        if not video.exists():
            listing = self._path("segments", digest([s.name for s in segs]), "txt")
            self._write(listing, "".join(f"file '{s.resolve()}'\n" for s in segs))
            tmp = video.with_name(f".{video.name}.{os.getpid()}.tmp.mp4")
            run(join_command(ffmpeg(), str(listing), str(audio), str(tmp), music=str(bed) if bed else None))
            tmp.replace(video)
            self.made["video"] = 1
        sheet = sheet_job.result()
        sheets.shutdown()
        lines = _lines(all_words, short)
        srt_path, vtt_path = video.with_suffix(".srt"), video.with_suffix(".vtt")
        self._write(srt_path, srt(lines))
        self._write(vtt_path, vtt(lines))
        thumb = self._thumbnail(script.title, short)
        found = probe(video)
        tell("join", 1.0, self._lap("join", started))
        return Produced(
            audio=audio,
            durations=durations,
            seconds=found.seconds,
            stills=stills,
            video=video,
            srt=srt_path,
            vtt=vtt_path,
            thumbnail=thumb,
            contact_sheet=sheet,
            layouts=[sc.layout for sc in plan],
            chapters=chapters(script, durations),
            problems=problems(found, p, width=width, height=height),
            made=dict(self.made),
            timings=self.timings,
        )

    def _music(self, url: str) -> Path:
        """The track, fetched once (a track that cannot be fetched fails the render with the reason)."""
        path = self._path("music", digest({"url": url}), "bin")
        if not path.exists():
            self._write(path, self.fetch(url))
        return path

    def _lap(self, stage: str, started: float) -> float:
        self.timings[stage] = round(time.perf_counter() - started, 3)
        return self.timings[stage]

    def _thumbnail(self, title: str, short: bool) -> Path:
        thumb = self._path("thumbnail", digest({"title": title, "short": short}), "jpg")
        if not thumb.exists():
            import io

            from PIL import Image

            w, h = (1080, 1920) if short else (1280, 720)
            card = Image.open(io.BytesIO(visuals.text_card(title, w, h, footer=self.site))).convert("RGB")
            card = card.crop(((card.width - w) // 2, (card.height - h) // 2, (card.width + w) // 2, (card.height + h) // 2))
            buf = io.BytesIO()
            card.save(buf, "JPEG", quality=88)
            self._write(thumb, buf.getvalue())
        return thumb


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


def render_project(
    store: str,
    media_url: str,
    job_json: str,
    progress_file: str = "",
    speech: SpeechApi | None = None,
    size: tuple[int, int] | None = None,
    allow: str = "",
) -> dict[str, Any]:
    """One render job in a worker process (picklable arguments in, URLs and figures out). Progress is
    written, whole, to ``progress_file`` for the agent to announce. An image that cannot be fetched
    becomes a card: a dead link never fails a video. ``size``: another canvas than the preset's (the bench's smoke).
    Images and music are user-given URLs: fetched through the outbound guard (``allow``: the kinds of
    private address this deployment may reach, see :mod:`adapters.netguard`), at most 50 MB each."""
    from adapters.netguard import Policy, guarded_sync_client
    from adapters.voice.piper import PiperSynthesizer
    from domain.video.script import from_doc, seo, youtube_problems
    from schemas.commands import RenderVideo

    global _SYNTH
    _SYNTH = _SYNTH or (Chorus(PiperSynthesizer(), speech.synthesizer()) if speech else PiperSynthesizer())
    job = RenderVideo.model_validate_json(job_json)

    def fetch(url: str) -> bytes:
        with guarded_sync_client(Policy.parse(allow), timeout=20) as http, http.stream("GET", url) as r:
            r.raise_for_status()
            out = bytearray()
            for chunk in r.iter_bytes():
                out += chunk
                if len(out) > MAX_FETCH_BYTES:
                    raise ValueError(f"{url}: larger than {MAX_FETCH_BYTES >> 20} MB")
            return bytes(out)

    def tell(stage: str, done: float, seconds: float) -> None:
        if progress_file:
            tmp = f"{progress_file}.tmp"
            Path(tmp).write_text(json.dumps({"stage": stage, "done": round(done, 3), "seconds": seconds}))
            os.replace(tmp, progress_file)

    script = from_doc(job.script)
    made = Studio(Path(store), _SYNTH, fetch, site=job.site_id, url=job.url or "").produce(
        script, job.preset, job.voice_id, size=size, motion=job.motion, progress=tell, until=job.until, music=job.music_url
    )
    base = media_url.rstrip("/")
    out: dict[str, Any] = {
        "audio_url": f"{base}/{made.audio.name}",
        "durations": made.durations,
        "seconds": made.seconds,
        "pictures": [f"{base}/{p.name}" for p in made.stills],
        "layouts": made.layouts,
        "timings": made.timings,
        "made": made.made,
    }
    if made.video and made.srt and made.vtt and made.thumbnail:
        found = seo(script, summary=job.summary, keywords=job.keywords, url=job.url, chapter_list=made.chapters)
        out |= {
            "video_url": f"{base}/{made.video.name}",
            "srt_url": f"{base}/{made.srt.name}",
            "vtt_url": f"{base}/{made.vtt.name}",
            "thumbnail_url": f"{base}/{made.thumbnail.name}",
            "contact_sheet_url": f"{base}/{made.contact_sheet.name}" if made.contact_sheet else "",
            "sections": len(script.sections),
            "chapters": [{"start": c.start, "title": c.title} for c in made.chapters],
            "problems": made.problems,
            "seo": {
                "title": found.title,
                "description": found.description,
                "tags": list(found.tags),
                "problems": youtube_problems(found, made.chapters) if PRESETS[job.preset].form == "long" else [],
            },
        }
    return out
