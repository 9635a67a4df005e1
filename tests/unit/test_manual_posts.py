"""What a person writes or edits passes the same platform rules as a generated post: refused at the
command, naming the field, or completed (hashtags, link, UTM, thread numbering) — never cut silently."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commands import posts as d
from commands.exceptions import InvalidContent
from domain.post import limits
from schemas import commands as c
from schemas import events as e

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def create(platform: str, **body: object) -> list[e.Event]:
    cmd = c.DecidePost(
        command_id="c",
        post_id="post-123456789",
        site_id="s",
        platform=platform,  # type: ignore[arg-type]
        create=c.CreatePost(account_id="a", site_id="s", **body),
    )  # type: ignore[arg-type]
    return d.handle(None, cmd, NOW)


def edit(state: d.PostState, **body: object) -> list[e.Event]:
    return d.handle(state, c.DecidePost(command_id="e", post_id=state.post_id, site_id="s", edit=c.EditPost(**body)), NOW)  # type: ignore[arg-type]


def drafted(platform: str, **body: object) -> d.PostState:
    (ev,) = create(platform, **body)
    state = d.fold(None, ev)
    assert state is not None
    return state


def test_an_over_limit_manual_x_post_is_refused_naming_text() -> None:
    with pytest.raises(InvalidContent, match="text: is 505 characters") as err:
        create("x", text="a" * 505)
    assert err.value.field == "text"


def test_an_over_limit_linkedin_edit_is_refused_naming_text() -> None:
    with pytest.raises(InvalidContent, match="over linkedin's 3000") as err:
        edit(drafted("linkedin", text="Short and fine."), text="word " * 720)
    assert err.value.field == "text"


def test_links_hashtags_and_utm_are_completed_not_dropped() -> None:
    (ev,) = create(
        "linkedin",
        text="Read our take on https://blog.example/a",
        hashtags=["kafka", "#Event Sourcing", "#kafka"],
        link_url="https://blog.example/b",
    )
    assert isinstance(ev, e.PostDrafted)
    assert ev.hashtags == ["#kafka", "#EventSourcing"] and ev.text.endswith("#kafka #EventSourcing")
    assert "https://blog.example/a?utm_source=linkedin&utm_medium=social&utm_campaign=socializer&utm_content=post-1234567" in ev.text
    assert ev.link_url and "utm_content=post-1234567" in ev.link_url and ev.link_url in ev.text
    assert ev.virality is not None


def test_instagram_refuses_links_and_posts_without_media() -> None:
    with pytest.raises(InvalidContent) as no_media:
        create("instagram", text="Look")
    assert no_media.value.field == "media_urls"
    with pytest.raises(InvalidContent, match="no clickable links") as link:
        create("instagram", text="See https://blog.example", media_urls=["https://img.example/1.jpg"])
    assert link.value.field == "text"


def test_an_x_thread_is_numbered_fitted_and_its_edit_is_the_new_thread() -> None:
    state = drafted("x", text="ignored", thread=["First point", "Second point"], link_url="https://blog.example/t")
    assert state.thread is not None and state.thread[0].startswith("1/2 First") and "utm_source=x" in state.thread[1]
    (ev,) = edit(state, thread=["One", "Two", "Three"])
    assert isinstance(ev, e.PostEdited) and ev.thread is not None and [t.split(" ", 1)[0] for t in ev.thread] == ["1/3", "2/3", "3/3"]
    assert all(limits.x_weighted_length(t) <= 280 for t in ev.thread)
    with pytest.raises(InvalidContent) as too_long:
        edit(state, thread=[f"post {i}" for i in range(11)])
    assert too_long.value.field == "thread"
    with pytest.raises(InvalidContent) as text_only:
        edit(state, text="A thread edited as one text")
    assert text_only.value.field == "thread"


def test_editing_hashtags_replaces_the_appended_line() -> None:
    state = drafted("facebook", text="Our news", hashtags=["#One", "#Two", "#Three"])
    (ev,) = edit(state, hashtags=["#Four", "#Five", "#Six"])
    assert isinstance(ev, e.PostEdited) and ev.text is not None
    assert ev.text.endswith("#Four #Five #Six") and "#One" not in ev.text and ev.text.startswith("Our news")


def test_bad_hashtags_are_refused_naming_hashtags() -> None:
    with pytest.raises(InvalidContent) as err:
        create("x", text="hi", hashtags=["#_"])
    assert err.value.field == "hashtags"
    with pytest.raises(InvalidContent, match="at most 2"):
        create("x", text="hi", hashtags=["#a1", "#b2", "#c3"])
