"""One role each, against external services: ``migrate``, ``worker``, ``projector``, ``api``, ``sandbox``."""

from __future__ import annotations

import argparse
import asyncio
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
    from socializer.observability import configure_logging, serve_metrics, worker_heartbeat
    from streams.app import create_app, quiet_loggers

    s = role_settings()
    s.require("broker", "database_url", "vault_keys")
    role = "video" if args.video else "worker"
    config = configure_logging(s, role)
    prepare(s)
    serve_metrics(s)
    if args.video:  # renders apart: a long render never holds up a post, and has its own group to scale
        app, _ = create_app(worker_deps(s, video=True), [*VIDEO_AGENTS.values(), worker_heartbeat(s, role)], app_id="socializer-video")
    else:
        app, _ = create_app(worker_deps(s), [*AGENTS.values(), worker_heartbeat(s, role)])
    worker = Worker(
        app,
        loglevel=s.log_level.lower() if s.log_level.lower() in ("crit", "error", "warn", "info", "debug") else "warn",
        quiet=True,
        logging_config=config,
    )
    quiet_loggers(s.log_level)
    worker.execute_from_commandline()


def cmd_projector(args: argparse.Namespace) -> None:
    from adapters.postgres import create_pool
    from projections.read_models import ALL
    from projections.runner import Projector
    from socializer.observability import beat_until, configure_logging, serve_metrics

    s = role_settings()
    s.require("broker", "database_url")
    configure_logging(s, "projector")
    prepare(s)
    serve_metrics(s)

    async def run() -> None:
        pool = await create_pool(s.database_url, max_size=4)  # type: ignore[arg-type]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        beating = asyncio.create_task(beat_until(s, "projector", stop))
        await Projector(pool, s.broker, list(ALL.values()), session_timeout_ms=int(s.session_timeout_seconds * 1000)).run(stop)  # type: ignore[arg-type]
        stop.set()
        await beating
        await pool.close()

    asyncio.run(run())


def cmd_api(args: argparse.Namespace) -> None:
    import uvicorn

    from socializer.bootstrap import narrator, oauth_clients, voices
    from socializer.http import create_api
    from socializer.observability import configure_logging

    s = role_settings()
    s.require("broker", "database_url", "vault_keys")
    # httpx, httpcore and authlib stay at WARNING or above: request URLs are never logged (see observability.QUIET).
    config = configure_logging(s, "api")
    uvicorn.run(
        create_api(s, oauth_clients(s), voices(s), narrator(s)),
        host=s.api_host,
        port=s.api_port,
        log_config=config,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


def cmd_sandbox(args: argparse.Namespace) -> None:
    import uvicorn

    from sandbox.app import create_sandbox
    from socializer.bootstrap import sandbox_apps
    from socializer.observability import configure_logging

    s = role_settings()
    config = configure_logging(s, "sandbox")
    uvicorn.run(
        create_sandbox(
            growth_seconds=args.growth_seconds, apps=sandbox_apps(s), state_file=s.data_dir.resolve() / "sandbox" / "state.pickle"
        ),
        host=s.sandbox_host,
        port=s.sandbox_port,
        log_config=config,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,
    )
