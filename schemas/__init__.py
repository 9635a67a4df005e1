"""The contracts: events, commands, the CloudEvents-style envelope and the type registry. Pure: no I/O."""

from schemas.envelope import Envelope, new_envelope
from schemas.registry import registry

__all__ = ["Envelope", "new_envelope", "registry"]
