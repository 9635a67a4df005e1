"""Refusals of the write side, each named so the caller can tell them apart.

CommandRefused
├── PostNotFound          no such post (or not the caller's site)
├── InvalidTransition     the command is not allowed in the post's current status
├── InvalidSchedule       the requested time is in the past or breaks a cap or a cooldown
├── AccountNotFound       no such account (or not the caller's site)
├── ProjectNotFound       no such video project or section (or not the caller's site)
└── ConnectionRefused     an OAuth callback that must not connect anything (``code`` says why)
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


class VersionConflict(InvalidTransition):
    code = "version_conflict"


class ScheduleConflict(InvalidTransition):
    """``conflict``: the post in the way (``post_id``, ``at``), why (``reason``), and ``next_free_slot`` (None if none):
    what a person needs to choose another time."""

    code = "schedule_conflict"

    def __init__(self, detail: str, *, field: str | None = None, conflict: dict[str, str | None] | None = None) -> None:
        super().__init__(detail, field=field)
        self.conflict = conflict or {}


class InvalidSchedule(CommandRefused):
    code = "invalid_schedule"


class InvalidContent(CommandRefused):
    code = "invalid_content"


class AccountNotFound(CommandRefused):
    code = "account_not_found"


class ProjectNotFound(CommandRefused):
    code = "project_not_found"


class AutomationNotFound(CommandRefused):
    code = "automation_not_found"


class ConnectionRefused(CommandRefused):
    """``code``: state_missing, state_unknown, state_reused, state_expired, state_other_site, wrong_provider,
    consent_denied, code_missing, code_refused, nothing_to_connect, provider_unavailable."""

    def __init__(self, code: str, detail: str, *, field: str | None = None, status: int = 400) -> None:
        super().__init__(detail, field=field)
        self.code = code
        self.status = status


class QueueNotFound(CommandRefused):
    code = "queue_not_found"
