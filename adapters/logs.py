"""Logs as JSON lines: every line says which agent wrote it and, while a message is being handled,
the event's id and correlation id, so one article's or post's path can be followed across roles.

The agent plumbing puts the message in :data:`CURRENT` around each ``handle``; the formatter reads
it only when a line is actually written (the envelope is parsed then, not for every message).
Whatever the message, a line never carries a credential: bearer tokens, ``access_token``-style
fields, webhook secrets and passwords in URLs are masked before the line is written (defence in
depth: nothing of ours should log them in the first place).
"""

from __future__ import annotations

import contextvars
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson


@dataclass
class Context:
    """What a line written while handling one message says about it."""

    agent: str
    message: Any = None  # a Kafka record (``value``, ``headers``); its envelope is parsed lazily
    _ids: tuple[str | None, str | None] | None = field(default=None, repr=False)

    def ids(self) -> tuple[str | None, str | None]:
        """(event id, correlation id) of the message being handled, or Nones."""
        if self._ids is None:
            self._ids = _envelope_ids(self.message)
        return self._ids


CURRENT: contextvars.ContextVar[Context | None] = contextvars.ContextVar("socializer_log_context", default=None)
_ROLE: list[str] = []  # this process's role (one per process; every thread's lines carry it)


def set_role(role: str) -> None:
    _ROLE[:] = [role]


def _envelope_ids(message: Any) -> tuple[str | None, str | None]:
    if message is None:
        return None, None
    try:
        env = orjson.loads(message.value or b"")
    except (orjson.JSONDecodeError, TypeError, AttributeError):
        env = None
    if isinstance(env, dict):
        eid = env.get("id")
        return (str(eid) if eid else None), (str(env.get("correlationid") or eid) if (env.get("correlationid") or eid) else None)
    headers = getattr(message, "headers", None) or ()
    for key, value in headers.items() if isinstance(headers, dict) else headers:
        if key == "ce_id" and isinstance(value, bytes | bytearray):
            return value.decode("utf-8", "replace"), None
    return None, None


# Credentials as they could appear in a message: an Authorization header, OAuth fields in a query
# string, a form or JSON, Standard Webhooks secrets, a password in a URL.
_SECRETS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{4,}"), r"\1 ***"),
    (
        re.compile(
            r"""(?i)(["']?\b(?:access_token|refresh_token|id_token|client_secret|api_key|apikey|password|secret|token|code_verifier)\b["']?\s*[:=]\s*["']?)[^"'&\s,}]+"""
        ),
        r"\1***",
    ),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_\-]+"), "whsec_***"),
    (re.compile(r"(://[^/\s:@]+:)[^@\s/]+@"), r"\1***@"),
]


def redact(text: str) -> str:
    """``text`` with every credential-looking value masked."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, role, agent, event_id, correlation_id
    (and the exception, if any), all masked by :func:`redact`."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if _ROLE:
            out["role"] = _ROLE[0]
        ctx = CURRENT.get()
        if ctx is not None:
            out["agent"] = ctx.agent
            event_id, correlation_id = ctx.ids()
            if event_id:
                out["event_id"] = event_id
            if correlation_id:
                out["correlation_id"] = correlation_id
        if record.exc_info:
            out["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(out).decode()


class TextFormatter(logging.Formatter):
    """The same facts for a person at a terminal: ``time level logger [agent event] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ctx = CURRENT.get()
        line = super().format(record)
        if ctx is not None:
            event_id, _ = ctx.ids()
            head, _, rest = line.partition(f" {record.name} ")
            line = f"{head} {record.name} [{ctx.agent}{' ' + event_id if event_id else ''}] {rest}"
        return redact(line)


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()
