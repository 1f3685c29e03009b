"""`/crm/v4/...` associations: single default/labeled PUT, list, delete, and the batch endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.sandbox.http import Request, Response, Route
from adapters.sandbox.hubspot import wire
from adapters.sandbox.hubspot.associations import (
    DEFAULT_TYPE,
    HUBSPOT_DEFINED,
    object_type_id,
    spec_json,
    type_ids_from_specs,
    unfit_type_ids,
)
from adapters.sandbox.hubspot.object_types import SINGULAR, canonical_type
from adapters.sandbox.hubspot.portal import Portal

ONE = r"/crm/v4/objects/(?P<from_type>[\w-]+)/(?P<from_id>\d+)/associations"
PAIR = r"/(?P<to_type>[\w-]+)/(?P<to_id>\d+)/?"
BATCH = r"/crm/v4/associations/(?P<from_type>[\w-]+)/(?P<to_type>[\w-]+)/batch"
MAX_PAGE = 500
MAX_BATCH_READ = 1000
MAX_BATCH_CREATE = 2000


class AssociationsApi:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def routes(self) -> list[Route]:
        return [
            Route("PUT", ONE + "/default" + PAIR, self.put_default, "hubspot.associations.put_default"),
            Route("PUT", ONE + PAIR, self.put_labeled, "hubspot.associations.put"),
            Route("GET", ONE + r"/(?P<to_type>[\w-]+)/?", self.list_page, "hubspot.associations.list"),
            Route("DELETE", ONE + PAIR, self.delete, "hubspot.associations.delete"),
            Route("POST", BATCH + "/read/?", self.batch_read, "hubspot.associations.batch_read"),
            Route("POST", BATCH + "/create/?", self.batch_create, "hubspot.associations.batch_create"),
            Route("POST", BATCH + "/associate/default/?", self.batch_default, "hubspot.associations.default"),
            Route("POST", BATCH + "/archive/?", self.batch_archive, "hubspot.associations.batch_archive"),
            Route("POST", BATCH + "/labels/archive/?", self.batch_archive_labels, "hubspot.associations.unlabel"),
        ]  # fmt: skip

    def put_default(self, request: Request, from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
        pair = self._pair(from_type, to_type)
        if isinstance(pair, Response):
            return pair
        missing = self._missing(pair, from_id, to_id)
        if missing:
            return missing
        started = self.portal.clock()
        result = self._default_result(pair, int(from_id), int(to_id))
        return Response.json(200, wire.batch_envelope([result], [], started, self.portal.clock()))

    def put_labeled(self, request: Request, from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
        pair = self._pair(from_type, to_type)
        if isinstance(pair, Response):
            return pair
        missing = self._missing(pair, from_id, to_id)
        if missing:
            return missing
        specs = wire.json_body(request)
        type_ids = type_ids_from_specs(specs) if isinstance(specs, list) else None
        if not type_ids:
            return wire.validation_error("Expected a JSON array of {associationCategory, associationTypeId}.")
        unfit = unfit_type_ids(type_ids, *pair)
        if unfit:
            return wire.validation_error(f"association types {unfit} are not valid from {pair[0]} to {pair[1]}")
        self.portal.associations.add(pair[0], int(from_id), pair[1], int(to_id), type_ids)
        return Response.json(201, self._labels(pair, int(from_id), int(to_id)))

    def list_page(self, request: Request, from_type: str, from_id: str, to_type: str) -> Response:
        pair = self._pair(from_type, to_type)
        if isinstance(pair, Response):
            return pair
        limit = wire.int_param(request, "limit", MAX_PAGE)
        after = wire.int_param(request, "after", 0)
        if limit is None or after is None or not 1 <= limit <= MAX_PAGE:
            return wire.validation_error(f"limit must be between 1 and {MAX_PAGE}; after must be a number")
        targets = self.portal.associations.targets(pair[0], int(from_id), pair[1])
        body: dict[str, Any] = {"results": [_target_json(t, ids) for t, ids in targets[after : after + limit]]}
        if after + limit < len(targets):
            body["paging"] = {"next": {"after": str(after + limit), "link": f"?after={after + limit}"}}
        return Response.json(200, body)

    def delete(self, request: Request, from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
        pair = self._pair(from_type, to_type)
        if isinstance(pair, Response):
            return pair
        self.portal.associations.remove(pair[0], int(from_id), pair[1], int(to_id))
        return Response(204)

    def batch_read(self, request: Request, from_type: str, to_type: str) -> Response:
        pair, inputs, refused = self._batch(request, from_type, to_type, MAX_BATCH_READ)
        if refused:
            return refused
        started = self.portal.clock()
        results, errors = [], []
        for item in inputs:
            from_id = str((item or {}).get("id"))
            targets = self.portal.associations.targets(pair[0], int(from_id), pair[1]) if from_id.isdigit() else []
            if targets:
                results.append({"from": {"id": from_id}, "to": [_target_json(t, ids) for t, ids in targets]})
            else:
                message = f"No {SINGULAR[pair[1]]} is associated with {SINGULAR[pair[0]]} {from_id}."
                errors.append(_association_error(message, from_id))
        envelope = wire.batch_envelope(results, errors, started, self.portal.clock())
        return Response.json(207 if errors else 200, envelope)

    def batch_create(self, request: Request, from_type: str, to_type: str) -> Response:
        pair, inputs, refused = self._batch(request, from_type, to_type, MAX_BATCH_CREATE)
        if refused:
            return refused
        started = self.portal.clock()
        results, errors = [], []
        for item in inputs:
            from_id, to_id = _ends(item)
            type_ids = type_ids_from_specs(item.get("types") or []) if from_id else None
            if not type_ids or self._missing(pair, from_id, to_id):
                errors.append(_association_error(f"Cannot associate {from_id} with {to_id}.", str(from_id)))
                continue
            unfit = unfit_type_ids(type_ids, *pair)
            if unfit:
                message = f"association types {unfit} are not valid from {pair[0]} to {pair[1]}"
                errors.append(wire.standard_error(message, "VALIDATION_ERROR", context={"fromObjectId": [from_id]}))
                continue
            self.portal.associations.add(pair[0], int(from_id), pair[1], int(to_id), type_ids)
            results.append(self._labels(pair, int(from_id), int(to_id)))
        envelope = wire.batch_envelope(results, errors, started, self.portal.clock())
        return Response.json(207 if errors else 201, envelope)

    def batch_default(self, request: Request, from_type: str, to_type: str) -> Response:
        pair, inputs, refused = self._batch(request, from_type, to_type, MAX_BATCH_CREATE)
        if refused:
            return refused
        started = self.portal.clock()
        results, errors = [], []
        for item in inputs:
            from_id, to_id = _ends(item)
            if self._missing(pair, from_id, to_id):
                errors.append(_association_error(f"Cannot associate {from_id} with {to_id}.", str(from_id)))
                continue
            results.append(self._default_result(pair, int(from_id), int(to_id)))
        return Response.json(200, wire.batch_envelope(results, errors, started, self.portal.clock()))

    def batch_archive(self, request: Request, from_type: str, to_type: str) -> Response:
        pair, inputs, refused = self._batch(request, from_type, to_type, MAX_BATCH_CREATE)
        if refused:
            return refused
        for item in inputs:
            from_id = str(((item or {}).get("from") or {}).get("id"))
            for target in (item or {}).get("to") or []:
                to_id = str((target or {}).get("id"))
                if from_id.isdigit() and to_id.isdigit():
                    self.portal.associations.remove(pair[0], int(from_id), pair[1], int(to_id))
        return Response(204)

    def batch_archive_labels(self, request: Request, from_type: str, to_type: str) -> Response:
        pair, inputs, refused = self._batch(request, from_type, to_type, MAX_BATCH_CREATE)
        if refused:
            return refused
        for item in inputs:
            from_id, to_id = _ends(item)
            type_ids = type_ids_from_specs(item.get("types") or []) or []
            if from_id and to_id:
                self.portal.associations.remove(pair[0], int(from_id), pair[1], int(to_id), type_ids)
        return Response(204)

    # -- helpers ------------------------------------------------------------------------------------------

    def _pair(self, from_type: str, to_type: str) -> tuple[str, str] | Response:
        source, target = canonical_type(from_type), canonical_type(to_type)
        if source is None or target is None:
            return wire.validation_error(f"Unknown object type in {from_type} -> {to_type}.")
        return source, target

    def _missing(self, pair: tuple[str, str], from_id: Any, to_id: Any) -> Response | None:
        for kind, key in ((pair[0], from_id), (pair[1], to_id)):
            if key is None or self.portal.objects.get(kind, str(key)) is None:
                return wire.not_found(f"No {SINGULAR[kind]} with ID {key} exists.")
        return None

    def _default_result(self, pair: tuple[str, str], from_id: int, to_id: int) -> dict[str, Any]:
        if pair not in DEFAULT_TYPE:
            return {}
        spec = self.portal.associations.add_default(pair[0], from_id, pair[1], to_id)
        return {
            "from": {"id": str(from_id)},
            "to": {"id": str(to_id)},
            "associationSpec": {"associationCategory": HUBSPOT_DEFINED, "associationTypeId": spec.type_id},
        }

    def _labels(self, pair: tuple[str, str], from_id: int, to_id: int) -> dict[str, Any]:
        type_ids = self.portal.associations.type_ids(pair[0], from_id, pair[1], to_id)
        labels = [spec_json(type_id)["label"] for type_id in type_ids]
        return {
            "fromObjectTypeId": object_type_id(pair[0]),
            "fromObjectId": str(from_id),
            "toObjectTypeId": object_type_id(pair[1]),
            "toObjectId": str(to_id),
            "labels": [label for label in labels if label],
        }

    def _batch(self, request: Request, from_type: str, to_type: str, maximum: int) -> tuple[Any, list, Response | None]:
        pair = self._pair(from_type, to_type)
        if isinstance(pair, Response):
            return None, [], pair
        body = wire.json_body(request)
        if not isinstance(body, Mapping) or not isinstance(body.get("inputs"), list):
            return pair, [], wire.validation_error("Invalid input JSON: expected an object with an `inputs` array.")
        if len(body["inputs"]) > maximum:
            return pair, [], wire.validation_error(f"At most {maximum} inputs per request, got {len(body['inputs'])}.")
        return pair, body["inputs"], None


def _ends(item: Any) -> tuple[str | None, str | None]:
    if not isinstance(item, Mapping):
        return None, None
    from_id = (item.get("from") or {}).get("id")
    to_id = (item.get("to") or {}).get("id")
    return (str(from_id) if from_id is not None else None), (str(to_id) if to_id is not None else None)


def _target_json(to_id: int, type_ids: list[int]) -> dict[str, Any]:
    # The real API sends toObjectId as a number although the spec says string (API_FACTS C.3).
    return {"toObjectId": to_id, "associationTypes": [spec_json(type_id) for type_id in type_ids]}


def _association_error(message: str, from_id: str) -> dict[str, Any]:
    return wire.standard_error(message, "OBJECT_NOT_FOUND", context={"fromObjectId": [from_id]})
