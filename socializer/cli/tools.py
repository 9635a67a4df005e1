"""Operators' tools: ``tail``, ``emit``, ``replay``, ``redrive``, ``vault``, ``apikey``, ``schemas``."""

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
        try:
            await consumer.start()
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
    """Validate every article of the file first (an invalid one fails here, not in the DLQ, and
    nothing is sent), then send them in one batch; one line per article: its event id and position."""
    from aiokafka import AIOKafkaProducer

    from adapters.kafka import AIOKafkaSender, send_all
    from schemas import topics
    from schemas.events import ContentPublished
    from schemas.exceptions import InvalidEvent
    from schemas.registry import decode_upstream, registry

    s = tool_settings()
    s.require("broker")
    raw = Path(args.file).read_bytes()
    try:
        items = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise SocializerError(f"{args.file} is not JSON: {err}") from err
    items = items if isinstance(items, list) else [items]
    if not items:
        raise SocializerError(f"{args.file} holds an empty list: nothing to emit")
    batch = []
    for i, item in enumerate(items, 1):
        where = f"{args.file}: article {i} of {len(items)}"
        try:
            ev = decode_upstream(orjson.dumps(item)).message
        except InvalidEvent as err:
            raise SocializerError(f"{where} is not a valid ContentPublished: {err.reason} (nothing was sent)") from err
        if not isinstance(ev, ContentPublished):
            raise SocializerError(f"{where} is a {type(ev).__name__}, not a ContentPublished (nothing was sent)")
        batch.append((ev.content_id, registry.envelope(ev, source="socializer/cli", subject=ev.content_id)))

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=s.broker, enable_idempotence=False)
        try:
            await producer.start()
            positions = await send_all(AIOKafkaSender(producer), topics.CONTENT_PUBLISHED, batch)
        finally:
            await producer.stop()
        for (_key, env), pos in zip(batch, positions, strict=True):
            print(f"{env.id} -> {pos.topic}[{pos.partition}]@{pos.offset}")

    asyncio.run(run())


def cmd_replay(args: argparse.Namespace) -> None:
    from projections.read_models import ALL
    from projections.replay import replay

    if args.projection != "all" and args.projection not in ALL:
        raise SocializerError(f"no projection {args.projection!r}: one of {', '.join(ALL)}, or all")
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

    if not args.topic.endswith(".dlq"):
        raise SocializerError(f"{args.topic} is not a dead-letter topic (those end with .dlq): did you mean {args.topic}.dlq?")
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
    try:
        keyring = Keyring.from_setting(s.vault_keys, s.vault_active_key)
    except ValueError as err:  # never the keys themselves: what is wrong with them
        raise SocializerError(f"SOCIALIZER_VAULT_KEYS is not `kid:base64,…`: {type(err).__name__}: {err}") from err
    if short := [kid for kid, key in keyring.keys.items() if len(key) != 32]:
        raise SocializerError(
            f"SOCIALIZER_VAULT_KEYS: the key(s) {', '.join(short)} are not 32 bytes (`socializer vault new-key KID` makes one)"
        )

    async def run() -> int:
        pool = await create_pool(s.database_url, max_size=2)  # type: ignore[arg-type]
        try:
            return await TokenVault(pool, keyring).rotate()
        finally:
            await pool.close()

    print(f"re-wrapped {asyncio.run(run())} data keys; keys other than the active one can now be removed")


def cmd_apikey(args: argparse.Namespace) -> None:
    """``apikey create SITE [--scopes read,write]`` prints a key once; ``apikey revoke KEY_ID`` (or
    the whole key) revokes it, and fails when no active key has that id."""
    from adapters.api_keys import SCOPES, ApiKeys, parse
    from adapters.postgres import create_pool

    scopes = tuple(x.strip() for x in args.scopes.split(",") if x.strip())
    if args.action == "create" and (not scopes or set(scopes) - set(SCOPES)):
        raise SocializerError(f"--scopes {args.scopes!r}: a comma-separated list of {', '.join(SCOPES)}")
    key_id = args.target
    if args.action == "revoke" and (parsed := parse(args.target)) is not None:
        key_id = parsed[0]  # the whole key was given: its id, and never the key, is what is shown
    s = tool_settings()
    s.require("database_url")

    async def run() -> str:
        pool = await create_pool(s.database_url, max_size=1)  # type: ignore[arg-type]
        try:
            keys = ApiKeys(pool)
            if args.action == "create":
                return await keys.create(args.target, scopes, args.name)
            if not await keys.revoke(key_id):
                raise SocializerError(f"no active API key {key_id!r} (never created, or revoked already): nothing revoked")
            return f"revoked {key_id}"
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
