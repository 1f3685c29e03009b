"""`/crm/v3/objects/{type}`: list, read, create, update, archive, batch read/create/update/archive, search."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from adapters.sandbox.http import Request, Response, Route
from adapters.sandbox.hubspot import wire
from adapters.sandbox.hubspot.associations import v3_association_entries
from adapters.sandbox.hubspot.faults import BatchRejection
from adapters.sandbox.hubspot.object_types import SINGULAR, canonical_type
from adapters.sandbox.hubspot.objects import StoredObject
from adapters.sandbox.hubspot.portal import Portal
from adapters.sandbox.hubspot.search import (
    ALWAYS_RETURNED,
    SearchRejected,
    SearchRequest,
    cache_key,
    matching,
    page_of,
    parse_request,
    properties_to_return,
    unknown_properties,
)
from adapters.sandbox.hubspot.writes import PlannedWrite, WriteProblem, plan_write

MAX_PAGE = 100
#: "Batch operations are limited to 100 records per request" (HubSpot contacts guide, API_FACTS C.1).
MAX_BATCH = 100
#: A batch read asking for property history takes at most 50 inputs ("The maximum number of inputs supported in a
#: batch request for property histories is 50", HubSpot's answer as quoted by API clients).
MAX_HISTORY_BATCH = 50
DEFAULT_LIST_PROPERTIES = {
    "contacts": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "deals": ["amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id",
              "pipeline"],
}  # fmt: skip
SEARCH_CACHE_SIZE = 8
OBJECTS = r"/crm/v3/objects/(?P<object_type>[A-Za-z0-9_-]+)"


class ObjectsApi:
    def __init__(self, portal: Portal, rejection: BatchRejection) -> None:
        self.portal = portal
        self.rejection = rejection

    def routes(self) -> list[Route]:
        return [
            Route("GET", OBJECTS + "/?", self.list_page, "hubspot.objects.list"),
            Route("POST", OBJECTS + "/?", self.create, "hubspot.objects.create"),
            Route("POST", OBJECTS + "/search/?", self.search, "hubspot.search"),
            Route("POST", OBJECTS + "/batch/read/?", self.batch_read, "hubspot.objects.batch_read"),
            Route("POST", OBJECTS + "/batch/create/?", self.batch_create, "hubspot.objects.batch_create"),
            Route("POST", OBJECTS + "/batch/update/?", self.batch_update, "hubspot.objects.batch_update"),
            Route("POST", OBJECTS + "/batch/archive/?", self.batch_archive, "hubspot.objects.batch_archive"),
            Route("GET", OBJECTS + r"/(?P<object_id>[^/]+)/?", self.read, "hubspot.objects.read"),
            Route("PATCH", OBJECTS + r"/(?P<object_id>[^/]+)/?", self.update, "hubspot.objects.update"),
            Route("DELETE", OBJECTS + r"/(?P<object_id>[^/]+)/?", self.archive, "hubspot.objects.archive"),
        ]

    # -- reads --------------------------------------------------------------------------------------------

    def list_page(self, request: Request, object_type: str) -> Response:
        kind = canonical_type(object_type)
        if kind is None:
            return _unknown_type(object_type)
        limit = wire.int_param(request, "limit", 10)
        after = wire.int_param(request, "after", 0)
        if limit is None or not 1 <= limit <= MAX_PAGE:
            return wire.validation_error(f"limit must be a number between 1 and {MAX_PAGE}")
        if after is None:
            return wire.validation_error(
                f"after must be a cursor returned by a previous page, got {request.param('after')!r}"
            )
        records, next_id = self.portal.objects.page(kind, after, limit, archived=wire.bool_param(request, "archived"))
        names = self._known(kind, wire.list_param(request, "properties"))
        links = wire.list_param(request, "associations")
        history = self._with_history(kind, wire.list_param(request, "propertiesWithHistory"))
        body: dict[str, Any] = {"results": [self._render(r, names, links, history) for r in records]}
        if next_id is not None:
            body["paging"] = {"next": {"after": str(next_id), "link": f"?after={next_id}"}}
        return Response.json(200, body)

    def read(self, request: Request, object_type: str, object_id: str) -> Response:
        kind = canonical_type(object_type)
        if kind is None:
            return _unknown_type(object_type)
        record = self._find(kind, object_id, request.param("idProperty"), wire.bool_param(request, "archived"))
        if record is None:
            return _object_not_found(object_id)
        names = self._known(kind, wire.list_param(request, "properties"))
        history = self._with_history(kind, wire.list_param(request, "propertiesWithHistory"))
        return Response.json(200, self._render(record, names, wire.list_param(request, "associations"), history))

    def batch_read(self, request: Request, object_type: str) -> Response:
        kind, body, refused = self._batch_input(request, object_type)
        if refused:
            return refused
        started = self.portal.clock()
        archived = wire.bool_param(request, "archived")
        names = self._known(kind, body.get("properties") or [])
        history = self._with_history(kind, body.get("propertiesWithHistory") or [])
        if history and len(body["inputs"]) > MAX_HISTORY_BATCH:
            limit = MAX_HISTORY_BATCH
            return wire.validation_error(
                f"The maximum number of inputs supported in a batch request for property histories is {limit}"
            )
        found, missing = [], []
        for item in body["inputs"]:
            record = self._find(kind, str(item.get("id")), body.get("idProperty"), archived)
            if record is None:
                missing.append(str(item.get("id")))
            else:
                found.append(record.to_json(names, history))
        errors = []
        if missing:
            message = (
                f"Could not get some {SINGULAR[kind].upper()} objects, they may be deleted or not exist. "
                "Check that ids are valid."
            )
            errors.append(wire.standard_error(message, "OBJECT_NOT_FOUND", context={"ids": missing}))
        envelope = wire.batch_envelope(found, errors, started, self.portal.clock())
        return Response.json(207 if errors else 200, envelope)

    def search(self, request: Request, object_type: str) -> Response:
        kind = canonical_type(object_type)
        if kind is None:
            return _unknown_type(object_type)
        body = wire.json_body(request)
        if not isinstance(body, Mapping):
            return wire.invalid_json()
        try:
            search = parse_request(body)
        except SearchRejected as problem:
            return wire.validation_error(str(problem))
        unknown = unknown_properties(search, lambda name: self.portal.catalog.get(kind, name) is not None)
        if unknown:
            names = ", ".join(unknown)
            return wire.validation_error(f"There was a problem with the request: unknown {kind} properties: {names}.")
        page = page_of(self._matching(kind, search), search)
        names = self._known(kind, properties_to_return(kind, search))
        result: dict[str, Any] = {"total": page.total, "results": [r.to_json(names) for r in page.results]}
        if page.next_after is not None:
            result["paging"] = {"next": {"after": str(page.next_after), "link": f"?after={page.next_after}"}}
        return Response.json(200, result)

    # -- writes -------------------------------------------------------------------------------------------

    def create(self, request: Request, object_type: str) -> Response:
        kind = canonical_type(object_type)
        if kind is None:
            return _unknown_type(object_type)
        body = wire.json_body(request)
        if not isinstance(body, Mapping):
            return wire.invalid_json()
        plan = plan_write(self.portal, kind, body, creating=True)
        if isinstance(plan, WriteProblem):
            return _problem_response(plan)
        return Response.json(201, self._apply_create(kind, plan).to_json(None))

    def update(self, request: Request, object_type: str, object_id: str) -> Response:
        kind = canonical_type(object_type)
        if kind is None:
            return _unknown_type(object_type)
        record = self._find(kind, object_id, request.param("idProperty"), False)
        if record is None:
            return _object_not_found(object_id)
        body = wire.json_body(request)
        if not isinstance(body, Mapping):
            return wire.invalid_json()
        plan = plan_write(self.portal, kind, {**body, "id": str(record.id)}, creating=False)
        if isinstance(plan, WriteProblem):
            return _problem_response(plan)
        self.portal.objects.update(record, plan.values, self.portal.clock())
        return Response.json(200, record.to_json(None))

    def archive(self, request: Request, object_type: str, object_id: str) -> Response:
        kind = canonical_type(object_type)
        if kind is None:
            return _unknown_type(object_type)
        record = self.portal.objects.get(kind, object_id)
        if record is not None:  # archiving a missing or archived record is a no-op 204 in HubSpot too
            self._archive(record)
        return Response(204)

    def batch_create(self, request: Request, object_type: str) -> Response:
        return self._batch_write(request, object_type, creating=True)

    def batch_update(self, request: Request, object_type: str) -> Response:
        return self._batch_write(request, object_type, creating=False)

    def batch_archive(self, request: Request, object_type: str) -> Response:
        kind, body, refused = self._batch_input(request, object_type)
        if refused:
            return refused
        for item in body["inputs"]:
            record = self.portal.objects.get(kind, str(item.get("id")))
            if record is not None:
                self._archive(record)
        return Response(204)

    def _batch_write(self, request: Request, object_type: str, *, creating: bool) -> Response:
        """HubSpot's batch rules: one bad input fails the whole batch with 400 unless every input carries an
        `objectWriteTraceId`, which turns on 207 multi-status with per-input errors (error-handling guide)."""
        kind, body, refused = self._batch_input(request, object_type)
        if refused:
            return refused
        started = self.portal.clock()
        inputs = body["inputs"]
        repeated = [] if creating else repeated_ids(inputs)
        if repeated:
            # Before any other check, with or without trace ids: the whole batch is refused and nothing written.
            message = f"Duplicate IDs found in batch input: [{', '.join(repeated)}]. IDs must be unique"
            return wire.validation_error(message, context={"ids": repeated})
        plans = [self._plan_batch_item(kind, item, creating) for item in inputs]
        failed = [p for p in plans if isinstance(p, WriteProblem)]
        traced = all(isinstance(item, Mapping) and item.get("objectWriteTraceId") for item in inputs)
        if failed and not traced:
            return _problem_response(failed[0])
        rejected = self.rejection.take(len(inputs))
        results, errors = [], []
        for position, (item, plan) in enumerate(zip(inputs, plans, strict=True)):
            trace = item.get("objectWriteTraceId")
            if position in rejected and not isinstance(plan, WriteProblem):
                plan = WriteProblem("VALIDATION_ERROR", "Injected by the sandbox: this input was rejected.")
            if isinstance(plan, WriteProblem):
                context = {"objectWriteTraceId": [trace]} if trace else {"ids": [str(item.get("id"))]}
                errors.append(wire.standard_error(plan.message, plan.category, context=context, errors=plan.details))
                continue
            record = self._apply_create(kind, plan) if creating else self._apply_update(kind, item, plan)
            result = record.to_json(None)
            if trace:
                result["objectWriteTraceId"] = trace
            results.append(result)
        envelope = wire.batch_envelope(results, errors, started, self.portal.clock())
        return Response.json(207 if errors else (201 if creating else 200), envelope)

    def _plan_batch_item(self, kind: str, item: Any, creating: bool) -> PlannedWrite | WriteProblem:
        if not isinstance(item, Mapping):
            return WriteProblem("VALIDATION_ERROR", "Each input must be an object.")
        if not creating:
            record = self._find(kind, str(item.get("id")), item.get("idProperty"), False)
            if record is None:
                return WriteProblem("OBJECT_NOT_FOUND", f"Object {item.get('id')} was not found.", status=404)
            item = {**item, "id": str(record.id)}
        return plan_write(self.portal, kind, item, creating=creating)

    def _apply_create(self, kind: str, plan: PlannedWrite) -> StoredObject:
        record = self.portal.objects.create(kind, plan.values, self.portal.clock())
        for to_type, to_id, type_ids in plan.associations:
            self.portal.associations.add(kind, record.id, to_type, to_id, type_ids)
        return record

    def _apply_update(self, kind: str, item: Mapping[str, Any], plan: PlannedWrite) -> StoredObject:
        record = self._find(kind, str(item.get("id")), item.get("idProperty"), False)
        return self.portal.objects.update(record, plan.values, self.portal.clock())

    def _archive(self, record: StoredObject) -> None:
        self.portal.objects.archive(record, self.portal.clock())
        self.portal.associations.remove_all(record.object_type, record.id)

    # -- helpers ------------------------------------------------------------------------------------------

    def _batch_input(self, request: Request, object_type: str) -> tuple[str, dict[str, Any], Response | None]:
        kind = canonical_type(object_type)
        if kind is None:
            return "", {}, _unknown_type(object_type)
        body = wire.json_body(request)
        if not isinstance(body, Mapping) or not isinstance(body.get("inputs"), list):
            return kind, {}, wire.validation_error("Invalid input JSON: expected an object with an `inputs` array.")
        if len(body["inputs"]) > MAX_BATCH:
            message = (
                f"The maximum number of inputs supported in a batch request is {MAX_BATCH}, got {len(body['inputs'])}."
            )
            return kind, {}, wire.validation_error(message)
        return kind, dict(body), None

    def _find(self, kind: str, key: str, id_property: str | None, archived: bool) -> StoredObject | None:
        if id_property and id_property != "hs_object_id":
            record = self.portal.objects.find(kind, id_property, key)
            return record if record is not None and record.archived == archived else None
        return self.portal.objects.get(kind, key, archived=archived)

    def _with_history(self, kind: str, names: list[str]) -> list[str]:
        """The asked history properties the type has (unknown names are left out, as from `properties`)."""
        return [name for name in names if self.portal.catalog.get(kind, name) is not None]

    def _render(self, record: StoredObject, names: list[str], links: list[str], history: list[str]) -> dict[str, Any]:
        body = record.to_json(names, history)
        blocks = {}
        for to_type in links:
            target = canonical_type(to_type)
            pairs = self.portal.associations.targets(record.object_type, record.id, target) if target else []
            if pairs:
                entries = [e for to_id, ids in pairs for e in v3_association_entries(to_id, ids)]
                blocks[to_type] = {"results": entries}
        if blocks:
            body["associations"] = blocks
        return body

    def _matching(self, kind: str, search: SearchRequest) -> list[StoredObject]:
        """The records a search selects, kept while nothing changes: paging through one query costs one scan."""
        key = (kind, cache_key(search), self.portal.objects.version, self.portal.associations.version)
        if key not in self.portal.search_cache:
            records = self.portal.objects.active(kind)
            type_of = partial(self.portal.catalog.type_of, kind)
            if len(self.portal.search_cache) >= SEARCH_CACHE_SIZE:
                self.portal.search_cache.pop(next(iter(self.portal.search_cache)))
            self.portal.search_cache[key] = matching(records, search, type_of, self._associated_ids, kind)
        return self.portal.search_cache[key]

    def _known(self, kind: str, names: list[str]) -> list[str]:
        """The properties to return: HubSpot leaves out names it does not know and returns the rest, null if unset."""
        known = [name for name in names if self.portal.catalog.get(kind, name) is not None]
        # Asked properties come with the identity and system dates, as from search (ALWAYS_RETURNED).
        return list(dict.fromkeys([*known, *ALWAYS_RETURNED])) if known else default_properties(kind)

    def _associated_ids(self, record: StoredObject, to_type: str) -> set[str]:
        target = canonical_type(to_type)
        if target is None:
            return set()
        return {str(to_id) for to_id, _ in self.portal.associations.targets(record.object_type, record.id, target)}


def repeated_ids(inputs: list[Any]) -> list[str]:
    """The ids a batch names more than once, in first-seen order (HubSpot refuses such a batch as a whole)."""
    seen: dict[str, int] = {}
    for item in inputs:
        if isinstance(item, Mapping) and item.get("id") is not None:
            key = str(item["id"])
            seen[key] = seen.get(key, 0) + 1
    return [key for key, count in seen.items() if count > 1]


def default_properties(kind: str) -> list[str]:
    return DEFAULT_LIST_PROPERTIES.get(kind, ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"])


def _problem_response(problem: WriteProblem) -> Response:
    return wire.error(problem.status, problem.message, problem.category, errors=problem.details)


def _object_not_found(object_id: str) -> Response:
    return wire.not_found(f"Object not found.  objectId are usually numeric. ({object_id})")


def _unknown_type(object_type: str) -> Response:
    return wire.error(400, f"Unable to infer object type from: {object_type}", "VALIDATION_ERROR")
