"""Re-driving dead letters once their cause is fixed: each dead letter of ``<topic>.dlq`` goes back
to ``<topic>`` with its original key, bytes and headers, once (recorded in
``dead_letters_redriven``). A dead letter that is a reference (the original was too large to copy)
is re-sent from the original record on its topic. Consumers are idempotent, so a re-driven message
that had in fact been handled changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from adapters.kafka import AIOKafkaSender, KafkaMessage, end_offsets


@dataclass
class RedriveReport:
    dlq_topic: str
    seen: int = 0
    sent: list[tuple[int, int]] = field(default_factory=list)  # (partition, offset) of the dead letters re-sent
    skipped_done: int = 0  # re-sent by an earlier run
    skipped_filter: int = 0
    missing: int = 0  # a reference whose original is gone from its topic (retention)


async def _read_all(consumer: AIOKafkaConsumer, topic: str) -> list[Any]:
    parts = consumer.partitions_for_topic(topic)
    if not parts:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - aiokafka has no public refresh
        parts = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in sorted(parts)]
    if not tps:
        return []
    consumer.assign(tps)
    ends = await end_offsets(consumer, tps)
    await consumer.seek_to_beginning(*tps)
    out: list[Any] = []
    while any([await consumer.position(tp) < ends[tp] for tp in tps]):
        for msgs in (await consumer.getmany(*tps, timeout_ms=1000)).values():
            out += msgs
    return out


async def _original(bootstrap: str, ref: dict[str, Any]) -> Any | None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_partition_fetch_bytes=64 << 20, fetch_max_bytes=64 << 20
    )
    await consumer.start()
    try:
        tp = TopicPartition(ref["topic"], int(ref["partition"]))
        consumer.assign([tp])
        consumer.seek(tp, int(ref["offset"]))
        batch = await consumer.getmany(tp, timeout_ms=5000, max_records=1)
        for msg in batch.get(tp, []):
            if msg.offset == int(ref["offset"]):
                return msg
        return None
    finally:
        await consumer.stop()


async def redrive(
    bootstrap: str,
    pool: Any,
    dlq_topic: str,
    *,
    reason: str | None = None,
    subject: str | None = None,
    dry_run: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> RedriveReport:
    """Re-send the dead letters of ``dlq_topic`` (those whose reason contains ``reason`` and whose
    key is ``subject``, when given) that no earlier run re-sent."""
    if not dlq_topic.endswith(".dlq"):
        raise ValueError(f"{dlq_topic}: a dead-letter topic ends with .dlq")
    report = RedriveReport(dlq_topic)
    done = {
        (r["partition"], r["offset"])
        for r in await pool.fetch('SELECT partition, "offset" FROM dead_letters_redriven WHERE dlq_topic = $1', dlq_topic)
    }
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all", max_request_size=64 << 20)
    await consumer.start()
    await producer.start()
    try:
        sender = AIOKafkaSender(producer)
        for m in await _read_all(consumer, dlq_topic):
            report.seen += 1
            headers = dict(m.headers or [])
            why = headers.get("dlq-reason", b"").decode("utf-8", "replace")
            if (m.partition, m.offset) in done:
                report.skipped_done += 1
                continue
            if (reason and reason not in why) or (subject and (m.key or b"").decode() != subject):
                report.skipped_filter += 1
                continue
            topic = headers.get("dlq-topic", dlq_topic.removesuffix(".dlq").encode()).decode()
            original: KafkaMessage
            if headers.get("dlq-reference") == b"1":
                src = await _original(bootstrap, orjson.loads(m.value)["reference"])
                if src is None:
                    report.missing += 1
                    log(f"{dlq_topic}/{m.partition}@{m.offset}: the original is gone from {topic}")
                    continue
                original = KafkaMessage(src.key, src.value, tuple(src.headers or ()))
            else:
                kept = tuple((k, v) for k, v in (m.headers or []) if not k.startswith("dlq-") and k != "redriven-from")
                original = KafkaMessage(m.key, m.value, kept)
            trail = ("redriven-from", f"{dlq_topic}/{m.partition}@{m.offset}".encode())
            if not dry_run:
                await (await sender.send(topic, KafkaMessage(original.key, original.value, (*original.headers, trail))))
                await pool.execute(
                    'INSERT INTO dead_letters_redriven (dlq_topic, partition, "offset", topic, key, reason) VALUES ($1, $2, $3, $4, $5, $6)'
                    " ON CONFLICT DO NOTHING",
                    dlq_topic,
                    m.partition,
                    m.offset,
                    topic,
                    (m.key or b"").decode("utf-8", "replace"),
                    why[:4000],
                )
            report.sent.append((m.partition, m.offset))
            log(
                f"{'would re-send' if dry_run else 're-sent'} {dlq_topic}/{m.partition}@{m.offset} to {topic}: {why.splitlines()[0] if why else ''}"
            )
    finally:
        await producer.stop()
        await consumer.stop()
    return report
