"""Pages are Jinja2 templates, escaped by default, rendered on the server from the read models."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"
env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "svg"]), trim_blocks=True, lstrip_blocks=True)


def local(value: Any, tz: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """A timestamp in the site's time zone, as the manager reads it."""
    if value is None:
        return ""
    return str(value.astimezone(ZoneInfo(tz)).strftime(fmt))


env.filters["local"] = local


def page(request: Request, template: str, viewer: Any, *, status: int = 200, **context: Any) -> HTMLResponse:
    html = env.get_template(template).render(request=request, viewer=viewer, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status)
