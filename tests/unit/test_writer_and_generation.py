"""The rule-based writer and GeneratePosts: limits, hashtags, UTM, deterministic post ids."""
from datetime import datetime, timezone

import pytest

from adapters.accounts import Account, AccountSettings, Site, demo_sites
from adapters.writer import limits
from adapters.writer.rules import RuleWriter, hashtag, with_utm
from commands.generation import generate_posts
from schemas.commands import GeneratePosts
from schemas.events import ContentPublished

ARTICLE = ContentPublished(
    content_id="c1", site_id="demo", title="Event Sourcing in Practice: Lessons from Five Years of Production " * 3,
    url="https://blog.example/post?ref=home&utm_source=old", html="<h1>T</h1><p>" + "Lorem ipsum dolor sit amet. " * 200 + "</p>",
    excerpt="", keywords=["event sourcing", "kafka", "Kafka", "software-architecture", "c++", "数据工程"],
    image_urls=["https://blog.example/a.jpg"], published_at=datetime(2026, 11, 20, tzinfo=timezone.utc),
)


@pytest.mark.parametrize("platform", ["linkedin", "x", "facebook", "instagram", "tiktok"])
def test_every_platform_stays_within_its_hard_limit(platform: str) -> None:
    d = RuleWriter().write(ARTICLE, platform)
    assert limits.fits(platform, d.text), (platform, limits.length(platform, d.text))
    lo, hi = limits.HASHTAG_COUNT[platform]
    assert len(d.hashtags) <= hi
    assert len({t.lower() for t in d.hashtags}) == len(d.hashtags)  # deduplicated case-insensitively


def test_x_counts_urls_as_23_and_wide_characters_as_2() -> None:
    assert limits.x_weighted_length("see https://example.com/x " + "a" * 200) == 4 + 23 + 1 + 200
    assert limits.x_weighted_length("数据") == 4
    assert limits.x_weighted_length("😀") == 2


def test_links_carry_utm_and_keep_other_query_parameters() -> None:
    url, utm = with_utm("https://blog.example/post?ref=home&utm_source=old", platform="x", campaign="camp", content="announcement")
    assert url == "https://blog.example/post?ref=home&utm_source=x&utm_medium=social&utm_campaign=camp&utm_content=announcement"
    assert utm["utm_medium"] == "social"


def test_instagram_and_tiktok_have_no_link_but_a_link_in_bio_cta() -> None:
    for platform in ("instagram", "tiktok"):
        d = RuleWriter().write(ARTICLE, platform)
        assert d.link_url is None and "http" not in d.text and "bio" in d.text.lower()


def test_hashtags_are_camel_case_words_without_punctuation() -> None:
    assert hashtag("event sourcing") == "#EventSourcing"
    assert hashtag("software-architecture") == "#SoftwareArchitecture"
    assert hashtag("c++") == "#C"
    assert hashtag("2026") is None
    assert hashtag("数据工程") == "#数据工程"


def test_nothing_is_cut_mid_word() -> None:
    d = RuleWriter().write(ARTICLE, "x")
    for word in d.text.replace("…", " ").split():
        assert word in ARTICLE.title or word in ARTICLE.html or word.startswith(("#", "http")) or word.endswith(":") or word in ("Read", "more:")


def test_generate_posts_one_per_account_with_stable_ids() -> None:
    site = demo_sites()[0]
    first = generate_posts(GeneratePosts(article=ARTICLE), site, RuleWriter())
    again = generate_posts(GeneratePosts(article=ARTICLE), site, RuleWriter())
    assert [p.post_id for p in first] == [p.post_id for p in again]
    assert {p.account_id for p in first} == {a.account_id for a in site.accounts}
    review = next(p for p in first if p.account_id == "demo-linkedin-review")
    assert review.auto_schedule is False


def test_image_platforms_are_skipped_without_images_and_platform_filter_applies() -> None:
    site = demo_sites()[0]
    no_image = ARTICLE.model_copy(update={"image_urls": []})
    posts = generate_posts(GeneratePosts(article=no_image), site, RuleWriter())
    assert not {p.platform for p in posts} & {"instagram", "tiktok"}
    only_x = generate_posts(GeneratePosts(article=ARTICLE, platforms=["x"]), site, RuleWriter())
    assert {p.platform for p in only_x} == {"x"}


def test_incompatible_post_types_are_not_drafted() -> None:
    site = Site(site_id="s", accounts=[Account(account_id="ig", platform="instagram", platform_account_id="1", handle="h",
                                               settings=AccountSettings())])
    posts = generate_posts(GeneratePosts(article=ARTICLE, post_types=["announcement", "faq_snippet", "thread"]), site, RuleWriter())
    assert [p.post_type for p in posts] == ["announcement"]
