"""HubSpot's wire shapes: timestamps, error bodies, batch envelopes, and query-parameter parsing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.sandbox.http import Request, Response

#: Something that tells the time; injected so that tests move time instead of sleeping.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """HubSpot writes timestamps as UTC ISO 8601 with milliseconds: 2026-11-01T12:00:00.000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_epoch_ms(value: int | float) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def parse_moment(value: str) -> datetime | None:
    """A datetime from epoch milliseconds or ISO 8601, as HubSpot accepts both in properties and filters."""
    text = value.strip()
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return from_epoch_ms(int(text))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def error_body(
    message: str,
    category: str,
    *,
    errors: Sequence[Mapping[str, Any]] = (),
    context: Mapping[str, Sequence[str]] | None = None,
    sub_category: str | None = None,
) -> dict[str, Any]:
    """HubSpot's generic error envelope (spec `Error`)."""
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
    }
    if sub_category:
        body["subCategory"] = sub_category
    if errors:
        body["errors"] = [dict(error) for error in errors]
    if context:
        body["context"] = {key: list(values) for key, values in context.items()}
    return body


def error(status: int, message: str, category: str, **details: Any) -> Response:
    return Response.json(status, error_body(message, category, **details))


def not_found(message: str) -> Response:
    return error(404, message, "OBJECT_NOT_FOUND")


def validation_error(message: str, **details: Any) -> Response:
    return error(400, message, "VALIDATION_ERROR", **details)


def standard_error(
    message: str, category: str, *, context: Mapping[str, Sequence[str]], errors: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """One entry of a batch response's `errors` (spec `StandardError`: every field present)."""
    return {
        "status": "error",
        "category": category,
        "message": message,
        "context": {key: list(values) for key, values in context.items()},
        "errors": [dict(item) for item in errors],
        "links": {},
    }


def batch_envelope(results: list[Any], errors: list[dict[str, Any]], started: datetime, completed: datetime) -> dict:
    """The `BatchResponse...` shape; `numErrors`/`errors` only when something failed, as HubSpot does."""
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso(started),
        "completedAt": iso(completed),
    }
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    return body


def list_param(request: Request, name: str) -> list[str]:
    """A list parameter sent repeated (`?p=a&p=b`, as hubspot-api-client does) or comma-separated (`?p=a,b`)."""
    values: list[str] = []
    for raw in request.query.get(name, []):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def bool_param(request: Request, name: str) -> bool:
    # hubspot-api-client sends Python's str(bool): "False"/"True".
    return (request.param(name) or "false").strip().lower() == "true"


def int_param(request: Request, name: str, default: int) -> int | None:
    """The parameter as an int, the default when absent, None when it is not a number."""
    raw = request.param(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        return None


def json_body(request: Request) -> Any:
    """The request's JSON body, or None when it is missing or malformed."""
    try:
        return request.json()
    except ValueError:
        return None


def invalid_json() -> Response:
    return error(400, "Invalid input JSON on line 1: the request body is not valid JSON", "VALIDATION_ERROR")
