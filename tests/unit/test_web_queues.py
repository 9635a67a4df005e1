"""The queues pages' pure parts: an RRULE in words (what the rule leaves out taken from its start in
its zone), the next occurrences as the API reckons them, and the pages as a read-only key and a
writing key see them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from socializer.web.auth import Viewer
from socializer.web.queues import HOME, in_words, next_occurrences
from socializer.web.render import env

BERLIN_MONDAY_9 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin (winter time)


def test_a_rule_in_words_says_when_in_the_rules_own_zone() -> None:
    start = BERLIN_MONDAY_9
    assert in_words("FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=9;BYMINUTE=0", "Europe/Berlin", start) == (
        "Every week on Monday, Wednesday and Friday at 09:00"
    )
    assert in_words("RRULE:FREQ=DAILY;BYHOUR=12;BYMINUTE=30", "Europe/Berlin", start) == "Every day at 12:30"
    assert in_words("FREQ=DAILY;INTERVAL=2;BYHOUR=8,18;BYMINUTE=0", "UTC", start) == "Every 2 days at 08:00 and 18:00"
    assert in_words("FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10;BYMINUTE=0", "UTC", start) == "Every month on the 1st Tuesday at 10:00"
    assert in_words("FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=17;BYMINUTE=0;COUNT=6", "UTC", start) == (
        "Every month on the last Friday at 17:00, 6 times"
    )
    assert in_words("FREQ=MONTHLY;BYMONTHDAY=1,15;BYHOUR=9;BYMINUTE=0", "UTC", start) == "Every month on the 1st and 15th at 09:00"
    assert in_words("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;BYMINUTE=0", "UTC", start) == (
        "Every year on the 29th in February at 09:00"
    )
    assert in_words("FREQ=HOURLY;BYMINUTE=15;UNTIL=20261231T000000Z", "UTC", start) == "Every hour at :15 past the hour, until 2026-12-31"


def test_what_a_rule_leaves_out_comes_from_its_start_in_its_zone() -> None:
    # Monday 08:00 UTC is 09:00 in Berlin and 03:00 in New York: the rule's zone says which
    assert in_words("FREQ=WEEKLY", "Europe/Berlin", BERLIN_MONDAY_9) == "Every week on Monday at 09:00"
    assert in_words("FREQ=WEEKLY", "America/New_York", BERLIN_MONDAY_9) == "Every week on Monday at 03:00"
    assert in_words("FREQ=MONTHLY;BYHOUR=9", "Europe/Berlin", BERLIN_MONDAY_9) == "Every month on the 2nd at 09:00"
    assert in_words("FREQ=YEARLY", "Europe/Berlin", BERLIN_MONDAY_9) == "Every year on 2 March at 09:00"
    assert in_words("FREQ=YEARLY;BYMONTH=6,12", "Europe/Berlin", BERLIN_MONDAY_9) == "Every year on the 2nd in June and December at 09:00"


def test_a_rule_saying_more_than_words_can_is_shown_as_its_rrule() -> None:
    for rule in (
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",  # the last weekday of the month
        "FREQ=YEARLY;BYWEEKNO=20",
        "FREQ=YEARLY;BYMONTHDAY=1",  # the 1st of every month, not of the start's month
        "FREQ=YEARLY;BYDAY=MO",  # every Monday of the year
        "FREQ=FORTNIGHTLY",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;BYDAY=1MO",  # an ordinal day is a month's or a year's
        "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8;BYMINUTE=0",  # more times than a line holds
        "FREQ=DAILY;BYSECOND=30",
        "not a rule",
    ):
        assert in_words(rule, "UTC", BERLIN_MONDAY_9) is None, rule
    assert in_words("FREQ=DAILY", "Europe/Atlantis", BERLIN_MONDAY_9) is None


def _queue(**kw: Any) -> dict[str, Any]:
    row = {
        "queue_id": "q1",
        "site_id": "s1",
        "account_id": "a1",
        "platform": "x",
        "name": "Tips",
        "kind": "fifo",
        "rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0",
        "tzid": "Europe/Berlin",
        "starts_at": datetime(2026, 1, 1, tzinfo=UTC),
        "content_id": None,
        "min_gap_hours": 0.0,
        "status": "active",
        "version": 3,
        "items": [
            {"item_id": "i2", "text": "Second, with priority", "link_url": None, "priority": True, "seq": 1},
            {"item_id": "i1", "text": "First in", "link_url": None, "priority": False, "seq": 0},
        ],
        "posted": 2,
        "skipped": 1,
        "last_occurrence": None,
        "last_post_id": None,
        "last_skip": "empty",
        "created_by": "k",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 2, tzinfo=UTC),
    }
    return row | kw


def test_the_next_occurrences_keep_the_local_time_through_daylight_saving_and_stop_while_paused() -> None:
    now = datetime(2026, 3, 20, tzinfo=UTC)  # Berlin moves its clocks on 29 March
    got = next_occurrences(_queue(), now)
    assert [o.isoformat() for o in got] == [
        "2026-03-23T08:00:00+00:00",
        "2026-03-30T07:00:00+00:00",
        "2026-04-06T07:00:00+00:00",
        "2026-04-13T07:00:00+00:00",
        "2026-04-20T07:00:00+00:00",
    ]
    # after the last occurrence done, never before it
    assert next_occurrences(_queue(last_occurrence=datetime(2026, 4, 6, 7, tzinfo=UTC)), now)[0].isoformat() == "2026-04-13T07:00:00+00:00"
    assert next_occurrences(_queue(status="paused"), now) == []


def _render(template: str, can_write: bool, **context: Any) -> str:
    who = Viewer(site_id="s1", timezone="America/New_York", csrf="t", can_write=can_write)
    return env.get_template(template).render(request=None, viewer=who, path=HOME, home=HOME, **context)


def test_a_queue_page_lists_its_items_in_the_order_given_and_hides_every_action_from_a_read_only_key() -> None:
    qu = _queue(words="Every week on Monday at 09:00", next=[datetime(2026, 3, 23, 8, tzinfo=UTC)], last_post_id="p9")
    html = _render("queue.html", True, qu=qu, account=None, last=None)
    assert html.index("Second, with priority") < html.index("First in")
    assert 'data-version="3"' in html and 'id="pause-button"' in html and 'id="item-form"' in html
    assert 'aria-label="Post first: item 2"' in html and 'href="/socializer/posts/p9"' in html
    assert "Mon 23 Mar 2026, 04:00" in html, "the next occurrence in the site's zone"
    read = _render("queue.html", False, qu=qu, account=None, last=None)
    for action in ('id="pause-button"', 'id="resume-button"', 'id="item-form"', "priority-button"):
        assert action not in read, action
    assert "Second, with priority" in read

    listed = _render("queues.html", False, rows=[qu], total=1, offset=0, size=50, accounts={}, postable=[], articles=[])
    assert f'href="{HOME}/q1"' in listed and "queue-form" not in listed and "Europe/Berlin" in listed
    nav = _render("queues.html", True, rows=[], total=0, offset=0, size=50, accounts={}, postable=[], articles=[])
    assert f'<a href="{HOME}" aria-current="page">Queues</a>' in nav
    assert '<a href="/socializer/dashboard" aria-current="page">' not in nav
