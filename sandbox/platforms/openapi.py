"""Requests checked against a platform's own OpenAPI document, as X checks them: an unknown query
parameter or body field, a value outside its schema, a missing required one is a 400.

The document is the part of X API v2 OpenAPI 2.167 (xdevplatform/xdk ``specs/openapi.json``, copied
in ../shared/specs) that the sandbox serves: its operations' requests with every schema they refer to
(``sandbox/specs/x-api-v2-openapi.json``; tests/unit/test_x_openapi_contract.py keeps it equal to the
whole document). The validator is the small part of JSON Schema those schemas use, so the sandbox
needs no schema library at run time.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

X_SPEC = Path(__file__).resolve().parent.parent / "specs" / "x-api-v2-openapi.json"


@cache
def x_spec() -> dict[str, Any]:
    return dict(json.loads(X_SPEC.read_text()))


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, _, section, name = node["$ref"].split("/")
        node = spec["components"][section][name]
    return node


def validate(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """The ways ``value`` breaks ``schema`` (empty when it fits), each naming its JSON path."""
    schema = _resolve(spec, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            if not any(not validate(spec, s, value, where) for s in schema[key]):
                return [f"{where}: does not match any of the allowed schemas"]
    errors: list[str] = []
    for sub in schema.get("allOf", []):
        errors += validate(spec, sub, value, where)
    kind = schema.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
    }
    if kind in checks and not checks[kind](value):
        return [f"{where}: {type(value).__name__} found, {kind} expected"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: does not have a value in the enumeration {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: does not match the regex pattern {schema['pattern']}")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1 << 62):
            errors.append(f"{where}: length out of bounds")
        if schema.get("format") == "date-time":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                errors.append(f"{where}: is not a valid RFC 3339 date-time")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < schema.get("minimum", float("-inf")) or value > schema.get("maximum", float("inf")):
            errors.append(f"{where}: must be within [{schema.get('minimum')}, {schema.get('maximum')}]")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 1 << 62):
            errors.append(f"{where}: there must be {schema.get('minItems', 0)} to {schema.get('maxItems', 'any')} items")
        if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            errors.append(f"{where}: the items in the array must be unique")
        for i, item in enumerate(value):
            errors += validate(spec, schema.get("items", {}), item, f"{where}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{where}.{name}: is missing but it is required")
        for name, item in value.items():
            if name in props:
                errors += validate(spec, props[name], item, f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}.{name}: is not defined in the schema and the schema does not allow additional properties")
    return errors


def operation(spec: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any], dict[str, str]] | None:
    """(the path template, the operation, the path parameters) that serve ``method path``."""
    for template, ops in spec["paths"].items():
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        m = re.match(pattern, path)
        if m and method.lower() in ops:
            return template, ops[method.lower()], m.groupdict()
    return None


def check_query(
    spec: dict[str, Any], op: dict[str, Any], query: list[tuple[str, str]], path_params: dict[str, str]
) -> list[dict[str, Any]]:
    """X's ``errors[]`` items for the query and path parameters (shape: the invalid-request
    problems X answers, e.g. github.com/plhery/node-twitter-api-v2/issues/597)."""
    params = [_resolve(spec, p) for p in op.get("parameters", [])]
    by_name = {p["name"]: p for p in params if p["in"] == "query"}
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for name, _ in query:
        seen[name] = seen.get(name, 0) + 1
    for name, raw in query:
        p = by_name.get(name)
        if p is None:
            errors.append({"parameters": {name: [raw]}, "message": f"The query parameter [{name}] is not one of [{','.join(by_name)}]"})
            continue
        if seen[name] > 1:
            errors.append({"parameters": {name: [raw]}, "message": f"Duplicate parameters are not allowed: the `{name}` query parameter"})
            continue
        if _bad(spec, p["schema"], raw):
            errors.append({"parameters": {name: [raw]}, "message": f"The `{name}` query parameter value [{raw}] is not valid"})
    for p in params:
        if p["in"] == "query" and p.get("required") and p["name"] not in seen:
            errors.append({"parameters": {p["name"]: []}, "message": f"The `{p['name']}` query parameter can not be empty"})
        if p["in"] == "path" and _bad(spec, p["schema"], path_params.get(p["name"], "")):
            value = path_params.get(p["name"], "")
            errors.append({"parameters": {p["name"]: [value]}, "message": f"The `{p['name']}` path parameter value [{value}] is not valid"})
    return errors


def _bad(spec: dict[str, Any], schema: dict[str, Any], raw: str) -> bool:
    schema = _resolve(spec, schema)
    value: Any = raw
    if schema.get("type") == "array":  # style form, explode false: comma-separated
        value = raw.split(",") if raw else []
    elif schema.get("type") == "integer":
        try:
            value = int(raw)
        except ValueError:
            return True
    return bool(validate(spec, schema, value))


def check_body(spec: dict[str, Any], op: dict[str, Any], content_type: str, body: Any) -> list[dict[str, Any]]:
    content = (op.get("requestBody") or {}).get("content", {})
    media = content.get(content_type.split(";")[0].strip())
    if media is None:
        return [{"message": f"Content-Type {content_type or '(none)'} is not one of [{','.join(content)}]"}]
    return [{"message": m} for m in validate(spec, media["schema"], body)]


def invalid_request(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "errors": errors,
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.x.com/2/problems/invalid-request",
    }
