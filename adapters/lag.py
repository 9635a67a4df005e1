"""Consumer lag from the broker: per consumer group and topic, end offsets minus committed offsets.

Asked of the broker (OffsetFetch for each group's committed offsets, ListOffsets for the ends), so it
is the same number for every agent whatever process runs it, and it keeps growing when the agent's
process is dead. Groups are listed by the broker (ListGroups) and always include the ones the
composition root names, in case a broker does not list them.

The committed offsets are fetched through a group's consumer coordinator (one OffsetFetch naming every
partition of every topic), not the admin client's "all offsets of the group" form: Tansu closes the
connection on that one (measured with aiokafka 0.12 against Tansu 0.6). A topic the group has never
committed on is not counted as its topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from schemas import topics as t

log = logging.getLogger("socializer.lag")


class LagReader:
    def __init__(self, bootstrap: str, groups: Iterable[str], *, timeout: float = 5.0) -> None:
        self.bootstrap = bootstrap
        self.known = list(groups)
        self.timeout = timeout
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=int(self.timeout * 1000))
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False)
            await admin.start()
            await consumer.start()
            self._admin, self._consumer = admin, consumer
        return self._admin, self._consumer

    async def groups(self) -> list[str]:
        admin, _ = await self._clients()
        try:
            listed = [g[0] for g in await admin.list_consumer_groups()]
        except Exception as err:  # noqa: BLE001 - a broker without ListGroups: the known groups still count
            log.debug("ListGroups failed: %s", err)
            listed = []
        return sorted(set(listed) | set(self.known))

    async def lag(self) -> dict[tuple[str, str], int]:
        """(group, topic) -> messages not yet committed. Raises when the broker cannot be asked."""
        async with self._lock:
            try:
                return await asyncio.wait_for(self._lag(), self.timeout)
            except BaseException:
                await self.close()  # start afresh on the next scrape
                raise

    async def _lag(self) -> dict[tuple[str, str], int]:
        _, consumer = await self._clients()
        parts = [TopicPartition(topic, p) for topic in t.ALL for p in sorted(await _partitions(consumer, topic))]
        ends = await consumer.end_offsets(parts) if parts else {}
        out: dict[tuple[str, str], int] = {}
        for group in await self.groups():
            committed = await self._committed(group, parts)
            mine = {tp.topic for tp, off in committed.items() if off >= 0}
            for tp in parts:
                if tp.topic in mine:
                    key = (group, tp.topic)
                    out[key] = out.get(key, 0) + max(0, ends.get(tp, 0) - max(0, committed.get(tp, -1)))
        return out

    async def _committed(self, group: str, parts: list[TopicPartition]) -> dict[TopicPartition, int]:
        reader = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=group, enable_auto_commit=False)
        await reader.start()  # not subscribed: it joins nothing, it only asks the group's coordinator
        try:
            found = await reader._coordinator.fetch_committed_offsets(parts)  # noqa: SLF001 - one request for all partitions
        finally:
            await reader.stop()
        return {tp: meta.offset for tp, meta in found.items()}

    async def close(self) -> None:
        admin, consumer, self._admin, self._consumer = self._admin, self._consumer, None, None
        for client in (consumer, admin):
            if client is not None:
                try:
                    await client.close() if isinstance(client, AIOKafkaAdminClient) else await client.stop()
                except Exception as err:  # noqa: BLE001
                    log.debug("closing a lag client: %s", err)


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    known = consumer.partitions_for_topic(topic)
    if known is None:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - a fresh consumer knows no topics yet
        known = consumer.partitions_for_topic(topic)
    return known or set()
