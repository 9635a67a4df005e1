"""Operators' tools: ``tail``, ``emit``, ``replay``, ``vault``, ``apikey``, ``schemas``."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import orjson

from socializer.cli.common import tool_settings
from socializer.exceptions import SocializerError


def cmd_tail(args: argparse.Namespace) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from adapters.kafka import end_offsets

    s = tool_settings()
    s.require("broker")

    async def run() -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=s.broker, enable_auto_commit=False)
        await consumer.start()
        try:
            parts = consumer.partitions_for_topic(args.topic) or set()
            if not parts:
                await consumer._client.force_metadata_update()  # noqa: SLF001
                parts = consumer.partitions_for_topic(args.topic) or set()
            if not parts:
                raise SocializerError(f"no topic {args.topic}")
            tps = [TopicPartition(args.topic, p) for p in sorted(parts)]
            consumer.assign(tps)
            ends = await end_offsets(consumer, tps)
            if args.from_beginning:
                await consumer.seek_to_beginning(*tps)
            else:
                await consumer.seek_to_end(*tps)
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=500)
                for _tp, msgs in batch.items():
                    for m in msgs:
                        _print_message(m, args)
                if not args.follow:
                    positions = [await consumer.position(tp) for tp in tps]
                    if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=False)):
                        return
        finally:
            await consumer.stop()

    try:
        asyncio.run(run())
    except (KeyboardInterrupt, BrokenPipeError):
        pass


def _print_message(m, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    try:
        obj = orjson.loads(m.value) if m.value else None
    except orjson.JSONDecodeError:
        obj = None
    etype = obj.get("type") if isinstance(obj, dict) else None
    subject = obj.get("subject") if isinstance(obj, dict) else None
    if args.type and etype != args.type and not (etype or "").endswith(args.type):
        return
    if args.subject and subject != args.subject:
        return
    headers = {k: v.decode(errors="replace") for k, v in (m.headers or [])}
    if args.json:
        print(
            orjson.dumps(
                {
                    "topic": m.topic,
                    "partition": m.partition,
                    "offset": m.offset,
                    "key": m.key.decode(errors="replace") if m.key else None,
                    "headers": headers,
                    "value": obj if obj is not None else (m.value or b"").decode(errors="replace"),
                }
            ).decode(),
            flush=True,
        )
        return
    when = obj.get("time", "") if isinstance(obj, dict) else ""
    print(f"{m.topic}[{m.partition}]@{m.offset}  {when}  {etype or '(not an envelope)'}  subject={subject}", flush=True)
    if "dlq-reason" in headers:
        print(f"    dlq-reason: {headers['dlq-reason']}")
    body = obj.get("data") if isinstance(obj, dict) and "data" in obj else obj
    text = orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() if body is not None else repr(m.value)
    print("    " + text.replace("\n", "\n    "), flush=True)


def cmd_emit(args: argparse.Namespace) -> None:
    from aiokafka import AIOKafkaProducer

    from adapters.kafka import AIOKafkaSender, send_all
    from schemas import topics
    from schemas.events import ContentPublished
    from schemas.registry import decode_upstream, registry

    s = tool_settings()
    s.require("broker")
    raw = Path(args.file).read_bytes()
    items = orjson.loads(raw)
    items = items if isinstance(items, list) else [items]

    async def run() -> int:
        producer = AIOKafkaProducer(bootstrap_servers=s.broker, enable_idempotence=False)
        await producer.start()
        try:
            for item in items:
                decoded = decode_upstream(orjson.dumps(item))  # validate before sending: fail here, not in the DLQ
                ev = decoded.message
                assert isinstance(ev, ContentPublished)
                env = registry.envelope(ev, source="socializer/cli", subject=ev.content_id)
                md = await send_all(AIOKafkaSender(producer), topics.CONTENT_PUBLISHED, [(ev.content_id, env)])
                print(f"{env.id} -> {md.topic}[{md.partition}]@{md.offset}")
        finally:
            await producer.stop()
        return len(items)

    asyncio.run(run())


def cmd_replay(args: argparse.Namespace) -> None:
    from projections.read_models import ALL
    from projections.replay import replay

    s = tool_settings()
    s.require("broker", "database_url")
    names = list(ALL) if args.projection == "all" else [args.projection]
    for name in names:
        report = asyncio.run(
            replay(s.database_url, s.broker, ALL[name], swap=not args.no_swap, require_identical=args.verify, progress=True)
        )  # type: ignore[arg-type]
        print(report.summary())


def cmd_redrive(args: argparse.Namespace) -> None:
    """Re-send the dead letters of TOPIC.dlq to TOPIC once their cause is fixed (each one once)."""
    from adapters.dead_letters import redrive
    from adapters.postgres import create_pool

    s = tool_settings()
    s.require("broker", "database_url")

    async def run() -> str:
        pool = await create_pool(s.database_url, max_size=1)  # type: ignore[arg-type]
        try:
            r = await redrive(
                s.broker,
                pool,
                args.topic,
                reason=args.reason,
                subject=args.subject,
                dry_run=args.dry_run,  # type: ignore[arg-type]
                log=print,
            )
        finally:
            await pool.close()
        verb = "would re-send" if args.dry_run else "re-sent"
        return (
            f"{r.dlq_topic}: {r.seen} dead letters; {verb} {len(r.sent)}; {r.skipped_done} re-sent earlier;"
            f" {r.skipped_filter} not matching; {r.missing} whose original is gone"
        )

    print(asyncio.run(run()))


def cmd_vault(args: argparse.Namespace) -> None:
    """``vault new-key``: a fresh master key line; ``vault rotate``: re-wrap every data key under the active one."""
    if args.action == "new-key":
        import base64
        import os as _os

        print(f"{args.kid}:{base64.b64encode(_os.urandom(32)).decode()}")
        return
    from adapters.postgres import create_pool
    from adapters.vault.crypto import Keyring
    from adapters.vault.store import TokenVault

    s = tool_settings()
    s.require("database_url", "vault_keys")

    async def run() -> int:
        pool = await create_pool(s.database_url, max_size=2)  # type: ignore[arg-type]
        try:
            return await TokenVault(pool, Keyring.from_setting(s.vault_keys, s.vault_active_key)).rotate()
        finally:
            await pool.close()

    print(f"re-wrapped {asyncio.run(run())} data keys; keys other than the active one can now be removed")


def cmd_apikey(args: argparse.Namespace) -> None:
    """``apikey create SITE [--scopes read,write]`` prints a key once; ``apikey revoke KEY_ID``."""
    from adapters.api_keys import ApiKeys
    from adapters.postgres import create_pool

    s = tool_settings()
    s.require("database_url")

    async def run() -> str:
        pool = await create_pool(s.database_url, max_size=1)  # type: ignore[arg-type]
        try:
            keys = ApiKeys(pool)
            if args.action == "create":
                return await keys.create(args.target, tuple(x for x in args.scopes.split(",") if x), args.name)
            return "revoked" if await keys.revoke(args.target) else "no such active key"
        finally:
            await pool.close()

    print(asyncio.run(run()))


def cmd_schemas(args: argparse.Namespace) -> None:
    from schemas.registry import registry

    schemas = registry.json_schemas()
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for type_, schema in schemas.items():
            (out / f"{type_}.json").write_bytes(orjson.dumps(schema, option=orjson.OPT_INDENT_2))
        print(f"wrote {len(schemas)} schemas to {out}")
    else:
        print(orjson.dumps(schemas, option=orjson.OPT_INDENT_2).decode())
