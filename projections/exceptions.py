"""Errors of the read side.

    ProjectionError
    ├── MigrationError     a migration failed; nothing of it was applied
    └── ReplayMismatch     the rebuilt copy differs from the live read model
"""


class ProjectionError(Exception):
    pass


class MigrationError(ProjectionError):
    pass


class ReplayMismatch(ProjectionError):
    pass
