"""Errors of the contracts.

    SchemaError
    ├── UnknownEventType   the envelope's ``type`` is not registered
    └── InvalidEvent       bytes that are not JSON, not an envelope, or whose data fail validation
"""


class SchemaError(Exception):
    """Base of the schema errors."""


class UnknownEventType(SchemaError):
    pass


class InvalidEvent(SchemaError):
    """The message cannot be decoded; ``reason`` is readable by an operator and names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
