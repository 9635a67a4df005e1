"""Errors of the read side.

ProjectionError
└── ReplayMismatch     the rebuilt copy differs from the live read model
"""


class ProjectionError(Exception):
    pass


class ReplayMismatch(ProjectionError):
    pass
