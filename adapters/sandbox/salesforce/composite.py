"""The Composite resource, ``POST composite``: up to 25 subrequests answered by the org's own handlers as ONE API call.

https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite_post.htm
The app authenticates the composite request and spends one request of the daily allocation on it; each subrequest
is then routed to the same handler that would serve it alone (without a second check or charge), so its status,
body and headers are exactly what a direct call would get.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from adapters.sandbox.http import Request, Response, Route
from adapters.sandbox.salesforce.api_errors import ApiError, RecordError, not_found
from adapters.sandbox.salesforce.endpoints import json_body
from adapters.sandbox.salesforce.records import RecordStore

MAX_SUBREQUESTS = 25
#: "Up to 5 of these subrequests can be sObject Collections or query operations, including Query and QueryAll
#: requests" (the resource's documentation); query more counts as a query operation.
MAX_LIMITED_OPERATIONS = 5
LIMITED_ROUTE_PREFIXES = ("sf.query", "sf.composite.")
#: Reference ids may hold only letters, digits and underscores.
REFERENCE_ID = re.compile(r"[A-Za-z0-9_]+")
#: ``@{refAccount.id}`` or ``@{refQuery.records[0].Id}`` in a later subrequest's url or body.
REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)\.([^}]+)\}")
PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
ROLLED_BACK = "The transaction was rolled back since another operation in the same transaction failed."


@dataclass(frozen=True)
class Subrequest:
    method: str
    url: str
    reference_id: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SubResult:
    """One entry of ``compositeResponse``."""

    reference_id: str
    status: int
    body: Any
    headers: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return self.status < 300

    def json(self) -> dict[str, Any]:
        return {
            "body": self.body,
            "httpHeaders": dict(self.headers),
            "httpStatusCode": self.status,
            "referenceId": self.reference_id,
        }


class UnresolvedReference(Exception):
    """A ``@{ref.path}`` that names no earlier successful result."""


class CompositeApi:
    """Serves ``POST composite`` over the app's (unwrapped) API routes."""

    def __init__(self, routes: Sequence[Route], store: RecordStore) -> None:
        self._routes = list(routes)
        self._store = store

    def serve(self, request: Request, version: str) -> Response:
        all_or_none, subrequests = parse_composite(json_body(request))
        self._check_limits(subrequests)
        writes = any(sub.method != "GET" for sub in subrequests)
        with self._store.atomically(undoable=all_or_none and writes) as roll_back:
            results = self._run_all(subrequests)
            if all_or_none and not all(result.ok for result in results):
                roll_back()
                results = [_halted(result) if result.ok else result for result in results]
        return Response.json(200, {"compositeResponse": [result.json() for result in results]})

    def _check_limits(self, subrequests: Sequence[Subrequest]) -> None:
        if len(subrequests) > MAX_SUBREQUESTS:
            raise ApiError(400, "LIMIT_EXCEEDED", f"The request can’t contain more than {MAX_SUBREQUESTS} operations.")
        limited = [sub for sub in subrequests if self._is_limited(sub)]
        if len(limited) > MAX_LIMITED_OPERATIONS:
            raise ApiError(
                400,
                "LIMIT_EXCEEDED",
                f"The request can’t contain more than {MAX_LIMITED_OPERATIONS} query or sObject Collections"
                f" operations; it has {len(limited)}.",
            )

    def _is_limited(self, sub: Subrequest) -> bool:
        found = self._match(sub.method, urlsplit(sub.url).path)
        return found is not None and found[0].name.startswith(LIMITED_ROUTE_PREFIXES)

    def _run_all(self, subrequests: Sequence[Subrequest]) -> list[SubResult]:
        done: dict[str, SubResult] = {}
        results = []
        for sub in subrequests:
            try:
                resolved = _resolve(sub, done)
            except UnresolvedReference as error:
                result = SubResult(
                    sub.reference_id, 400, [{"errorCode": "PROCESSING_HALTED", "message": str(error)}], {}
                )
            else:
                result = self._run(resolved)
            done[sub.reference_id] = result
            results.append(result)
        return results

    def _run(self, sub: Subrequest) -> SubResult:
        parts = urlsplit(sub.url)
        found = self._match(sub.method, parts.path)
        body = json.dumps(sub.body).encode() if sub.body is not None else b""
        request = Request(sub.method, parts.path, parse_qs(parts.query, keep_blank_values=True), sub.headers, body)
        try:
            if found is None:
                raise not_found()
            route, params = found
            response = route.handler(request, **params)
        except ApiError as error:
            return SubResult(sub.reference_id, error.status, error.body(), {})
        except RecordError as error:
            api_error = error.as_api_error()
            return SubResult(sub.reference_id, api_error.status, api_error.body(), {})
        return SubResult(sub.reference_id, response.status, _payload(response), response.headers)

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self._routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None


def parse_composite(body: Any) -> tuple[bool, list[Subrequest]]:
    """``{"allOrNone", "compositeRequest": [{"method", "url", "referenceId", "body"?, "httpHeaders"?}]}``."""
    if not isinstance(body, Mapping) or not isinstance(body.get("compositeRequest"), list):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must hold a compositeRequest array")
    if not body["compositeRequest"]:
        raise ApiError(400, "INVALID_INPUT", "The compositeRequest array must hold at least one subrequest")
    subrequests = [_subrequest(item) for item in body["compositeRequest"]]
    ids = [sub.reference_id for sub in subrequests]
    duplicate = next((ref for ref in ids if ids.count(ref) > 1), None)
    if duplicate is not None:
        raise ApiError(400, "INVALID_INPUT", f"Duplicate referenceId provided in the request: {duplicate}")
    return bool(body.get("allOrNone", False)), subrequests


def _subrequest(item: Any) -> Subrequest:
    if not isinstance(item, Mapping) or not all(isinstance(item.get(key), str) for key in ("method", "url")):
        raise ApiError(400, "JSON_PARSER_ERROR", "Each subrequest needs a method and a url")
    reference_id = item.get("referenceId")
    if not isinstance(reference_id, str) or not REFERENCE_ID.fullmatch(reference_id):
        raise ApiError(
            400, "INVALID_INPUT", f"Invalid referenceId {reference_id!r}: use only letters, numbers and underscores"
        )
    headers = item.get("httpHeaders") or {}
    if not isinstance(headers, Mapping):
        raise ApiError(400, "JSON_PARSER_ERROR", "httpHeaders must be an object of header names to values")
    return Subrequest(item["method"].upper(), item["url"], reference_id, item.get("body"), dict(headers))


def _payload(response: Response) -> Any:
    if not response.body:
        return None
    if response.content_type.startswith("application/json"):
        return json.loads(response.body)
    return response.body.decode("utf-8", "replace")


def _halted(result: SubResult) -> SubResult:
    return SubResult(result.reference_id, 400, [{"errorCode": "PROCESSING_HALTED", "message": ROLLED_BACK}], {})


# -- references between subrequests -------------------------------------------------------------------------------


def _resolve(sub: Subrequest, done: Mapping[str, SubResult]) -> Subrequest:
    url = REFERENCE.sub(lambda found: str(_lookup(found, done)), sub.url)
    return Subrequest(sub.method, url, sub.reference_id, _resolve_value(sub.body, done), sub.headers)


def _resolve_value(value: Any, done: Mapping[str, SubResult]) -> Any:
    if isinstance(value, str):
        whole = REFERENCE.fullmatch(value)
        if whole:  # a reference alone keeps the referenced value's own JSON type
            return _lookup(whole, done)
        return REFERENCE.sub(lambda found: str(_lookup(found, done)), value)
    if isinstance(value, Mapping):
        return {key: _resolve_value(item, done) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_value(item, done) for item in value]
    return value


def _lookup(found: re.Match[str], done: Mapping[str, SubResult]) -> Any:
    reference_id, path = found.group(1), found.group(2)
    missing = UnresolvedReference(
        f"Invalid reference specified. No value for {reference_id}.{path} found in {reference_id}."
    )
    earlier = done.get(reference_id)
    if earlier is None or not earlier.ok:
        raise missing
    value: Any = earlier.body
    for name, index in PATH_STEP.findall(path):
        try:
            value = value[int(index)] if index else value[name]
        except (KeyError, IndexError, TypeError):
            raise missing from None
    return value
