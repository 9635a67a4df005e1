"""The HTTP API: a thin shell over the read models (queries) and the write side (deciders that
append events). :func:`socializer.http.app.create_api` builds the FastAPI app."""

from socializer.http.app import create_api

__all__ = ["create_api"]
