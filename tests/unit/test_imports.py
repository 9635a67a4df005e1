"""A bulk import's rows read and planned: errors at their row and column, identities, slots, conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commands.imports import Target, plan, post_id_of
from domain.imports import FileRefused, read_csv, rows_of
from domain.schedule import SlotPolicy

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
POLICY = SlotPolicy(timezone="Europe/Berlin", best_times=("09:00", "15:00"), max_per_day=2, cooldown_hours=2, interval_minutes=None)
TARGETS = [Target("acc-x", "blog_x", "x", POLICY), Target("acc-li", "blog_li", "linkedin", POLICY)]


def planned(csv_text: str, occupied: dict | None = None, existing: set[str] | None = None):  # type: ignore[no-untyped-def]
    rows = rows_of(read_csv(csv_text), site_id="s1", timezone="Europe/Berlin")
    return plan(rows, TARGETS, occupied or {}, existing or set(), site_id="s1", requested_by="k1", now=NOW)


def test_an_over_limit_x_text_is_reported_at_its_row_and_the_text_column() -> None:
    long = "word " * 80
    out = planned(f"platform,text,time\nx,fine,next\nx,{long},next\n")
    assert [p.action for p in out] == ["create", "invalid"]
    (err,) = out[1].errors
    assert (err.row, err.column) == (2, "text") and "over x's 280" in err.detail


def test_csv_errors_name_their_row_and_column() -> None:
    out = planned(
        "account,text,time,post_type,link\n"
        "blog_x,ok,tomorrow,announcement,https://a.example/\n"
        "nobody,ok,next,announcement,\n"
        "blog_li,,next,poem,ftp://x\n"
    )
    errs = {(e.row, e.column) for p in out for e in p.errors}
    assert errs == {(1, "time"), (2, "account"), (3, "text"), (3, "post_type"), (3, "link")}
    assert all(p.action == "invalid" for p in out)


def test_an_unknown_column_refuses_the_file_naming_it() -> None:
    with pytest.raises(FileRefused, match="'colour'"):
        read_csv("platform,text,colour\nx,hi,red\n")


def test_a_local_time_is_read_in_the_sites_zone_and_next_takes_the_next_free_slot_after_earlier_rows() -> None:
    out = planned("platform,text,time\nlinkedin,one,2026-03-03T15:00\nlinkedin,two,next\nlinkedin,three,next\n")
    berlin = ZoneInfo("Europe/Berlin")
    assert out[0].scheduled_at == datetime(2026, 3, 3, 15, 0, tzinfo=berlin)
    assert [p.slot for p in out] == ["given", "next", "next"]
    assert out[1].scheduled_at == datetime(2026, 3, 2, 15, 0, tzinfo=berlin)  # 09:00 local is now: 15:00 is the next
    assert out[2].scheduled_at == datetime(2026, 3, 3, 9, 0, tzinfo=berlin)  # the 3rd's 15:00 is row 1's


def test_a_cooldown_conflict_is_reported_at_the_time_column_naming_the_other_post() -> None:
    at = datetime(2026, 3, 3, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    out = planned("platform,text,time\nx,later,2026-03-03T09:30+01:00\n", occupied={"acc-x": [("p-held", at)]})
    (err,) = out[0].errors
    assert err.column == "time" and "p-held" in err.detail and "cooldown" in err.detail


def test_the_same_row_is_the_same_post_a_repeat_in_the_file_is_a_duplicate_and_an_imported_row_exists() -> None:
    text = "platform,text,time\nx,hello,next\nx,hello,next\nx,other,next\n"
    first = planned(text)
    assert [p.action for p in first] == ["create", "duplicate", "create"] and first[1].duplicate_of == 1
    again = planned(text, existing={first[0].post_id})
    assert [p.action for p in again] == ["exists", "duplicate", "create"]
    assert again[0].post_id == first[0].post_id == post_id_of("s1", first[0].key)


def test_an_id_column_is_the_rows_identity() -> None:
    a = planned("id,platform,text\nrow-1,x,hello\n")
    b = planned("id,platform,text\nrow-1,x,changed text\n")
    assert a[0].post_id == b[0].post_id and a[0].key == "row-1"


def test_a_past_time_is_refused_at_the_time_column_and_an_empty_time_is_a_draft() -> None:
    past = (NOW - timedelta(days=1)).isoformat()
    out = planned(f"platform,text,time\nx,late,{past}\nlinkedin,draft,\n")
    assert out[0].errors[0].column == "time"
    assert out[1].action == "create" and out[1].scheduled_at is None and out[1].command is not None
