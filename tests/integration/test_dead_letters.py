"""A malformed upstream event lands in the DLQ with a readable reason; the next valid one is processed."""

from __future__ import annotations

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from adapters.kafka import end_offsets
from tests.integration.articles import article
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration


async def dlq_messages(broker: str) -> list:  # type: ignore[type-arg]
    return await topic_messages(broker, "content.published.dlq")


async def topic_messages(broker: str, topic: str) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False, max_partition_fetch_bytes=16 << 20)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not tps:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(tps)
        ends = await end_offsets(consumer, tps)
        await consumer.seek_to_beginning(*tps)
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


async def test_an_oversized_message_is_dead_lettered_by_reference_and_redrive_resends_each_dead_letter_once(system) -> None:  # type: ignore[no-untyped-def]
    from aiokafka import AIOKafkaProducer

    from adapters.dead_letters import redrive
    from adapters.postgres import create_pool

    big = article("huge-1", html="<p>" + "Kafka and Postgres. " * 80_000 + "</p>").model_dump(mode="json")
    value = orjson.dumps(big)
    assert len(value) > 1_500_000
    producer = AIOKafkaProducer(bootstrap_servers=system.infra.broker, enable_idempotence=False, max_request_size=4 << 20)
    await producer.start()
    try:
        await producer.send_and_wait("content.published", value, key=b"huge-1")
    finally:
        await producer.stop()

    async def referenced():  # type: ignore[no-untyped-def]
        return next((m for m in await dlq_messages(system.infra.broker) if m.key == b"huge-1"), None)

    dead = await eventually(referenced, what="the oversized message's dead letter")
    body = orjson.loads(dead.value)
    assert dict(dead.headers)["dlq-reference"] == b"1" and body["reference"]["size"] == len(value)
    assert "bytes; content.published takes up to" in body["reason"] and body["head"].startswith('{"content_id":"huge-1"')

    pool = await create_pool(system.infra.dsn, max_size=1)
    try:
        first = await redrive(system.infra.broker, pool, "content.published.dlq", subject="huge-1")
        assert len(first.sent) == 1 and first.missing == 0  # re-sent from the original on content.published

        async def twice():  # type: ignore[no-untyped-def]
            return [m for m in await dlq_messages(system.infra.broker) if m.key == b"huge-1"][1:] or None

        (again,) = await eventually(twice, what="the re-driven copy, refused again")
        assert dict(again.headers)["dlq-reference"] == b"1"
        second = await redrive(system.infra.broker, pool, "content.published.dlq", subject="huge-1")
        assert set(second.sent).isdisjoint(first.sent) and second.skipped_done >= 1  # each dead letter once
    finally:
        await pool.close()
