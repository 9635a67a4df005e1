"""A malformed upstream event lands in the DLQ with a readable reason; the next valid one is processed."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from tests.integration.articles import article
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration


async def dlq_messages(broker: str) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition("content.published.dlq", p) for p in consumer.partitions_for_topic("content.published.dlq") or []]
        if not tps:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            tps = [TopicPartition("content.published.dlq", p) for p in consumer.partitions_for_topic("content.published.dlq") or []]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for msgs in (await consumer.getmany(timeout_ms=500)).values():
                out += msgs
        return out
    finally:
        await consumer.stop()


async def test_poison_events_are_dead_lettered_and_the_stream_goes_on(system) -> None:  # type: ignore[no-untyped-def]
    await system.emit(b'{"not json', key="poison-1")
    bad = article("poison-2").model_dump(mode="json")
    bad["url"] = "not a url"
    import orjson

    await system.emit(orjson.dumps({"id": "e1", "source": "tests", "type": "socializer.content.published.v1", "data": bad}), key="poison-2")
    await system.emit(orjson.dumps({**article("poison-3").model_dump(mode="json"), "site_id": "nobody"}), key="poison-3")
    await system.emit(article("after-poison"))

    async def processed():  # type: ignore[no-untyped-def]
        async with system.client() as c:
            r = await c.get("/api/v1/social/posts/", params={"site_id": "itest", "content_id": "after-poison"})
            return r.json()["count"] > 0

    await eventually(processed, what="the valid event after the poison ones")

    async def three_dead():  # type: ignore[no-untyped-def]
        msgs = await dlq_messages(system.infra.broker)
        return msgs if len(msgs) >= 3 else None

    msgs = await eventually(three_dead, what="three dead letters")
    by_key = {m.key: m for m in msgs}
    reasons = {k: dict(m.headers)["dlq-reason"].decode() for k, m in by_key.items()}
    assert "not JSON" in reasons[b"poison-1"]
    assert "data.url" in reasons[b"poison-2"]
    assert "no site 'nobody'" in reasons[b"poison-3"]
    assert by_key[b"poison-1"].value == b'{"not json'  # the original bytes, untouched
    headers = dict(by_key[b"poison-2"].headers)
    assert headers["dlq-topic"] == b"content.published" and headers["dlq-agent"] == b"intake"
