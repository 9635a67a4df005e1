"""One Faust stage, timed from inside the worker: ``python -m bench.stage {forward|adapt} N``.

Input is produced before the worker starts; the rate runs from the first event the worker's
stream sees to the N-th (Faust's own monitor counts them), so start-up and group join are excluded.
"""

from __future__ import annotations

import os
import sys
import time

import orjson

from schemas import topics


def main() -> None:
    mode, n = sys.argv[1], int(sys.argv[2])
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from socializer.bootstrap import AGENTS, memory_deps, stream_settings
    from socializer.settings import Settings
    from streams.app import create_app, quiet_loggers

    # The stage alone: the usage ledger's writer (the `charge` agent) is not in this worker, and a
    # reservation would wait for it; the figure is the adaptation's, without the credit round trip.
    settings = Settings(log_level="WARNING", credit_charging=False)
    cpu = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) if mode == "adapt" else None
    deps = memory_deps(stream_settings(settings), cpu=cpu)
    if mode == "adapt":
        app, _ = create_app(deps, [AGENTS["adapt"]], app_id="bench-adapt")
    else:
        app, agent = create_app(deps, [], app_id="bench-forward")
        src, dst = agent.topics[topics.POSTS_GENERATE], agent.topics[topics.POSTS]

        @app.agent(src, name="forward")
        async def forward(stream):  # type: ignore[no-untyped-def]
            async for event in stream.events():
                await dst.send(key=event.key, value=event.value, force=True)

    marks: dict[str, float] = {}

    @app.timer(0.01)
    async def watch() -> None:
        total = app.monitor.events_total
        if total and "t0" not in marks:
            marks["t0"] = time.perf_counter()
        if total >= n and "t1" not in marks:
            await app.producer.flush()
            marks["t1"] = time.perf_counter()
            sys.stdout.write(orjson.dumps({"mode": mode, "events": n, "seconds": marks["t1"] - marks["t0"]}).decode() + "\n")
            sys.stdout.flush()
            if cpu is not None:  # its workers hold our stdout open: the caller would wait for them
                for proc in list(getattr(cpu, "_processes", {}).values()):
                    proc.kill()
            os._exit(0)

    from faust import Worker

    quiet_loggers("WARNING")
    Worker(app, loglevel="warn", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
