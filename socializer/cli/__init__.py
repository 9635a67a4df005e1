"""``socializer``: run the whole system or one role, and the operators' tools (tail, emit, replay, redrive, apikey, vault, schemas)."""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from datetime import UTC, datetime
from importlib import metadata

from socializer.cli import credits
from socializer.cli.errors import quiet_clients, run
from socializer.cli.roles import cmd_api, cmd_migrate, cmd_projector, cmd_sandbox, cmd_worker
from socializer.cli.tools import cmd_apikey, cmd_emit, cmd_redrive, cmd_replay, cmd_schemas, cmd_tail, cmd_vault
from socializer.cli.up import cmd_demo, cmd_up

# The operators' tools: short-lived clients whose failures are the one line ``errors.run`` prints,
# so the broker client's own logging of each failed connection attempt is not wanted on their stderr.
TOOLS = {cmd_tail, cmd_emit, cmd_replay, cmd_redrive, cmd_apikey, cmd_vault, cmd_schemas, cmd_demo}
TOOLS.add(credits.cmd_credits)


def version() -> str:
    try:
        return metadata.version("socializer")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="socializer", description=__doc__)
    p.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start everything on the embedded default (broker, Postgres, sandbox, workers, API, demo)")
    up.add_argument("--workers", type=int, default=1)
    up.add_argument("--no-demo", dest="demo", action="store_false")
    up.add_argument(
        "--fresh", action="store_true", help="delete the embedded default's data first (database, topics, sandbox, media) and say what"
    )
    up.set_defaults(fn=cmd_up)
    for name, fn, help_ in [
        ("projector", cmd_projector, "run the read-model projector"),
        ("api", cmd_api, "serve the HTTP API"),
        ("migrate", cmd_migrate, "apply database migrations"),
        ("demo", cmd_demo, "emit the demo articles to content.published"),
    ]:
        sp = sub.add_parser(name, help=help_)
        sp.set_defaults(fn=fn)
    wk = sub.add_parser("worker", help="run the stream agents (intake, adapt, decide, schedule, publish, engagement, refresh, relay)")
    wk.add_argument(
        "--video", action="store_true", help="run the render agent instead: its own consumer group and process pool (video.render)"
    )
    wk.set_defaults(fn=cmd_worker)
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
    rd = sub.add_parser("redrive", help="re-send dead letters to their topic once the cause is fixed (each one once)")
    rd.add_argument("topic", help="a dead-letter topic, e.g. content.published.dlq")
    rd.add_argument("--reason", help="only dead letters whose reason contains this")
    rd.add_argument("--subject", help="only dead letters with this key (aggregate id)")
    rd.add_argument("--dry-run", action="store_true", help="list what would be re-sent")
    rd.set_defaults(fn=cmd_redrive)
    ak = sub.add_parser("apikey", help="API keys: create SITE [--scopes read,write] | revoke KEY_ID")
    ak.add_argument("action", choices=["create", "revoke"])
    ak.add_argument("target", help="site id (create), or key id or the whole key (revoke)")
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
    credits.add_parser(sub)
    args = p.parse_args(argv)
    with quiet_clients() if args.fn in TOOLS else nullcontext():
        run(args.fn, args)
