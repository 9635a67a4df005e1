"""Every error is ``application/problem+json`` (RFC 9457) naming the field; responses are rendered
by orjson directly (FastAPI's ``jsonable_encoder`` would walk every row in Python)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from commands.exceptions import (
    AccountNotFound,
    AutomationNotFound,
    CommandRefused,
    ConnectionRefused,
    InvalidTransition,
    PostNotFound,
    ProjectNotFound,
    ScheduleConflict,
)

PROBLEM = "application/problem+json"
log = logging.getLogger("socializer.api")


class ORJSON(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str, option=orjson.OPT_UTC_Z)


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    field: str | None = None,
    code: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """``extra``: members a problem of this type adds (RFC 9457 extensions), e.g. a schedule conflict's ``conflict``."""
    body: dict[str, Any] = {"type": f"https://socializer.dev/problems/{code or status}", "title": title, "status": status, "detail": detail}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM)


class Problem(Exception):
    """A refusal already shaped as a problem (the decide agent's answer to a command)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.code, self.field, self.extra = status, title, detail, code, field, extra


def invalid_merge(err: ValidationError) -> Response:
    """A 422 naming the first field that a partial update (PATCH semantics) left invalid."""
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    return problem(422, "Invalid request", f"{field}: {first['msg']}", field=field, code="invalid_request")


def _nul_at(value: Any, path: str = "") -> str | None:
    """Where a NUL character hides in parsed JSON: text in Postgres (and on our topics) cannot hold one."""
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            if "\x00" in str(k):
                return f"{path}.{k!r}".lstrip(".")
            if found := _nul_at(v, f"{path}.{k}".lstrip(".")):
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            if found := _nul_at(v, f"{path}.{i}".lstrip(".")):
                return found
    return None


def install(app: FastAPI) -> None:
    """Turn validation errors, refused commands and HTTP errors into problems."""

    @app.middleware("http")
    async def no_nul(request: Request, call_next: Any) -> Response:
        """Refuse a NUL character in the path, the query or a JSON body, naming where: it would
        otherwise reach a topic and poison every projection that reads it."""
        where = None
        if "%00" in request.url.path or "\x00" in request.url.path:
            where = "path"
        for k, v in request.query_params.multi_items():
            if "\x00" in k or "\x00" in v:
                where = where or k.replace("\x00", "")
        if where is None and request.method in ("POST", "PUT", "PATCH") and b"\\u0000" in (body := await request.body()).lower():
            try:
                where = _nul_at(orjson.loads(body))
            except orjson.JSONDecodeError:
                where = "body"
        if where is not None:
            return problem(422, "Invalid request", f"{where}: text cannot contain a NUL character", field=where, code="invalid_request")
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, err: RequestValidationError) -> Response:
        # The field as the caller named it: where it came from (body, query, path) is the schema's to say.
        errors = [{"field": ".".join(str(p) for p in e["loc"][1:] or e["loc"]), "message": e["msg"]} for e in err.errors()]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        return problem(
            422, "Invalid request", f"{first['field']}: {first['message']}", field=first["field"], code="invalid_request", errors=errors
        )

    @app.exception_handler(CommandRefused)
    async def refused(_: Request, err: CommandRefused) -> Response:
        status = (
            404
            if isinstance(err, (PostNotFound, AccountNotFound, ProjectNotFound, AutomationNotFound))
            else 409
            if isinstance(err, InvalidTransition)
            else 422
        )
        if isinstance(err, ConnectionRefused):
            status = err.status
        extra = {"conflict": err.conflict} if isinstance(err, ScheduleConflict) else None
        return problem(status, type(err).__name__, err.detail, field=err.field, code=err.code, extra=extra)

    @app.exception_handler(Problem)
    async def shaped(_: Request, err: Problem) -> Response:
        return problem(err.status, err.title, err.detail, field=err.field, code=err.code, extra=err.extra)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> Response:
        ref = uuid.uuid4().hex[:12]
        log.error("%s %s failed (ref %s): %s", request.method, request.url.path, ref, err, exc_info=err)
        return problem(500, "Internal error", f"the request failed on our side; quote ref {ref} when reporting it", code="internal_error")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, err: StarletteHTTPException) -> Response:
        resp = problem(
            err.status_code,
            {401: "Unauthorized", 403: "Forbidden"}.get(err.status_code, "HTTP error"),
            str(err.detail),
            field="site_id" if str(err.detail).startswith("site_id") else None,
        )
        resp.headers.update(err.headers or {})
        return resp
