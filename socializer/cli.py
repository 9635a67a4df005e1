"""``socializer``: run the whole system or one role, and the operators' tools (tail, emit, replay, schemas)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

from socializer.exceptions import SocializerError
from socializer.settings import Settings


def _settings() -> Settings:
    return Settings()


def _tool_settings() -> Settings:
    """Operator tools (tail, emit, replay, demo, apikey, vault) talk to the embedded default started
    by ``socializer up`` when no broker, database or vault key is set."""
    s = Settings()
    key_file = s.data_dir / "vault-keys"
    return s.model_copy(
        update={
            "broker": s.broker or f"127.0.0.1:{s.broker_port}",
            "database_url": s.database_url or f"postgresql://postgres@127.0.0.1:{s.database_port}/postgres",
            "vault_keys": s.vault_keys or (key_file.read_text().strip() if key_file.exists() else ""),
        }
    )


# ---------------------------------------------------------------- roles
def cmd_migrate(args: argparse.Namespace) -> None:
    from adapters.postgres import migrate

    s = _settings()
    s.require("database_url")
    applied = asyncio.run(migrate(s.database_url))  # type: ignore[arg-type]
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or '-'}")


def _prepare(s: Settings) -> None:
    from adapters.postgres import migrate
    from schemas import topics
    from socializer.devstack import create_topics

    asyncio.run(migrate(s.database_url))  # type: ignore[arg-type]
    asyncio.run(create_topics(s.broker, topics.ALL, s.topic_partitions, s.topic_replication))  # type: ignore[arg-type]


def cmd_worker(args: argparse.Namespace) -> None:
    from faust import Worker

    from socializer.bootstrap import AGENTS, worker_deps
    from streams.app import create_app, quiet_loggers

    s = _settings()
    s.require("broker", "database_url", "vault_keys")
    _prepare(s)
    app, _ = create_app(worker_deps(s), list(AGENTS.values()))
    worker = Worker(
        app, loglevel=s.log_level.lower() if s.log_level.lower() in ("crit", "error", "warn", "info", "debug") else "warn", quiet=True
    )
    quiet_loggers(s.log_level)
    worker.execute_from_commandline()


def cmd_projector(args: argparse.Namespace) -> None:
    from adapters.postgres import create_pool
    from projections.read_models import ALL
    from projections.runner import Projector

    s = _settings()
    s.require("broker", "database_url")
    _prepare(s)
    logging.basicConfig(level=s.log_level)

    async def run() -> None:
        pool = await create_pool(s.database_url, max_size=4)  # type: ignore[arg-type]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await Projector(pool, s.broker, list(ALL.values()), session_timeout_ms=int(s.session_timeout_seconds * 1000)).run(stop)  # type: ignore[arg-type]
        await pool.close()

    asyncio.run(run())


def cmd_api(args: argparse.Namespace) -> None:
    import uvicorn

    from socializer.bootstrap import oauth_clients, site_directory
    from socializer.http import create_api

    s = _settings()
    s.require("broker", "database_url", "vault_keys")
    logging.basicConfig(level=s.log_level)
    for name in ("httpx", "httpcore", "authlib"):  # request URLs are never logged (see streams.app.quiet_loggers)
        logging.getLogger(name).setLevel(max(getattr(logging, s.log_level.upper(), logging.WARNING), logging.WARNING))
    uvicorn.run(
        create_api(s, site_directory(s), oauth_clients(s)),
        host=s.api_host,
        port=s.api_port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


def cmd_sandbox(args: argparse.Namespace) -> None:
    import uvicorn

    from sandbox.app import create_sandbox
    from socializer.bootstrap import sandbox_apps

    s = _settings()
    uvicorn.run(
        create_sandbox(growth_seconds=args.growth_seconds, apps=sandbox_apps(s)),
        host=s.sandbox_host,
        port=s.sandbox_port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,
    )


# ---------------------------------------------------------------- the whole system
def cmd_up(args: argparse.Namespace) -> None:
    from socializer.devstack import Embedded, ensure_free, spawn, start_broker, start_postgres, wait_port

    s = _settings()
    stack = Embedded()
    env = dict(os.environ)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run the finally below: stop the children
    data = s.data_dir.resolve()
    try:
        if not s.broker:
            env["SOCIALIZER_BROKER"] = start_broker(s.broker_port, data / "logs", stack)
        if not s.database_url:
            # Tansu keeps topics in memory: with a fresh embedded broker the old read models and
            # checkpoints describe a history that no longer exists, so they start fresh too.
            if (args.fresh or not s.broker) and (data / "pg").exists():
                import shutil

                shutil.rmtree(data / "pg")
            env["SOCIALIZER_DATABASE_URL"] = start_postgres(s.database_port, data / "pg" / "data", stack)
        if not s.vault_keys:
            env["SOCIALIZER_VAULT_KEYS"] = _dev_vault_keys(data)
        if args.demo and "SOCIALIZER_ENGAGEMENT_INTERVAL_SECONDS" not in env:
            env["SOCIALIZER_ENGAGEMENT_INTERVAL_SECONDS"] = "20"
        os.environ.update(env)
        s = _settings()
        _prepare(s)
        logs = data / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        roles = ["sandbox", "projector", "api"] + ["worker"] * args.workers
        ensure_free(s.api_port, "API")
        ensure_free(s.sandbox_port, "sandbox")
        for i, role in enumerate(roles):
            log = logs / f"{role}{i - 2 if role == 'worker' else ''}.log"
            stack.procs.append(spawn([sys.executable, "-m", "socializer", role], log, env=env))
        wait_port(s.sandbox_port, 30)
        wait_port(s.api_port, 60)
        print(f"broker    {s.broker}   (socializer tail social.posts -f)")
        print(f"database  {s.database_url}")
        print(f"sandbox   {s.sandbox_url}/_sandbox/posts")
        print(f"api       {s.api_url}/docs   {s.api_url}/openapi.json")
        print(f"logs      {logs}")
        if args.demo:
            key = asyncio.run(_demo_key(s))
            (data / "demo-api-key").write_text(key + "\n")
            connected = asyncio.run(_connect_demo(s, key))
            print(f"accounts  connected {len(connected)} through the sandbox's OAuth flows: {', '.join(connected)}")
            n = asyncio.run(_emit_demo(s))
            print(f"api key   {key}   (site demo; also in {data / 'demo-api-key'})")
            print(f"demo      emitted {n} articles to content.published; watch them become posts:")
            print(f"          curl -H 'Authorization: Bearer {key}' '{s.api_url}/api/v1/social/posts/'")
            print(f"          curl -H 'Authorization: Bearer {key}' '{s.api_url}/api/v1/social/analytics/'")
        print("Ctrl-C stops everything.", flush=True)
        while all(p.poll() is None for p in stack.procs):
            time.sleep(0.5)
        dead = [p.args for p in stack.procs if p.poll() is not None]
        print(f"a process exited: {dead}; stopping", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


def _dev_vault_keys(data: Path) -> str:
    """The embedded default's master key, made once and kept beside the data (mode 600). Production
    sets SOCIALIZER_VAULT_KEYS from its secret store instead."""
    import base64

    path = data / "vault-keys"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(f"dev1:{base64.b64encode(os.urandom(32)).decode()}\n")
    return path.read_text().strip()


async def _connect_demo(s: Settings, key: str) -> list[str]:
    """Connect the demo site's accounts the way a user would: the API's connect URL, the provider's
    consent (the sandbox's, approved as ``sandbox_user``), the redirect back to the API's callback."""
    import httpx

    from socializer.demo import demo_connections

    out = []
    async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {key}"}) as http:
        for c in demo_connections():
            r = await http.post(
                f"{s.api_url}/api/v1/social/accounts/connect/{c.platform}/",
                json={
                    "account_type": c.account_type,
                    "features": ["publish", "analytics"],
                    "settings": c.settings.model_dump(mode="json"),
                    "user": "socializer up",
                },
            )
            r.raise_for_status()
            consent = await http.get(f"{r.json()['authorization_url']}&sandbox_user={c.sandbox_user}")
            back = await http.get(consent.headers["location"])
            back.raise_for_status()
            out += [f"{a['platform']}:{a['handle']}" for a in back.json()["results"]]
    return out


async def _demo_key(s: Settings) -> str:
    from adapters.api_keys import ApiKeys
    from adapters.postgres import create_pool

    pool = await create_pool(s.database_url, max_size=1)  # type: ignore[arg-type]
    try:
        return await ApiKeys(pool).create("demo", name="socializer up")
    finally:
        await pool.close()


async def _emit_demo(s: Settings) -> int:
    from importlib import resources

    from aiokafka import AIOKafkaProducer

    from adapters.kafka import AIOKafkaSender, send_all
    from schemas import topics
    from schemas.events import ContentPublished
    from schemas.registry import registry

    articles = json.loads((resources.files("socializer") / "demo" / "articles.json").read_text())
    producer = AIOKafkaProducer(bootstrap_servers=s.broker, enable_idempotence=False)
    await producer.start()
    try:
        for a in articles:
            # The demo's photos come from the sandbox, so the image pipeline has something real to crop.
            a = {
                **a,
                "published_at": datetime.now(UTC).isoformat(),
                "image_urls": [u.replace("{sandbox}", s.sandbox_url) for u in a["image_urls"]],
                "html": a["html"].replace("{sandbox}", s.sandbox_url),
            }
            ev = ContentPublished.model_validate(a)
            env = registry.envelope(ev, source="socializer/demo", subject=ev.content_id)
            await send_all(AIOKafkaSender(producer), topics.CONTENT_PUBLISHED, [(ev.content_id, env)])
    finally:
        await producer.stop()
    return len(articles)


def cmd_demo(args: argparse.Namespace) -> None:
    s = _tool_settings()
    s.require("broker")
    print(f"emitted {asyncio.run(_emit_demo(s))} articles")


# ---------------------------------------------------------------- operators' tools
def cmd_tail(args: argparse.Namespace) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    s = _tool_settings()
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
            ends = await consumer.end_offsets(tps)
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

    s = _tool_settings()
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

    s = _tool_settings()
    s.require("broker", "database_url")
    names = list(ALL) if args.projection == "all" else [args.projection]
    for name in names:
        report = asyncio.run(
            replay(s.database_url, s.broker, ALL[name], swap=not args.no_swap, require_identical=args.verify, progress=True)
        )  # type: ignore[arg-type]
        print(report.summary())


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

    s = _tool_settings()
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

    s = _tool_settings()
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


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="socializer", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start everything on the embedded default (broker, Postgres, sandbox, workers, API, demo)")
    up.add_argument("--workers", type=int, default=1)
    up.add_argument("--no-demo", dest="demo", action="store_false")
    up.add_argument("--fresh", action="store_true", help="start with an empty database")
    up.set_defaults(fn=cmd_up)
    for name, fn, help_ in [
        ("worker", cmd_worker, "run the stream agents (intake, adapt, schedule, publish, engagement)"),
        ("projector", cmd_projector, "run the read-model projector"),
        ("api", cmd_api, "serve the HTTP API"),
        ("migrate", cmd_migrate, "apply database migrations"),
        ("demo", cmd_demo, "emit the demo articles to content.published"),
    ]:
        sp = sub.add_parser(name, help=help_)
        sp.set_defaults(fn=fn)
    sb = sub.add_parser("sandbox", help="serve the platform sandbox")
    sb.add_argument("--growth-seconds", type=float, default=600.0, help="time for engagement to reach ~63%% of its final value")
    sb.set_defaults(fn=cmd_sandbox)
    tail = sub.add_parser("tail", help="print a topic's events")
    tail.add_argument("topic")
    tail.add_argument("-b", "--from-beginning", action="store_true")
    tail.add_argument("-f", "--follow", action="store_true")
    tail.add_argument("--json", action="store_true", help="JSON lines")
    tail.add_argument("--type", help="only this event type (full or suffix)")
    tail.add_argument("--subject", help="only this subject (aggregate id)")
    tail.set_defaults(fn=cmd_tail)
    emit = sub.add_parser("emit", help="validate and emit ContentPublished from a JSON file (object or list)")
    emit.add_argument("file")
    emit.set_defaults(fn=cmd_emit)
    rp = sub.add_parser("replay", help="rebuild a projection from offset 0 into fresh tables, verify, swap in")
    rp.add_argument("projection", help="contents | posts | engagement | all")
    rp.add_argument("--no-swap", action="store_true", help="build and compare only")
    rp.add_argument("--verify", action="store_true", help="fail, without swapping, if the rebuilt copy differs")
    rp.set_defaults(fn=cmd_replay)
    ak = sub.add_parser("apikey", help="API keys: create SITE [--scopes read,write] | revoke KEY_ID")
    ak.add_argument("action", choices=["create", "revoke"])
    ak.add_argument("target", help="site id (create) or key id (revoke)")
    ak.add_argument("--scopes", default="read,write")
    ak.add_argument("--name", default="")
    ak.set_defaults(fn=cmd_apikey)
    va = sub.add_parser("vault", help="token vault: new-key KID | rotate")
    va.add_argument("action", choices=["new-key", "rotate"])
    va.add_argument("kid", nargs="?", default=datetime.now(UTC).strftime("k%Y%m%d"))
    va.set_defaults(fn=cmd_vault)
    sc = sub.add_parser("schemas", help="export the JSON Schema of every event and command type")
    sc.add_argument("--out", help="directory to write one file per type (default: print)")
    sc.set_defaults(fn=cmd_schemas)
    args = p.parse_args(argv)
    try:
        args.fn(args)
    except SocializerError as err:
        print(f"socializer: {err}", file=sys.stderr)
        sys.exit(2)
