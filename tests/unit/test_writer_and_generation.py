"""The rule-based writer and GeneratePosts: limits, hashtags, UTM, deterministic post ids."""

from datetime import UTC, datetime

import pytest

from commands.adapt import generate_posts
from domain.accounts import Account, AccountSettings, Site
from domain.platforms import COMPATIBLE, compatible
from domain.post import limits
from domain.post.reading import read_article
from domain.post.rules import RuleWriter, hashtag, with_utm
from domain.post.validate import violations
from schemas.commands import GeneratePosts
from schemas.events import ContentPublished
from socializer.demo import demo_sites, sample_accounts

ARTICLE = ContentPublished(
    content_id="c1",
    site_id="demo",
    title="Event Sourcing in Practice: Lessons from Five Years of Production " * 3,
    url="https://blog.acme.com/post?ref=home&utm_source=old",
    html="<h1>T</h1><p>"
    + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 60
    + "</p><h2>Does it scale?</h2><p>Yes, to millions of events a day.</p>",
    excerpt="",
    keywords=["event sourcing", "kafka", "Kafka", "software-architecture", "c++", "数据工程"],
    image_urls=["https://blog.acme.com/a.jpg"],
    published_at=datetime(2026, 11, 20, tzinfo=UTC),
)
PLATFORMS = ["linkedin", "x", "facebook", "instagram", "tiktok"]


@pytest.mark.parametrize("platform,post_type", [(p, t) for t, ps in COMPATIBLE.items() for p in PLATFORMS if p in ps])
def test_every_draft_passes_its_platform_validator(platform: str, post_type: str) -> None:
    d = RuleWriter().write(read_article(ARTICLE), str(ARTICLE.url), platform, post_type)
    assert d is not None
    assert violations(platform, post_type, d) == []


def test_x_counts_with_twitter_text() -> None:
    assert limits.x_weighted_length("see https://example.com/x " + "a" * 200) == 4 + 23 + 1 + 200
    assert limits.x_weighted_length("数据") == 4
    assert limits.x_weighted_length("😀") == 2
    assert limits.x_fast_length("see https://example.com/x " + "a" * 200) == 4 + 23 + 1 + 200


def test_links_carry_utm_and_keep_other_query_parameters() -> None:
    url, utm = with_utm("https://blog.example/post?ref=home&utm_source=old", platform="x", campaign="camp", content="announcement")
    assert url == "https://blog.example/post?ref=home&utm_source=x&utm_medium=social&utm_campaign=camp&utm_content=announcement"
    assert utm["utm_medium"] == "social"


def test_instagram_and_tiktok_have_no_link_but_a_link_in_bio_cta() -> None:
    for platform in ("instagram", "tiktok"):
        d = RuleWriter().write(read_article(ARTICLE), str(ARTICLE.url), platform, "announcement")
        assert d is not None and "http" not in d.text and "bio" in d.text.lower()


def test_instagram_hashtags_can_go_to_the_first_comment() -> None:
    d = RuleWriter(instagram_hashtags="first_comment").write(read_article(ARTICLE), str(ARTICLE.url), "instagram", "announcement")
    assert d is not None and d.first_comment and "#" not in d.text
    assert 20 <= len(d.first_comment.split()) <= 30 and violations("instagram", "announcement", d) == []


def test_hashtags_are_camel_case_words_without_punctuation() -> None:
    assert hashtag("event sourcing") == "#EventSourcing"
    assert hashtag("software-architecture") == "#SoftwareArchitecture"
    assert hashtag("c++") == "#C"
    assert hashtag("2026") is None
    assert hashtag("数据工程") == "#数据工程"


def test_nothing_is_cut_mid_word() -> None:
    d = RuleWriter().write(read_article(ARTICLE), str(ARTICLE.url), "x", "announcement")
    assert d is not None
    words = set(ARTICLE.html.replace("<", " ").replace(">", " ").split()) | set(ARTICLE.title.split())
    for word in d.text.replace("…", " ").split():
        assert word in words or word.startswith(("#", "http")) or word.endswith(":") or word in ("Read", "more:")


def test_generate_posts_one_per_account_with_stable_ids() -> None:
    site = demo_sites()[0].model_copy(update={"accounts": sample_accounts()})
    first = generate_posts(GeneratePosts(article=ARTICLE), site, RuleWriter())
    again = generate_posts(GeneratePosts(article=ARTICLE), site, RuleWriter())
    assert [p.post_id for p in first] == [p.post_id for p in again]
    assert [p.text for p in first] == [p.text for p in again]
    assert {p.account_id for p in first} == {a.account_id for a in site.accounts}
    review = next(p for p in first if p.account_id == "demo-linkedin-demo-editor")
    assert review.auto_schedule is False
    assert all(1 <= p.virality <= 10 and p.virality_reasons for p in first)


def test_without_images_instagram_and_tiktok_get_only_rendered_cards_and_platform_filter_applies() -> None:
    site = demo_sites()[0].model_copy(update={"accounts": sample_accounts()})
    no_image = ARTICLE.model_copy(update={"image_urls": []})
    posts = generate_posts(GeneratePosts(article=no_image), site, RuleWriter())
    visual = [p for p in posts if p.platform in ("instagram", "tiktok")]
    assert visual and {p.post_type for p in visual} <= {"quote_card", "carousel"}
    assert all(p.media_plan and p.media_plan["kind"] in ("quote_card", "carousel") for p in visual)
    only_x = generate_posts(GeneratePosts(article=ARTICLE, platforms=["x"]), site, RuleWriter())
    assert {p.platform for p in only_x} == {"x"}


def test_incompatible_post_types_are_not_drafted() -> None:
    site = Site(
        site_id="s",
        accounts=[Account(account_id="ig", platform="instagram", platform_account_id="1", handle="h", settings=AccountSettings())],
    )
    posts = generate_posts(GeneratePosts(article=ARTICLE, post_types=["announcement", "faq_snippet", "thread"]), site, RuleWriter())
    assert [p.post_type for p in posts] == ["announcement"]


def test_a_huge_paragraph_is_split_in_chunks_at_sentence_ends_and_read_within_a_budget() -> None:
    from datetime import UTC, datetime

    from domain.post.reading import CHUNK, MAX_READ_CHARS, _chunks, read_article
    from schemas.events import ContentPublished

    sentences = [f"Sentence {i} is about Kafka streams and Postgres projections." for i in range(20_000)]
    text = " ".join(sentences)
    chunks = _chunks(text)
    assert len(chunks) > 100 and all(c.endswith(".") for c in chunks)  # every cut falls after a full stop
    assert " ".join(chunks) == text and max(map(len, chunks)) < CHUNK + 100
    article = ContentPublished.model_validate(
        dict(content_id="big", site_id="s", title="Big", url="https://x.example/big", html=f"<p>{text}</p>", published_at=datetime.now(UTC))
    )
    digest = read_article(article)  # 1.2 MB of one paragraph
    assert sum(map(len, digest.sentences)) <= MAX_READ_CHARS
    assert digest.sentences[0] == sentences[0] and digest.key_sentences


def test_the_featured_image_wins_over_inline_pixels_and_avatars() -> None:
    body = (
        '<p><img src="https://t.example/pixel.gif" width="1" height="1">'
        '<img class="author-avatar" src="https://blog.example/me.jpg" alt="Ana">Lead paragraph about replay.</p>'
        '<p>More about replay and projections. <img src="https://blog.example/diagram.png" width="1200" height="800" alt="diagram"></p>'
    )
    a = ContentPublished.model_validate(
        {"content_id": "img", "site_id": "demo", "title": "Replay", "url": "https://blog.example/r", "html": body,
         "image_urls": ["https://cdn.example/featured.jpg"], "published_at": datetime.now(UTC)}
    )  # fmt: skip
    d = read_article(a)
    assert [u for u, _ in d.images] == ["https://cdn.example/featured.jpg", "https://blog.example/diagram.png"]
    draft = RuleWriter().write(d, str(a.url), "instagram", "announcement")
    assert draft is not None and draft.media_plan and draft.media_plan["source"] == "https://cdn.example/featured.jpg"


def test_an_image_too_small_for_any_platform_is_never_rendered() -> None:
    import io

    from PIL import Image

    from adapters.images.render import TooSmall, fit

    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "GIF")
    with pytest.raises(TooSmall, match="1x1"):
        fit(buf.getvalue(), "instagram")


def test_a_sites_niche_fills_instagrams_tags_before_the_broad_ones() -> None:
    from commands.adapt import with_niche

    a = ContentPublished.model_validate(
        {"content_id": "tiny", "site_id": "demo", "title": "Sourdough starters", "url": "https://bake.example/s", "html": "<p>Feed it daily.</p>",
         "keywords": ["sourdough"], "image_urls": ["https://bake.example/s.jpg"], "published_at": datetime.now(UTC)}
    )  # fmt: skip
    site = Site(site_id="demo", niche_hashtags=["#SourdoughBaking", "#BreadMaking", "#Week"])
    draft = RuleWriter().write(with_niche(read_article(a), site), str(a.url), "instagram", "announcement")
    assert draft is not None and 20 <= len(draft.hashtags) <= 30 and violations("instagram", "announcement", draft) == []
    tags = draft.hashtags
    assert tags[0] == "#Sourdough" and tags.index("#SourdoughBaking") < tags.index("#BreadMaking") < tags.index("#NewBlogPost")
    assert "#Week" not in tags  # a common word is no topic, even from the site's list


def test_every_skipped_platform_and_type_is_said_with_its_reason() -> None:
    from commands.adapt import draft_posts

    site = demo_sites()[0].model_copy(update={"accounts": sample_accounts()})
    no_image = ARTICLE.model_copy(update={"image_urls": [], "html": "<p>Replays rebuild every view of the log.</p>"})
    drafts, skips = draft_posts(GeneratePosts(article=no_image, post_types=["announcement", "faq_snippet", "thread"]), site, RuleWriter())
    said = {(s.platform, s.post_type): s.reason for s in skips}
    assert "question-and-answer" in said[("linkedin", "faq_snippet")]
    assert "no image" in said[("instagram", "announcement")]
    asked = {(a.platform, t) for a in site.accounts for t in ("announcement", "faq_snippet", "thread") if compatible(a.platform, t)}
    assert {(d.platform, d.post_type) for d in drafts} | set(said) == asked  # nothing asked for goes unsaid


def test_every_shared_url_names_its_post_and_the_sites_campaign_template() -> None:
    import re

    site = demo_sites()[0].model_copy(update={"accounts": sample_accounts(), "utm_campaign": "{site}-{platform}-{content}"})
    posts = generate_posts(GeneratePosts(article=ARTICLE), site, RuleWriter(campaign=site.utm_campaign or ""))
    contents = []
    for p in posts:
        for url in re.findall(r"https?://\S+", "\n".join(p.thread or [p.text])):
            if "utm_source=" in url:
                assert f"utm_content={p.post_id[:12]}" in url and f"utm_campaign=demo-{p.platform}-{ARTICLE.content_id}" in url, url
        if p.utm:
            assert p.utm["utm_content"] == p.post_id[:12]
            contents.append(p.utm["utm_content"])
    assert contents and len(contents) == len(set(contents))  # a click joins back to exactly one post
    with pytest.raises(ValueError, match="utm_campaign"):
        Site(site_id="bad", utm_campaign="{site}-{author}")
