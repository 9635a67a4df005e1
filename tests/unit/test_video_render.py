"""One filter graph per segment, joined by stream copy under one audio track: a tiny vertical
clip (stills, zoom and pan, burned word-highlighted captions, a voice) passes the preset's probe —
codec, pixel format, BT.709 tags, fps, size, duration, AAC 48 kHz, faststart."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from adapters.video.ffmpeg import count_frames, ffmpeg, probe, problems, run
from adapters.voice import ToneSynthesizer
from domain.video.captions import ass, pages, words
from domain.video.script import tokens
from domain.video.timeline import FPS, PRESETS, Scene, Segment, join_command, motions, segment_command

W, H = 180, 320  # the short presets' shape, small enough for CI


def still(path: Path, colour: tuple[int, int, int]) -> str:
    img = Image.new("RGB", (400, 600), colour)
    ImageDraw.Draw(img).rectangle((50, 50, 350, 300), fill=(240, 240, 240))
    img.save(path, "JPEG", quality=85)
    return str(path)


def test_a_short_renders_in_segments_joins_by_copy_and_passes_its_probe(tmp_path: Path) -> None:
    sentences = [tokens("Every change is an event."), tokens("Replays rebuild the truth.")]
    voice = ToneSynthesizer(rate=22050, word_seconds=0.25, gap=0.05)
    narration = voice.synthesize(sentences, voice_id="tone", language="en", pause=0.2)
    (tmp_path / "voice.wav").write_bytes(narration.wav())
    flat = [t for s in sentences for t in s]
    ws = words(flat, [(sp.start / narration.rate, sp.end / narration.rate) for sp in narration.tokens], FPS)
    half = narration.seconds / 2
    segments = []
    for k, (lo, hi) in enumerate([(0.0, half), (half, narration.seconds)]):
        mine = [w.__class__(w.text, round(w.start - lo, 4), round(w.end - lo, 4)) for w in ws if lo <= w.start < hi]
        captions = tmp_path / f"seg{k}.ass"
        captions.write_text(ass(pages(mine, max_words=3, max_chars=18), width=W, height=H))
        images = [still(tmp_path / f"s{k}{i}.jpg", (30 + 60 * i, 90, 160)) for i in range(2)]
        kinds = motions(2, "mixed")
        scenes = tuple(Scene(img, (hi - lo) / 2, kinds[i]) for i, img in enumerate(images))
        segments.append(Segment(scenes, str(captions)))
    outs = []
    for k, seg in enumerate(segments):
        out = tmp_path / f"seg{k}.mp4"
        run(segment_command(ffmpeg(), seg, W, H, str(out)))
        outs.append(out)
    listing = tmp_path / "segments.txt"
    listing.write_text("".join(f"file '{o}'\n" for o in outs))
    final = tmp_path / "short.mp4"
    run(join_command(ffmpeg(), str(listing), str(tmp_path / "voice.wav"), str(final)))

    p = probe(final)
    assert problems(p, PRESETS["youtube_short"], width=W, height=H) == [], p
    assert abs(p.seconds - narration.seconds) < 0.15
    assert [count_frames(o) for o in outs] == [seg.frames for seg in segments]  # every scene frame-exact
    assert count_frames(final) == sum(seg.frames for seg in segments)  # joined by copy: nothing lost or added

    # Music under the voice: audible where the voice pauses, never louder than the voice where it speaks.
    music = ToneSynthesizer(rate=44100, word_seconds=2.0, gap=0.0)
    (tmp_path / "music.wav").write_bytes(music.synthesize([tokens("la")], voice_id="tone", language="en", pause=0).wav())
    scored = tmp_path / "scored.mp4"
    run(join_command(ffmpeg(), str(listing), str(tmp_path / "voice.wav"), str(scored), music=str(tmp_path / "music.wav")))
    assert problems(probe(scored), PRESETS["youtube_short"], width=W, height=H) == []
    gap = (narration.sentences[0].end / narration.rate + 0.05, narration.sentences[1].start / narration.rate - 0.02)
    said = (narration.tokens[0].start / narration.rate + 0.1, narration.tokens[0].end / narration.rate - 0.05)
    assert rms(scored, *gap) > 4 * rms(final, *gap)  # the music fills the pause
    assert rms(scored, *said) < 1.3 * rms(final, *said)  # the voice as clear as without it


def rms(video: Path, start: float, end: float) -> float:
    """The audio's root mean square between two times (decoded by ffmpeg, 16-bit mono 48 kHz)."""
    import math
    import subprocess
    from array import array

    pcm = subprocess.run(
        [ffmpeg(), "-v", "error", "-i", str(video), "-ss", f"{start:.3f}", "-to", f"{end:.3f}", "-ac", "1", "-ar", "48000", "-f", "s16le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    samples = array("h", pcm)
    return math.sqrt(sum(x * x for x in samples) / max(1, len(samples)))
