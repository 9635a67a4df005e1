"""Refusals of the write side, each named so the caller can tell them apart.

    CommandRefused
    ├── PostNotFound          no such post (or not the caller's site)
    ├── InvalidTransition     the command is not allowed in the post's current status
    └── InvalidSchedule       the requested time is in the past or breaks a cap or a cooldown
"""


class CommandRefused(Exception):
    code = "command_refused"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class PostNotFound(CommandRefused):
    code = "post_not_found"


class InvalidTransition(CommandRefused):
    code = "invalid_transition"


class InvalidSchedule(CommandRefused):
    code = "invalid_schedule"
