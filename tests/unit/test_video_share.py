"""A rendered video's posts under the platform rules every post keeps: which platforms take it (one
answer, from the profiles), YouTube's description with the article's link tagged like any shared
link, Instagram's "link in bio", YouTube's limits in bytes, and a refused caption said as any
refused draft is."""

from __future__ import annotations

import random
from itertools import accumulate
from typing import get_args
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.accounts import MemoryAccounts
from adapters.kafka import MemoryProducer
from adapters.sites import MemorySites
from commands.adapt import short_code
from domain.accounts import Account, AccountSettings, Site
from domain.platforms import PRESETS, PROFILES, VIDEO, platforms_for, preset, rules, video
from domain.post.limits import graphemes
from domain.post.locale import phrases
from domain.post.validate import URL
from domain.video import limits
from domain.video.script import READ, Chapter, Script, article_link, seo, youtube_problems
from domain.video.share import draft, problems
from schemas import events as e
from schemas import topics as t
from schemas.registry import registry
from streams import share

DESCRIPTION = f"Replay rebuilds every view.\n\n{READ} https://blog.example/r\n\nChapters:\n0:00 Intro\n0:15 Replay\n0:40 Views"
CODE = short_code(share.post_id("v1", "a-youtube"))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# ---------------------------------------------------------------- the profiles answer once
def test_which_platforms_take_a_video_is_one_answer_from_the_profiles() -> None:
    assert set(VIDEO) == {"youtube", "instagram", "tiktok"}
    assert set(PRESETS) == set(get_args(e.VideoPreset))  # the contract's literal names exactly the profiles' presets
    assert platforms_for("youtube_long") == ("youtube",)  # a long video goes to YouTube alone
    for vertical in ("youtube_short", "instagram_reel", "tiktok"):  # one vertical file for every vertical platform
        assert preset(vertical).form == "short" and set(platforms_for(vertical)) == {"youtube", "instagram", "tiktok"}
    assert set(platforms_for("instagram_reel", 720.0)) == {"youtube", "instagram"}  # 12 min: over TikTok's 10
    assert platforms_for("youtube_short", 2.0) == ("youtube",)  # under the 3 s Reels and TikToks need
    for p in VIDEO:  # every preset a platform renders is one its uploads allow
        v = video(p)
        assert all(v.seconds[0] <= pre.min_seconds and (pre.max_seconds or v.seconds[1]) <= v.seconds[1] for pre in v.presets)
    assert e.VideoAttachment.model_fields["title"].metadata[0].max_length == limits.TITLE_CHARS
    assert all(PROFILES[p].rules is not None for p in VIDEO)  # a video post keeps its platform's post rules


# ---------------------------------------------------------------- YouTube: the link tagged, bytes counted
def test_the_youtube_description_links_the_article_with_the_posts_utm() -> None:
    d = draft("youtube", title="Replay", description=DESCRIPTION, keywords=["replay"], campaign="blog-c1", code=CODE, media=["t.jpg"])
    [url] = URL.findall(d.text)
    assert url == d.link_url and url.startswith("https://blog.example/r?")
    assert query(url) == {"utm_source": "youtube", "utm_medium": "social", "utm_campaign": "blog-c1", "utm_content": CODE}
    assert d.utm["utm_content"] == CODE and "0:40 Views" in d.text  # the chapters stay
    assert problems("youtube", d, title="Replay") == []


def test_a_multibyte_description_is_cut_under_5000_bytes_between_characters() -> None:
    rng = random.Random(7)
    alphabet = [*"事件溯源は状態を再構築する", "🙂", "👩\u200d💻", "e\u0301", "ü", " "]  # 3-byte, 4-byte, 11-byte clusters
    for _ in range(20):
        summary = "".join(rng.choice(alphabet) for _ in range(rng.randrange(2000, 4000)))
        assert len(summary) < 5000 < len(summary.encode())  # within YouTube's 5,000 were they characters; over it in bytes
        boundaries = set(accumulate(len(c) for c in graphemes(summary)))
        text = f"{summary}\n\n{READ} https://blog.example/r\n\nChapters:\n0:00 Intro\n0:15 Replay\n0:40 Views"
        d = draft("youtube", title="T", description=text, keywords=[], campaign="c", code=CODE, media=["t.jpg"])
        size = len(d.text.encode())
        assert size <= rules("youtube").hard_limit and video("youtube").counts_bytes
        assert d.link_url and d.link_url in d.text and d.text.endswith("0:40 Views")  # the summary gave way, not the link
        head = d.text.split("\n\n", 1)[0]
        kept = head.removesuffix("…")
        assert head.endswith("…") and summary.startswith(kept) and len(kept) in boundaries  # cut between clusters
        assert problems("youtube", d, title="T") == []


def test_cut_counts_bytes_and_never_splits_a_character() -> None:
    text = "é" * 3000  # 6,000 bytes, 3,000 characters: within 5,000 characters, not 5,000 bytes
    assert limits.measure("youtube", text) == 6000 and limits.measure("instagram", text) == 3000
    out = limits.description("youtube", text)
    assert len(out.encode()) <= 5000 and out.encode().decode() == out and out.endswith("é…")


def test_the_seo_stage_keeps_youtubes_limits_from_its_profile() -> None:
    s = Script("<Replay> " + "x" * 200, "short", "en", 2.6, ())
    meta = seo(s, summary="ü" * 4000, keywords=["event sourcing"], url="https://blog.example/r", chapter_list=[Chapter(0, "<b>")])
    assert len(meta.title) <= 100 and "<" not in meta.title + meta.description and len(meta.description.encode()) <= 5000
    assert article_link(meta.description) == "https://blog.example/r" and youtube_problems(meta, []) == []
    short = seo(Script("Replay", "short", "en", 2.6, ()), summary="s", keywords=[], url="")
    assert short.title == "Replay #shorts"


# ---------------------------------------------------------------- Instagram and TikTok: no link, the bio
@pytest.mark.parametrize("platform", ["instagram", "tiktok"])
def test_a_caption_where_links_are_not_clickable_says_link_in_bio(platform: str) -> None:
    d = draft(
        platform,
        title="Replay, narrated",
        description=DESCRIPTION,
        keywords=["event sourcing", "kafka"],
        campaign="c",
        code="p1",
        media=["t.jpg"],
    )
    assert phrases("en")["bio"] in d.text and not URL.findall(d.text)
    assert "#EventSourcing" in d.hashtags and len(d.text) <= rules(platform).hard_limit
    assert d.link_url and query(d.link_url)["utm_source"] == platform  # the post's link, for the bio
    assert problems(platform, d, title="Replay, narrated") == []
    german = draft(platform, title="Wiederholung", description="Kurz.", keywords=[], campaign="c", code="p1", language="de")
    assert phrases("de")["bio"] in german.text and len(german.hashtags) >= rules(platform).hashtags[0]  # broad tags fill in


# ---------------------------------------------------------------- the agent: drafts, and refusals said
def accounts() -> MemoryAccounts:
    return MemoryAccounts(
        [
            Account(
                account_id=f"a-{p}",
                platform=p,
                platform_account_id=f"{p}-1",
                handle="me",
                site_id="s1",
                settings=AccountSettings(auto_publish=True),
            )
            for p in ("youtube", "instagram", "tiktok", "x")
        ]
    )


def rendered(**kw: object) -> bytes:
    seo_ = {"title": "Replay, narrated #shorts", "description": DESCRIPTION, "tags": ["event sourcing", "kafka"]}
    m = e.VideoRendered(
        project_id="v1", preset="youtube_short", revision=2, site_id="s1", content_id="c1", title="Replay, narrated",
        video_url="http://api/media/video/v.mp4", srt_url="s", vtt_url="v", thumbnail_url="http://api/media/video/t.jpg",
        seconds=42.0, sections=4, seo=seo_,
    ).model_copy(update=kw)  # fmt: skip
    return registry.envelope(m, source="test", subject="v1").encode()


async def test_the_share_agent_tags_each_post_with_the_sites_campaign_and_its_code() -> None:
    sites = MemorySites([Site(site_id="s1", auto_social_publish=True, utm_campaign="{site}-{platform}")])
    drafts = await share.handle(rendered(), sites, accounts(), MemoryProducer())
    by = {d.platform: d for d in drafts}
    assert set(by) == {"youtube", "instagram", "tiktok"}
    yt = by["youtube"]
    assert yt.link_url and query(yt.link_url) == {
        "utm_source": "youtube",
        "utm_medium": "social",
        "utm_campaign": "s1-youtube",
        "utm_content": short_code(yt.post_id),
    }
    assert yt.link_url in yt.text and yt.video and yt.video.title == "Replay, narrated #shorts"
    assert phrases("en")["bio"] in by["instagram"].text and "#shorts" not in by["instagram"].text


async def test_a_caption_the_rules_refuse_is_said_as_any_refused_draft() -> None:
    out = MemoryProducer()
    bad = {"title": "Replay", "description": f"a <b>bold</b> claim\n\n{READ} https://blog.example/r", "tags": []}
    drafts = await share.handle(rendered(seo=bad), MemorySites([Site(site_id="s1")]), accounts(), out)
    assert {d.platform for d in drafts} == {"instagram", "tiktok"}  # their captions carry the title and summary only
    [skip] = [m for m in out.messages(t.POSTS) if isinstance(m, e.PostSkipped)]
    assert skip.platform == "youtube" and skip.post_type == "video" and skip.post_id == share.post_id("v1", "a-youtube")
    assert skip.reason.startswith("the rules draft breaks youtube's rules: ") and "< and > are refused" in skip.reason
