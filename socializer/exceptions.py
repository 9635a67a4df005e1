"""Errors of the composition root.

SocializerError
├── MissingSetting      a role needs a setting that is not set (names the variable)
└── DevStackError       the embedded broker or Postgres could not be started
"""


class SocializerError(Exception):
    """Base of the composition root's errors."""


class MissingSetting(SocializerError):
    def __init__(self, env_name: str, why: str) -> None:
        super().__init__(f"{env_name} is not set: {why}")
        self.env_name = env_name


class DevStackError(SocializerError):
    """The embedded default could not be started."""
