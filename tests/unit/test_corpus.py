"""The corpus check: for each of thirty varied articles, every post the writer drafts for every
platform and post type passes its platform's validator (X counted by twitter-text), and the
deterministic writer's output is stable (golden file; ``UPDATE_GOLDEN=1`` rewrites it)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from domain.platforms import COMPATIBLE
from domain.post.reading import read_article
from domain.post.rules import RuleWriter
from domain.post.tags import common
from domain.post.validate import violations
from tests.corpus.articles import corpus

GOLDEN = Path(__file__).parent.parent / "corpus" / "golden.json"
PLATFORMS = ["linkedin", "x", "facebook", "instagram", "tiktok"]
ARTICLES = corpus()


def drafts_of(article):  # type: ignore[no-untyped-def]
    digest = read_article(article)
    for platform in PLATFORMS:
        for post_type, allowed in COMPATIBLE.items():
            if platform in allowed:
                yield platform, post_type, RuleWriter().write(digest, str(article.url), platform, post_type)


@pytest.mark.parametrize("article", ARTICLES, ids=[a.content_id for a in ARTICLES])
def test_every_draft_of_every_article_passes_its_validator(article) -> None:  # type: ignore[no-untyped-def]
    made = 0
    for platform, post_type, draft in drafts_of(article):
        if draft is None:
            no_image = not article.image_urls and platform in ("instagram", "tiktok")
            assert no_image or post_type in ("faq_snippet", "highlights", "thread", "carousel"), (platform, post_type)
            continue
        made += 1
        problems = violations(platform, post_type, draft)
        assert problems == [], f"{article.content_id} {platform} {post_type}: {problems}\n{draft.text}"
        if platform == "instagram":  # the seed's line: 20–30 hashtags, whatever the language
            assert 20 <= len(draft.hashtags) <= 30, (article.content_id, post_type, draft.hashtags)
        named = {k.replace(" ", "").lower() for k in article.keywords}
        words = [t for t in draft.hashtags if common(t, article.language) and t[1:].lower() not in named]
        assert words == [], (article.content_id, platform, post_type, words)  # a hashtag names a topic, not a common word
        if article.language[:2] != "en":  # stays in its language: no English phrase slips in
            for english in ("Read the full article", "Key takeaways", "What do you think", "Read more:", "Swipe through"):
                assert english not in draft.text, (article.content_id, platform, post_type)
    assert made >= 5


def test_the_corpus_is_varied() -> None:
    langs = {a.language for a in ARTICLES}
    assert len(ARTICLES) >= 30 and {"de", "es", "fr", "ja", "zh"} <= langs
    assert any(not a.image_urls for a in ARTICLES) and any("<pre>" in a.html for a in ARTICLES)
    assert sum(1 for a in ARTICLES if read_article(a).faqs) >= 4


def test_golden_outputs_are_stable() -> None:
    current = {
        f"{a.content_id}/{platform}/{post_type}": (d.thread or d.text) if d else None
        for a in ARTICLES
        for platform, post_type, d in drafts_of(a)
    }
    if os.environ.get("UPDATE_GOLDEN") or not GOLDEN.exists():
        GOLDEN.write_text(json.dumps(current, ensure_ascii=False, indent=1, sort_keys=True))
    golden = json.loads(GOLDEN.read_text())
    changed = sorted(k for k in current if golden.get(k) != current[k])
    assert not changed, f"{len(changed)} drafts changed (UPDATE_GOLDEN=1 to accept): {changed[:5]}"
    assert hashlib.sha256(GOLDEN.read_bytes()).hexdigest()  # the file is committed with the tests
