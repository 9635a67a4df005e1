"""The studio makes each artefact once, under the hash of its inputs: run again, it makes nothing;
lose a segment (a killed render), it makes that one; change one section, it re-voices and
re-renders that section alone before the join. The result passes its preset's probe."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from adapters.video.ffmpeg import count_frames
from adapters.video.studio import Studio
from adapters.voice import ToneSynthesizer
from domain.video.outline import outline
from domain.video.script import draft_script

HTML = (
    "<p>Event sourcing keeps every change. Teams cut incident time by 40% in 2024.</p>"
    + "".join(f'<h2>Lesson {i}</h2><p>Lesson {i} is short and clear.</p><img src="https://blog.example/{i}.jpg">' for i in (1, 2))
    + "<h2>Code</h2><p>It fits in a few lines.</p><pre><code>events.append(change)</code></pre>"
)


def fetch(url: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (800, 1200), (40 + len(url) % 200, 90, 150)).save(buf, "JPEG")
    return buf.getvalue()


def studio(tmp: Path) -> Studio:
    return Studio(tmp / "store", ToneSynthesizer(rate=22050, word_seconds=0.12, gap=0.02), fetch, site="blog.example")


def test_a_video_is_made_once_resumes_after_a_kill_and_regenerates_one_section(tmp_path: Path) -> None:
    script = draft_script(outline("Event Sourcing in Practice", HTML), form="long")
    s = studio(tmp_path)
    first = s.produce(script, "youtube_short", "tone", size=(180, 320))
    n = len(script.sections)
    assert first.problems == [] and first.made["segment"] == n and first.made["voice"] == n
    assert count_frames(first.video) == round(sum(first.durations) * 30)
    assert abs(first.seconds - sum(first.durations)) < 0.1 and first.thumbnail.exists()
    assert first.srt.read_text().startswith("1\n") and first.vtt.read_text().startswith("WEBVTT")
    assert len(first.layouts) == n and all(a != b for a, b in zip(first.layouts, first.layouts[1:], strict=False))
    with Image.open(first.contact_sheet) as sheet:  # one frame per scene, for a person to review at a glance
        assert sheet.format == "JPEG" and sheet.width > 4 * 180

    again = studio(tmp_path).produce(script, "youtube_short", "tone", size=(180, 320))
    assert again.made == {} and again.video == first.video  # nothing to make

    segments = sorted((tmp_path / "store").glob("segment-*.mp4"))
    segments[1].unlink()  # a render killed before this segment was written
    resumed = studio(tmp_path).produce(script, "youtube_short", "tone", size=(180, 320))
    assert resumed.made == {"segment": 1}  # the voices and pictures were kept; the final join is the same file again

    target = script.sections[2]
    edited = script.replace(target.id, "Lesson one, said again in new words.")
    before = {p.name for p in (tmp_path / "store").glob("segment-*.mp4")}
    regen = studio(tmp_path).produce(edited, "youtube_short", "tone", size=(180, 320))
    assert regen.made == {"voice": 1, "scene": 1, "segment": 1, "video": 1} and regen.problems == []
    after = {p.name for p in (tmp_path / "store").glob("segment-*.mp4")}
    assert len(after - before) == 1 and before <= after
