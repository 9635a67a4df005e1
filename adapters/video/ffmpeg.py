"""ffmpeg from the imageio-ffmpeg wheel (9.x, with libass, zoompan and x264), and a probe that
reads what ffmpeg says of a file plus the MP4's own atom order (faststart: moov before mdat)."""

from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from domain.video.timeline import FPS, Preset


class RenderFailed(Exception):
    """ffmpeg refused or failed: the stage, and ffmpeg's own last words."""


def ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def run(cmd: list[str], *, timeout: float = 3600) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RenderFailed(f"ffmpeg exited with {done.returncode}: {done.stderr.strip()[-800:]}")


@dataclass(frozen=True)
class Probe:
    codec: str
    pix_fmt: str
    color: str  # e.g. "tv, bt709"
    width: int
    height: int
    fps: float
    seconds: float
    audio: str | None
    faststart: bool


def _atoms(path: Path) -> list[str]:
    out = []
    with path.open("rb") as f:
        while len(out) < 64:
            head = f.read(8)
            if len(head) < 8:
                break
            size, kind = struct.unpack(">I4s", head)
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0] - 8
            out.append(kind.decode("latin-1"))
            if size < 8:
                break
            f.seek(size - 8, 1)
    return out


def probe(path: Path) -> Probe:
    done = subprocess.run([ffmpeg(), "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True, text=True, check=False)
    info = done.stderr
    video = re.search(r"Stream #\d+:\d+[^:]*: Video: (\w+)[^,]*, (\w+)\(([^)]*)\)[^,]*, (\d+)x(\d+)[^\n]*?, ([\d.]+) fps", info)
    audio = re.search(r"Stream #\d+:\d+[^:]*: Audio: (\w+)[^\n]*?(\d+) Hz", info)
    dur = re.search(r"Duration: (\d+):(\d+):([\d.]+)", info)
    if video is None or dur is None:
        raise RenderFailed(f"{path.name}: not a video ffmpeg can read: {info.strip()[-300:]}")
    atoms = _atoms(path)
    return Probe(
        codec=video.group(1),
        pix_fmt=video.group(2),
        color=video.group(3),
        width=int(video.group(4)),
        height=int(video.group(5)),
        fps=float(video.group(6)),
        seconds=int(dur.group(1)) * 3600 + int(dur.group(2)) * 60 + float(dur.group(3)),
        audio=f"{audio.group(1)} {audio.group(2)} Hz" if audio else None,
        faststart="moov" in atoms and "mdat" in atoms and atoms.index("moov") < atoms.index("mdat"),
    )


def problems(p: Probe, preset: Preset, *, width: int | None = None, height: int | None = None) -> list[str]:
    """What the preset's platform would refuse (``width``/``height``: the test-sized canvas)."""
    out = []
    w, h = width or preset.width, height or preset.height
    if p.codec != "h264":
        out.append(f"codec: {p.codec} (h264)")
    if p.pix_fmt != "yuv420p":
        out.append(f"pixel format: {p.pix_fmt} (yuv420p)")
    if "bt709" not in p.color:
        out.append(f"colour: {p.color} (BT.709 tagged)")
    if (p.width, p.height) != (w, h):
        out.append(f"size: {p.width}x{p.height} ({w}x{h})")
    if abs(p.fps - FPS) > 0.01:
        out.append(f"fps: {p.fps} ({FPS})")
    if p.seconds < preset.min_seconds or (preset.max_seconds is not None and p.seconds > preset.max_seconds):
        out.append(f"duration: {p.seconds:.2f}s ({preset.min_seconds}–{preset.max_seconds or '∞'} s)")
    if not p.audio or not p.audio.startswith("aac") or not p.audio.endswith("48000 Hz"):
        out.append(f"audio: {p.audio} (AAC 48 kHz)")
    if not p.faststart:
        out.append("faststart: the moov atom is after the media data")
    return out


def count_frames(path: Path) -> int:
    """Frames in the file, decoded (what a player shows, not what a header claims)."""
    done = subprocess.run(
        [ffmpeg(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.findall(r"frame=\s*(\d+)", done.stderr)
    if not found:
        raise RenderFailed(f"{path.name}: no video frames: {done.stderr.strip()[-300:]}")
    return int(found[-1])
