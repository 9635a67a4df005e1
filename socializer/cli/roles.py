"""One role each, against external services: ``migrate``, ``worker``, ``projector``, ``api``, ``sandbox``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from socializer.cli.common import prepare, role_settings


def cmd_migrate(args: argparse.Namespace) -> None:
    from adapters.postgres import migrate

    s = role_settings()
    s.require("database_url")
    applied = asyncio.run(migrate(s.database_url))  # type: ignore[arg-type]
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or '-'}")


def cmd_worker(args: argparse.Namespace) -> None:
    from faust import Worker

    from socializer.bootstrap import AGENTS, VIDEO_AGENTS, worker_deps
    from streams.app import create_app, quiet_loggers

    s = role_settings()
    s.require("broker", "database_url", "vault_keys")
    prepare(s)
    if args.video:  # renders apart: a long render never holds up a post, and has its own group to scale
        app, _ = create_app(worker_deps(s, video=True), list(VIDEO_AGENTS.values()), app_id="socializer-video")
    else:
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

    s = role_settings()
    s.require("broker", "database_url")
    prepare(s)
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

    from socializer.bootstrap import narrator, oauth_clients, voices
    from socializer.http import create_api

    s = role_settings()
    s.require("broker", "database_url", "vault_keys")
    logging.basicConfig(level=s.log_level)
    for name in ("httpx", "httpcore", "authlib"):  # request URLs are never logged (see streams.app.quiet_loggers)
        logging.getLogger(name).setLevel(max(getattr(logging, s.log_level.upper(), logging.WARNING), logging.WARNING))
    uvicorn.run(
        create_api(s, oauth_clients(s), voices(s), narrator(s)),
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

    s = role_settings()
    uvicorn.run(
        create_sandbox(
            growth_seconds=args.growth_seconds, apps=sandbox_apps(s), state_file=s.data_dir.resolve() / "sandbox" / "state.pickle"
        ),
        host=s.sandbox_host,
        port=s.sandbox_port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,
    )
