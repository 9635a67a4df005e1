"""What a failed command tells its operator: one line on stderr naming what went wrong and what
fixes it, and a non-zero exit; never a traceback, never a secret.

A traceback answers "where in the code", which an operator cannot act on; the line answers "which
service, which setting, which file". The mapping is here, once, around the dispatch (``run``), so
each command raises what it raises and none of them formats its own failures. An exception this
module does not know is a bug, and keeps its traceback.

Exit codes: ``EXIT_FAILED`` (1) when a service the command needs is down or refused the work;
``EXIT_USAGE`` (2, as argparse) when the command, a setting or its input is wrong.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Targets:
    """The services a tool talks to, as the tool resolved them, and whether they were set explicitly."""

    broker: str
    dsn: str
    broker_set: bool
    dsn_set: bool
    secrets: tuple[str, ...]  # what must never reach the terminal: the DSN's password, the vault keys


def mask_dsn(dsn: str) -> str:
    """``postgresql://user:***@host:port/db``: the DSN without its password (in the userinfo or a
    ``password=`` parameter)."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "<an unparsable DSN>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:***@{hostport}" if sep else netloc
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def targets() -> Targets:
    """The broker and database the tools use (``tool_settings``: the embedded default's unless set)."""
    try:
        from socializer.cli.common import tool_settings

        s = tool_settings()
        raw = s.database_url or ""
        password = ""
        try:
            password = urlsplit(raw).password or ""
        except ValueError:
            pass
        password += "".join(re.findall(r"(?i)password=([^&]*)", raw))
        keys = tuple(b64 for item in (s.vault_keys or "").split(",") if (b64 := item.partition(":")[2].strip()))
        return Targets(
            broker=s.broker or "",
            dsn=raw,
            broker_set=bool(os.environ.get("SOCIALIZER_BROKER")),
            dsn_set=bool(os.environ.get("SOCIALIZER_DATABASE_URL")),
            secrets=tuple(x for x in (password, *keys) if len(x) >= 3),
        )
    except Exception:  # the settings themselves are wrong: the message names that, without them
        return Targets(broker="the broker", dsn="", broker_set=False, dsn_set=False, secrets=())


def _database(t: Targets) -> str:
    return f"the database at {mask_dsn(t.dsn)}" if t.dsn else "the database"


def _hint(is_set: bool, variable: str) -> str:
    if is_set:
        return f"is it running, and is {variable} right?"
    return f"is `socializer up` running? or set {variable}"


def _raised_in(err: BaseException, package: str) -> bool:
    """Whether ``err`` was raised from inside ``package`` (which client failed to connect)."""
    tb = err.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).split(".")[0] == package:
            return True
        tb = tb.tb_next
    return False


def _reason(err: OSError) -> str:
    if isinstance(err, TimeoutError):
        return "timed out"
    if err.errno:
        return os.strerror(err.errno).lower()
    return str(err) or type(err).__name__


def _validation(err: object) -> str:
    """A pydantic error as one line: the first field and what is wrong with it (never its value)."""
    errors = err.errors()  # type: ignore[attr-defined]
    title = str(getattr(err, "title", "input"))
    first = errors[0] if errors else {"loc": (), "msg": str(err)}
    field = ".".join(str(x) for x in first.get("loc", ())) or "(the whole value)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    if title == "Settings":
        return f"setting SOCIALIZER_{field.upper()} is invalid: {first.get('msg', '')}{more}"
    return f"invalid {title}: {field}: {first.get('msg', '')}{more}"


def explain(err: BaseException, t: Targets | None = None) -> tuple[str, int] | None:
    """(the line, the exit code) for a failure an operator can fix; None for a bug."""
    from socializer.exceptions import SocializerError

    if isinstance(err, SocializerError):
        return str(err), EXIT_USAGE
    if isinstance(err, OSError) and err.filename is not None:
        return f"{err.filename}: {_reason(err)}", EXIT_USAGE
    if isinstance(err, json.JSONDecodeError):  # orjson's too
        return f"not JSON: {err}", EXIT_USAGE
    t = t or targets()
    kafka = sys.modules.get("aiokafka.errors")  # not loaded: the error cannot be one of its own
    if kafka is not None and isinstance(err, kafka.KafkaError):
        if isinstance(err, kafka.KafkaConnectionError | kafka.KafkaTimeoutError | kafka.NoBrokersAvailable):
            return f"cannot reach the broker at {t.broker} ({_hint(t.broker_set, 'SOCIALIZER_BROKER')})", EXIT_FAILED
        return f"the broker at {t.broker} refused: {err}", EXIT_FAILED
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is not None:
        if isinstance(err, asyncpg.ClientConfigurationError):
            return f"SOCIALIZER_DATABASE_URL is not a usable DSN: {err}", EXIT_USAGE
        if isinstance(err, asyncpg.PostgresConnectionError):  # dropped, or the server is starting or stopping
            return f"the connection to {_database(t)} failed: {err} ({_hint(t.dsn_set, 'SOCIALIZER_DATABASE_URL')})", EXIT_FAILED
        if isinstance(err, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidCatalogNameError):
            return f"{_database(t)} refused the connection: {err} (check SOCIALIZER_DATABASE_URL)", EXIT_FAILED
        if isinstance(err, asyncpg.UndefinedTableError):
            return f"{_database(t)} has no table the command needs: {err} (apply the migrations: `socializer migrate`)", EXIT_FAILED
        if isinstance(err, asyncpg.PostgresError):
            return f"{_database(t)} refused: {err}", EXIT_FAILED
    if isinstance(err, OSError):  # a connection that failed before any client could name it
        if _raised_in(err, "asyncpg"):
            hint = _hint(t.dsn_set, "SOCIALIZER_DATABASE_URL")
            return f"cannot reach {_database(t)}: {_reason(err)} ({hint})", EXIT_FAILED
        if _raised_in(err, "aiokafka"):
            hint = _hint(t.broker_set, "SOCIALIZER_BROKER")
            return f"cannot reach the broker at {t.broker}: {_reason(err)} ({hint})", EXIT_FAILED
        if isinstance(err, ConnectionError | TimeoutError):
            return f"a connection failed: {_reason(err)}", EXIT_FAILED
        return None
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(err, httpx.HTTPError):
        try:
            url = str(err.request.url.copy_with(query=None, fragment=None))  # a query may carry a code or a state
        except RuntimeError:
            url = "an HTTP service"
        what = f"answered {err.response.status_code}" if isinstance(err, httpx.HTTPStatusError) else f"failed: {type(err).__name__}"
        return f"{url} {what}", EXIT_FAILED
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(err, pydantic.ValidationError):
        return _validation(err), EXIT_USAGE
    from adapters.exceptions import AdapterError
    from adapters.vault.crypto import VaultError
    from projections.exceptions import ProjectionError
    from schemas.exceptions import SchemaError

    if isinstance(err, SchemaError):
        return f"invalid event: {err}", EXIT_USAGE
    if isinstance(err, AdapterError | ProjectionError | VaultError):
        return str(err), EXIT_FAILED
    return None


def one_line(message: str, secrets: tuple[str, ...] = ()) -> str:
    """The message on one line, every secret in it masked."""
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "***")
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


@contextmanager
def quiet_clients() -> Iterator[None]:
    """For operator tools: a broker client logs each failed connection attempt and, when its
    ``start`` failed, that it was left unclosed; the one line the tool prints says it all."""
    loggers = [logging.getLogger(name) for name in ("aiokafka", "asyncio")]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, before, strict=True):
            lg.setLevel(level)


def run(fn: Callable[[argparse.Namespace], None], args: argparse.Namespace) -> None:
    """Run one command; a failure an operator can fix becomes one line and an exit code."""
    t: Targets | None = None
    try:
        fn(args)
        return
    except KeyboardInterrupt:
        message, code = "", EXIT_INTERRUPTED
    except BrokenPipeError:  # `socializer tail … | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        message, code = "", EXIT_FAILED
    except Exception as err:
        t = targets()
        found = explain(err, t)
        if found is None:
            raise
        message, code = found
    # Out of the handler, the error and its frames are gone: collect the clients they held now
    # (a client whose start failed says so when collected), not after this line.
    gc.collect()
    if message:
        print(f"socializer: {one_line(message, t.secrets if t else ())}", file=sys.stderr, flush=True)
    sys.exit(code)
