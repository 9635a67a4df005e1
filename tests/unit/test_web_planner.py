"""The calendar's and the post page's pure parts: local days, cap and cooldown shading, ghosts,
LinkedIn's fold, X's weighted count, Instagram's hashtags."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from domain.post.limits import x_weighted_length
from domain.schedule import SlotPolicy
from schemas.events import AccountSettings
from socializer.web.calendar import Ghost, build, span, step
from socializer.web.posts import fold, preview, tagged

TZ = "America/New_York"


def post(pid: str, at: datetime, account: str = "a1", status: str = "scheduled") -> dict[str, Any]:
    return {
        "post_id": pid,
        "account_id": account,
        "platform": "x",
        "post_type": "announcement",
        "status": status,
        "preview": pid,
        "at": at,
        "version": 2,
    }


def test_views_span_whole_weeks_and_step_by_their_size() -> None:
    assert span("month", date(2026, 12, 15)) == (date(2026, 11, 30), date(2027, 1, 4))
    assert span("week", date(2026, 12, 10)) == (date(2026, 12, 7), date(2026, 12, 14))
    assert span("day", date(2026, 12, 10)) == (date(2026, 12, 10), date(2026, 12, 11))
    assert step("month", date(2026, 12, 31)) == (date(2026, 11, 1), date(2027, 1, 1))
    assert step("week", date(2026, 12, 10)) == (date(2026, 12, 3), date(2026, 12, 17))


def test_a_post_sits_on_its_local_day_and_hour() -> None:
    late = post("p1", datetime(2026, 12, 11, 3, 30, tzinfo=UTC))  # 22:30 on the 10th in New York
    month = build("month", date(2026, 12, 1), TZ, [late])
    (cell,) = [c for row in month["rows"] for c in row if c.posts]
    assert cell.day == date(2026, 12, 10) and late["local"] == "22:30"
    week = build("week", date(2026, 12, 10), TZ, [post("p1", late["at"])])
    (hour,) = [c for row in week["rows"] for c in row if c.posts]
    assert (hour.day, hour.hour) == (date(2026, 12, 10), 22)


def test_a_full_day_is_shaded_for_the_cap_and_close_posts_for_the_cooldown() -> None:
    policy = SlotPolicy.of(AccountSettings(max_per_day=2, cooldown_hours=4), TZ)
    posts = [
        post("p1", datetime(2026, 12, 10, 14, tzinfo=UTC)),
        post("p2", datetime(2026, 12, 10, 16, tzinfo=UTC)),  # 2 h after p1: inside the cooldown
        post("p3", datetime(2026, 12, 12, 14, tzinfo=UTC)),
    ]
    view = build("month", date(2026, 12, 1), TZ, posts, policies={"a1": policy})
    cells = {c.day: c for row in view["rows"] for c in row}
    assert cells[date(2026, 12, 10)].capped == ["a1 (2 of 2 per day)"] and "cap" in cells[date(2026, 12, 10)].shade
    assert cells[date(2026, 12, 10)].cooldown == ["p1", "p2"] and posts[1]["cooldown_with"] == "p1"
    assert cells[date(2026, 12, 12)].shade == ""


def test_ghosts_land_on_their_slot() -> None:
    g = Ghost(datetime(2026, 12, 10, 14, tzinfo=UTC), "a1", "x", "expected +8% engagement")
    view = build("day", date(2026, 12, 10), TZ, [], ghosts=[g])
    (cell,) = [c for row in view["rows"] for c in row if c.ghosts]
    assert cell.hour == 9 and cell.ghosts == [g]


def test_linkedin_folds_after_three_lines_or_about_210_characters_at_a_word() -> None:
    long = "word " * 80
    head, rest = fold(long)
    assert len(head) <= 210 and head.endswith("word") and (head + " " + rest).split() == long.split()
    assert fold("one\ntwo\nthree\nfour") == ("one\ntwo\nthree", "four")
    assert fold("short") == ("short", "")


def test_x_counts_as_the_validator_does_and_hashtags_are_marked() -> None:
    text = "Links count 23: https://example.com/a/very/long/path/that/is/longer/than/23 and emoji 🎉"
    row = {"platform": "x", "text": text, "thread": None, "link_url": None, "hashtags": []}
    (tweet,) = preview(row)["tweets"]
    assert tweet["count"] == x_weighted_length(text) and tweet["count"] < len(text)
    assert tagged("Hello #World!") == [(False, "Hello "), (True, "#World"), (False, "!")]
    ig = preview({"platform": "instagram", "text": "A day #Kafka", "thread": None, "link_url": None, "hashtags": ["Kafka", "events"]})
    assert ig["tags"] == ["#events"]
