"""Envelope encoding and the registry: stable type names, readable errors naming the field, upcasting."""

from datetime import UTC, datetime

import orjson
import pytest

from schemas.envelope import derived_id
from schemas.events import PostCancelled, PostScheduled
from schemas.exceptions import InvalidEvent
from schemas.registry import Registry, decode_upstream, registry


def test_round_trip_in_a_cloudevents_envelope() -> None:
    ev = PostScheduled(post_id="p", account_id="a", platform="x", scheduled_at=datetime(2026, 1, 1, tzinfo=UTC))
    raw = registry.encode(ev, source="test", subject="p")
    obj = orjson.loads(raw)
    assert obj["specversion"] == "1.0" and obj["type"] == "socializer.post.scheduled.v1" and obj["subject"] == "p"
    assert obj["correlationid"] == obj["id"] and obj["data"]["scheduled_at"] == "2026-01-01T00:00:00Z"
    assert registry.decode(raw).message == ev


def test_errors_name_the_field() -> None:
    with pytest.raises(InvalidEvent, match="not JSON"):
        registry.decode(b"{nope")
    with pytest.raises(InvalidEvent, match="envelope.type"):
        registry.decode(orjson.dumps({"id": "1", "source": "s", "type": "nope.v1", "data": {}}))
    with pytest.raises(InvalidEvent, match="data.scheduled_at"):
        registry.decode(
            orjson.dumps(
                {
                    "id": "1",
                    "source": "s",
                    "type": "socializer.post.scheduled.v1",
                    "data": {"post_id": "p", "account_id": "a", "platform": "x"},
                }
            )
        )


def test_unknown_fields_are_ignored_so_producers_can_add_fields_first() -> None:
    raw = orjson.dumps(
        {"id": "1", "source": "s", "type": "socializer.post.cancelled.v1", "data": {"post_id": "p", "reason": "r", "added_later": 1}}
    )
    assert registry.decode(raw).message == PostCancelled(post_id="p", reason="r")


def test_upcaster_maps_an_old_type_to_the_current_one() -> None:
    r = Registry()
    r.register("socializer.post.cancelled.v2", PostCancelled)

    @r.upcaster("socializer.post.cancelled.v1")
    def v1_to_v2(data: dict) -> tuple[str, dict]:
        return "socializer.post.cancelled.v2", {"post_id": data["id"], "reason": data.get("why", "")}

    decoded = r.decode(orjson.dumps({"id": "1", "source": "s", "type": "socializer.post.cancelled.v1", "data": {"id": "p", "why": "w"}}))
    assert decoded.message == PostCancelled(post_id="p", reason="w") and decoded.envelope.type == "socializer.post.cancelled.v2"


def test_bare_upstream_objects_are_accepted_and_wrong_types_refused() -> None:
    bare = {
        "content_id": "c",
        "site_id": "s",
        "title": "T",
        "url": "https://x.example/a",
        "html": "<p>x</p>",
        "published_at": "2026-01-01T00:00:00+00:00",
    }
    assert decode_upstream(orjson.dumps(bare)).message.content_id == "c"
    with pytest.raises(InvalidEvent, match="published_at"):
        decode_upstream(orjson.dumps({**bare, "published_at": "2026-01-01T00:00:00"}))
    other = registry.encode(PostCancelled(post_id="p"), source="s", subject="p")
    with pytest.raises(InvalidEvent, match="expected socializer.content.published.v1"):
        decode_upstream(other)


def test_derived_ids_are_stable_and_distinct() -> None:
    assert derived_id("a", "b") == derived_id("a", "b") != derived_id("a", "c")


def test_every_type_exports_a_json_schema() -> None:
    schemas = registry.json_schemas()
    assert "socializer.content.published.v1" in schemas
    assert set(schemas["socializer.content.published.v1"]["required"]) >= {"content_id", "site_id", "title", "url", "html", "published_at"}
