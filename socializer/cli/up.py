"""``socializer up``: the whole system on the embedded default, and the demo (an API key, accounts connected through the sandbox's OAuth flows, articles)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from socializer.cli.common import prepare, role_settings, tool_settings
from socializer.exceptions import DevStackError
from socializer.settings import Settings


def cmd_up(args: argparse.Namespace) -> None:
    from socializer.devstack import Embedded, Role, ensure_free, start_broker, start_object_store, start_postgres, wait_port

    s = role_settings()
    stack = Embedded()
    env = dict(os.environ)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run the finally below: stop the children
    data = s.data_dir.resolve()
    if args.fresh:
        _forget(data, s)
    elif not s.broker and not s.database_url and (data / "pg").exists() and not (data / "objects").exists():
        raise DevStackError(
            f"{data / 'pg'} describes topics of a broker that kept them in memory (before the embedded default"
            " kept its data): start over with `socializer up --fresh`"
        )
    seeded = (data / "demo-api-key").exists() and (data / "pg").exists()
    failed = False
    try:
        if not s.broker:
            store = start_object_store(s.object_store_port, data / "objects", data / "logs", stack)
            env["SOCIALIZER_BROKER"] = start_broker(s.broker_port, data / "logs", stack, object_store=store)
        if not s.database_url:
            env["SOCIALIZER_DATABASE_URL"] = start_postgres(s.database_port, data / "pg" / "data", stack)
        if not s.vault_keys:
            env["SOCIALIZER_VAULT_KEYS"] = _dev_vault_keys(data)
        # Its sandbox and the demo's webhook receiver are on this machine: loopback may be called.
        env.setdefault("SOCIALIZER_OUTBOUND_ALLOW", "loopback")
        # The demo's day lasts as long as the sandbox's (--growth-seconds, 600 s): "1 h" is 25 s, "24 h" 10 min.
        if args.demo and "SOCIALIZER_ENGAGEMENT_AGE_SCALE" not in env:
            env["SOCIALIZER_ENGAGEMENT_AGE_SCALE"] = str(600 / 86400)
        if args.demo and "SOCIALIZER_ENGAGEMENT_TICK_SECONDS" not in env:
            env["SOCIALIZER_ENGAGEMENT_TICK_SECONDS"] = "5"
        os.environ.update(env)
        s = role_settings()
        prepare(s)
        logs = data / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        roles = [("sandbox", ["sandbox"]), ("projector", ["projector"]), ("api", ["api"])]
        roles += [(f"worker{i + 1}", ["worker"]) for i in range(args.workers)]
        roles += [("video", ["worker", "--video"])]  # renders apart, in their own consumer group
        ensure_free(s.api_port, "API")
        ensure_free(s.sandbox_port, "sandbox")
        asyncio.run(_forget_heartbeats(s))
        for name, argv in roles:
            stack.start_role(Role(name, [sys.executable, "-m", "socializer", *argv], logs / f"{name}.log", _role_env(env, name, roles)))
        wait_port(s.sandbox_port, 30)
        wait_port(s.api_port, 60)
        print(f"dashboard {s.api_url}/socializer/dashboard   (sign in with the site's API key)", flush=True)
        print(f"broker    {s.broker}   (socializer tail social.posts -f)")
        print(f"database  {s.database_url}")
        print(f"sandbox   {s.sandbox_url}/_sandbox/posts")
        print(f"api       {s.api_url}/docs   {s.api_url}/redoc   {s.api_url}/openapi.json")
        print(f"logs      {logs}")
        print(f"signals   {s.api_url}/healthz   {s.api_url}/metrics")
        if args.demo and seeded:
            key = (data / "demo-api-key").read_text().strip()
            print(f"api key   {key}   (site demo, kept from the first run; `socializer up --fresh` starts over)")
        elif args.demo:
            key = asyncio.run(_demo_key(s))
            (data / "demo-api-key").write_text(key + "\n")
            connected = asyncio.run(_connect_demo(s, key))
            print(f"accounts  connected {len(connected)} through the sandbox's OAuth flows: {', '.join(connected)}")
            n = asyncio.run(_emit_demo(s))
            print(f"api key   {key}   (site demo; also in {data / 'demo-api-key'})")
            print(f"demo      emitted {n} articles to content.published; watch them become posts:")
            print(f"          curl -H 'Authorization: Bearer {key}' '{s.api_url}/api/v1/social/posts/'")
            print(f"          curl -H 'Authorization: Bearer {key}' '{s.api_url}/api/v1/social/analytics/'")
            project = _demo_video(s, key)
            if project:
                print("video     a short from the first demo article is rendering; when it is ready, its video_url plays:")
                print(f"          curl -H 'Authorization: Bearer {key}' '{s.api_url}/api/v1/video/projects/{project}/'")
        print("Ctrl-C stops everything; a role that exits is restarted.", flush=True)
        while not (down := stack.infrastructure_down()):
            for line in stack.supervise():
                print(f"{datetime.now(UTC):%H:%M:%S} {line}", file=sys.stderr, flush=True)
            time.sleep(0.5)
        print(f"{', '.join(down)} exited: stopping everything", file=sys.stderr)
        failed = True
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    if failed:
        sys.exit(1)


def _role_env(env: dict[str, str], name: str, roles: list[tuple[str, list[str]]]) -> dict[str, str]:
    """Each role's instance name (its heartbeat's row, kept across its restarts) and, with
    SOCIALIZER_METRICS_PORT set, its own metrics port: the worker and projector processes share
    one host here, so they take consecutive ports from it (the API serves /metrics on its own port)."""
    out = {**env, "SOCIALIZER_INSTANCE": name}
    base = int(env.get("SOCIALIZER_METRICS_PORT") or 0)
    scraped = [n for n, argv in roles if argv[0] in ("worker", "projector")]
    out["SOCIALIZER_METRICS_PORT"] = str(base + scraped.index(name)) if base and name in scraped else "0"
    return out


async def _forget_heartbeats(s: Settings) -> None:
    """``up`` declares the roles it runs by starting them: what beat before (another run of the
    embedded default, with another number of workers) is forgotten, so it never counts as down."""
    from adapters.heartbeats import Heartbeats
    from adapters.postgres import create_pool

    pool = await create_pool(s.database_url, max_size=1)  # type: ignore[arg-type]
    try:
        await Heartbeats(pool).forget_all()
    finally:
        await pool.close()


def _demo_video(s: Settings, key: str) -> str | None:
    """Ask for a short of the first demo article, once the read model has it (the API, as a user would)."""
    import httpx

    from socializer.demo import demo_video_content_id

    deadline = time.monotonic() + 90
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "demo-video"}) as http:
        while time.monotonic() < deadline:
            r = http.post(f"{s.api_url}/api/v1/video/projects/", json={"content_id": demo_video_content_id(), "preset": "youtube_short"})
            if r.status_code == 202:
                return str(r.json()["project_id"])
            time.sleep(1)  # the article is not in the read model yet
    print("video     the demo article did not reach the read model in time: no demo video", file=sys.stderr)
    return None


def _forget(data: Path, s: Settings) -> None:
    """``up --fresh``: delete what the embedded default keeps, saying what; the vault's key stays."""
    import shutil

    kept = [
        (data / "pg", "the database (posts, accounts, API keys, read models)"),
        (data / "objects", "the broker's topics"),
        (data / "sandbox", "the sandbox's platforms (their posts and tokens)"),
        (data / "demo-api-key", "the demo's API key"),
    ]
    if s.media_path.is_relative_to(data):
        kept.append((s.media_path, "rendered media"))
    for path, what in kept:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        print(f"--fresh: deleted {what}: {path}")


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
    s = tool_settings()
    s.require("broker")
    print(f"emitted {asyncio.run(_emit_demo(s))} articles")
