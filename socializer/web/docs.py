"""``/docs`` (Swagger UI) and ``/redoc`` from vendored bundles: the API's documentation works offline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from socializer.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger(request: Request) -> Response:
    return page(request, "docs.html", None)


@router.get("/redoc")
async def redoc(request: Request) -> Response:
    return page(request, "redoc.html", None)
