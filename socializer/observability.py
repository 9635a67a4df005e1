"""The operators' signals, wired for every role: log lines (JSON or text), the metrics endpoint and
the heartbeat /healthz reads. Each role's entry point (socializer.cli.roles) calls these."""

from __future__ import annotations

import asyncio
import logging
import logging.config
from typing import Any

from adapters import logs
from adapters.heartbeats import Heartbeats, keep_beating
from adapters.postgres import LazyPool
from socializer.settings import Settings

# Where third-party libraries would log request URLs or per-send chatter: never below WARNING.
QUIET = ("faust", "mode", "aiokafka", "kafka", "httpx", "httpcore", "authlib")
# The consumer groups the roles use (also discovered from the broker): the worker's agents, the video
# worker's and the projector's.
GROUPS = ("socializer", "socializer-video", "socializer.projector")


def level(settings: Settings) -> int:
    return getattr(logging, settings.log_level.upper(), logging.WARNING)


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for a role: one stderr handler with the configured format;
    the uvicorn and Faust loggers go through it too."""
    lvl = logging.getLevelName(level(settings))
    quiet = logging.getLevelName(max(level(settings), logging.WARNING))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": {"()": "adapters.logs.formatter", "fmt": settings.log_format}},
        "handlers": {"main": {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}},
        "root": {"level": lvl, "handlers": ["main"]},
        "loggers": {
            **{name: {"level": quiet} for name in QUIET},
            **{name: {"level": quiet, "handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
        },
    }


def configure_logging(settings: Settings, role: str) -> dict[str, Any]:
    """Configure this process's logging for ``role``; returns the config (for uvicorn and Faust, which apply it again)."""
    logs.set_role(role)
    config = logging_config(settings)
    logging.config.dictConfig(config)
    return config


def serve_metrics(settings: Settings) -> None:
    """This process's /metrics on SOCIALIZER_METRICS_PORT (0 = off): the worker's and the projector's."""
    from adapters.metrics import serve

    serve(settings.metrics_port)


def heartbeats(settings: Settings) -> Heartbeats:
    assert settings.database_url, "database_url is required by a role"
    return Heartbeats(LazyPool(settings.database_url, max_size=1))


async def beat_until(settings: Settings, role: str, stop: asyncio.Event) -> None:
    """Beat until ``stop``; then say this instance is gone (a clean stop is not a role down)."""
    beats = heartbeats(settings)
    try:
        await keep_beating(beats, role, settings.instance_name, settings.heartbeat_seconds, stop)
        await beats.gone(role, settings.instance_name)
    except Exception as err:  # noqa: BLE001 - the database is away as we stop: the row goes stale, as it should
        logging.getLogger("socializer.heartbeats").warning("%s: could not say goodbye: %s", role, type(err).__name__)
    finally:
        await beats.pool.close()


def worker_heartbeat(settings: Settings, role: str) -> Any:
    """A register function (streams.app.Register) that makes a Faust worker beat, and say goodbye
    when it stops cleanly."""

    def register(agent: Any) -> None:
        beats, stop = heartbeats(settings), asyncio.Event()

        async def heartbeat() -> None:
            await keep_beating(beats, role, settings.instance_name, settings.heartbeat_seconds, stop)

        async def goodbye(sender: Any, **_: Any) -> None:
            stop.set()
            try:
                await beats.gone(role, settings.instance_name)
            except Exception as err:  # noqa: BLE001
                logging.getLogger("socializer.heartbeats").warning("%s: could not say goodbye: %s", role, type(err).__name__)

        agent.app.task(heartbeat)
        agent.app.on_before_shutdown.connect(goodbye)

    return register
