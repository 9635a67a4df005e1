"""Errors of the contracts.

SchemaError
└── InvalidEvent       bytes that are not JSON, not an envelope, of an unknown type, or whose data fail validation
"""


class SchemaError(Exception):
    """Base of the schema errors."""


class InvalidEvent(SchemaError):
    """The message cannot be decoded; ``reason`` is readable by an operator and names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
