"""A render as data: scenes (a still, how long, how it moves) and segments, compiled to
one ffmpeg filter graph per segment — stills decoded once, motion, fades at joins, the captions
burned in, BT.709-tagged yuv420p. Pure: the adapter only runs what this writes. The presets (canvas,
durations) are the platforms' own (:mod:`domain.platforms`), re-exported here for the renderer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from domain.platforms import PRESETS as PRESETS
from domain.platforms import Preset as Preset

Motion = Literal["none", "pan", "zoom"]
FPS = 30
ZOOM = 1.12  # how far a still is pushed in or travelled across: it is pre-scaled to cover canvas × this
FADE = 0.25


@dataclass(frozen=True)
class Scene:
    image: str  # a still already sized to cover the canvas × ZOOM
    seconds: float
    motion: Motion = "none"


@dataclass(frozen=True)
class Segment:
    scenes: tuple[Scene, ...]
    captions: str | None = None  # an ASS file whose times start at this segment's start

    @property
    def frames(self) -> int:
        return sum(frames(s.seconds) for s in self.scenes)


def frames(seconds: float) -> int:
    return max(1, round(seconds * FPS))


def motions(n: int, preset: Literal["none", "pan", "zoom", "mixed"]) -> list[Motion]:
    """``mixed`` alternates zoom and pan: zoom costs most per frame, so half of it holds the pace."""
    if preset == "mixed":
        return ["zoom" if i % 2 == 0 else "pan" for i in range(n)]
    return [preset] * n


def _escape(path: str) -> str:
    return path.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'").replace(",", "\\,")


def graph(segment: Segment, width: int, height: int, fontsdir: str | None = None) -> str:
    """The segment's ``-filter_complex``: input i is scene i's still (one frame)."""
    parts = []
    for i, scene in enumerate(segment.scenes):
        n = frames(scene.seconds)
        cover = f"scale={width}*{ZOOM}:{height}*{ZOOM}:force_original_aspect_ratio=increase"
        if scene.motion == "zoom":
            move = (
                f"{cover},zoompan=z='min(1+{ZOOM - 1:.3f}*on/{n},{ZOOM})':d={n}"
                f":x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s={width}x{height}:fps={FPS}"
            )
        elif scene.motion == "pan":
            axis = "y" if height > width else "x"
            pos = f"{axis}='({'ih-oh' if axis == 'y' else 'iw-ow'})*n/{max(n - 1, 1)}'"
            other = "x='(iw-ow)/2'" if axis == "y" else "y='(ih-oh)/2'"
            move = f"{cover},loop=loop={n - 1}:size=1:start=0,settb=1/{FPS},setpts=N,crop={width}:{height}:{pos}:{other}"
        else:
            move = (
                f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
                f"loop=loop={n - 1}:size=1:start=0,settb=1/{FPS},setpts=N"
            )
        fades = f",fade=t=in:st=0:d={FADE}" if i > 0 else ""
        rate = "" if scene.motion == "zoom" else f",fps={FPS}"  # zoompan sets its own rate: a second fps filter drops its last frame
        parts.append(f"[{i}:v]{move},setsar=1{rate}{fades}[s{i}]")
    joined = "".join(f"[s{i}]" for i in range(len(segment.scenes)))
    tail = f"{joined}concat=n={len(segment.scenes)}:v=1:a=0"
    if segment.captions:
        tail += f",ass='{_escape(segment.captions)}'" + (f":fontsdir='{_escape(fontsdir)}'" if fontsdir else "")
    tail += (
        ",scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
        "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709[v]"
    )
    return ";".join([*parts, tail])


def segment_command(ffmpeg: str, segment: Segment, width: int, height: int, out: str, fontsdir: str | None = None) -> list[str]:
    """Video only (the audio is mixed once over the joined segments); x264 veryfast, 2 s GOPs."""
    inputs = [arg for s in segment.scenes for arg in ("-i", s.image)]
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *inputs,
        "-filter_complex", graph(segment, width, height, fontsdir), "-map", "[v]",
        "-frames:v", str(segment.frames), "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
        "-g", str(FPS * 2), "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
        "-an", out,
    ]  # fmt: skip


def join_command(ffmpeg: str, listing: str, audio: str, out: str, *, music: str | None = None, music_db: float = -20.0) -> list[str]:
    """Segments joined by stream copy, the one audio track encoded once: 48 kHz AAC at −14 LUFS.
    With ``music``: looped under the voice at ``music_db``, ducked further while the voice speaks
    (a sidechain compressor keyed by the voice), mixed, then normalised."""
    head = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "concat", "-safe", "0", "-i", listing, "-i", audio]
    tail = ["-c:v", "copy", "-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-movflags", "+faststart", "-shortest", out]
    if music is None:
        return [*head, "-map", "0:v", "-map", "1:a", "-af", LOUDNORM, *tail]
    mix = (
        f"[1:a]aformat=sample_rates=48000:channel_layouts=mono,asplit=2[voice][key];"
        f"[2:a]aformat=sample_rates=48000:channel_layouts=mono,volume={music_db}dB[bed];"
        "[bed][key]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400[ducked];"
        f"[voice][ducked]amix=inputs=2:duration=first:normalize=0,{LOUDNORM}[a]"
    )
    return [*head, "-stream_loop", "-1", "-i", music, "-filter_complex", mix, "-map", "0:v", "-map", "[a]", *tail]


LOUDNORM = "loudnorm=I=-14:TP=-1.5:LRA=11"
