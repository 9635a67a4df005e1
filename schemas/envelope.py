"""The CloudEvents-style envelope every message on every topic travels in (structured JSON mode).

``id`` is unique per ``source``: a consumer may treat a repeated id as a duplicate, so producers that
may re-send after a crash derive it deterministically (:func:`derived_id`). ``subject`` is the
aggregate id and also the Kafka key, so one aggregate's events stay ordered in one partition.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel

SPECVERSION = "1.0"
CONTENT_TYPE = b"application/cloudevents+json; charset=utf-8"
_NS = uuid.UUID("6f1f5a3c-3c52-4b0e-9d5e-6d1c0d0a5e11")


def derived_id(*parts: str) -> str:
    """A stable event id for an event that may be produced again after a crash."""
    return str(uuid.uuid5(_NS, "\x1f".join(parts)))


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Envelope:
    id: str
    source: str
    type: str
    time: datetime
    subject: str | None
    data: dict[str, Any]
    correlationid: str | None = None
    causationid: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "specversion": SPECVERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time,
            "subject": self.subject,
            "datacontenttype": "application/json",
            "correlationid": self.correlationid,
            "causationid": self.causationid,
            "data": self.data,
        }
        d.update(self.extensions)
        return d

    def encode(self) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_UTC_Z)

    def headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers duplicating the routing attributes so tools can filter without parsing."""
        return [
            ("content-type", CONTENT_TYPE),
            ("ce_type", self.type.encode()),
            ("ce_id", self.id.encode()),
        ]


def new_envelope(
    type_: str,
    data: BaseModel | dict[str, Any],
    *,
    source: str,
    subject: str | None,
    id: str | None = None,
    correlationid: str | None = None,
    causationid: str | None = None,
    time: datetime | None = None,
) -> Envelope:
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    eid = id or str(uuid.uuid4())
    return Envelope(
        id=eid,
        source=source,
        type=type_,
        time=time or utcnow(),
        subject=subject,
        data=payload,
        correlationid=correlationid or eid,
        causationid=causationid,
    )
