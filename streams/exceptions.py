"""Errors of the stream processors. Any of them on one message dead-letters that message only.

StreamError
└── Unprocessable      a well-formed message that cannot be acted on (unknown site, wrong type)
"""


class StreamError(Exception):
    pass


class Unprocessable(StreamError):
    pass
