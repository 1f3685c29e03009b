"""Checking one object write (create or update) the way HubSpot does, before anything is stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, time
from typing import Any

from adapters.sandbox.hubspot.associations import TYPES_BY_ID, type_ids_from_specs, unfit_type_ids
from adapters.sandbox.hubspot.portal import Portal
from adapters.sandbox.hubspot.properties import PropertyProblem
from adapters.sandbox.hubspot.wire import parse_moment


@dataclass(frozen=True)
class WriteProblem:
    """Why HubSpot refuses one input: a category, a message, and the per-property details."""

    category: str
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)
    status: int = 400


@dataclass(frozen=True)
class PlannedWrite:
    values: dict[str, str | None]
    associations: list[tuple[str, int, list[int]]]  # to_type, to_id, type ids


def property_problem(problems: list[PropertyProblem]) -> WriteProblem:
    """HubSpot's message lists the refused values as JSON (error-handling guide's 207 example)."""
    listed = [{"isValid": False, "message": p.message, "error": p.code, "name": p.name} for p in problems]
    details = [{"message": p.message, "code": p.code, "context": {"propertyName": [p.name]}} for p in problems]
    return WriteProblem("VALIDATION_ERROR", f"Property values were not valid: {json.dumps(listed)}", details)


def read_only_problems(portal: Portal, object_type: str, values: Mapping[str, Any]) -> list[PropertyProblem]:
    """HubSpot refuses a value for a calculated property (`modificationMetadata.readOnlyValue`) with READ_ONLY_VALUE;
    the whole input fails, like any invalid value (properties guide: read-only properties)."""
    read_only = [name for name in values if getattr(portal.catalog.get(object_type, name), "calculated", False)]
    return [
        PropertyProblem(name, "READ_ONLY_VALUE", f'"{name}" is a read only property; its value cannot be set.')
        for name in read_only
    ]


def date_problems(portal: Portal, object_type: str, given: Mapping[str, Any]) -> list[PropertyProblem]:
    """A `date` property holds a day: HubSpot refuses a moment that is not midnight UTC ("Date properties ... must be
    set to midnight UTC ... If you try to set a value that is not midnight UTC, you will receive an error",
    https://developers.hubspot.com/docs/api/faq). The message is the sandbox's own."""
    problems = []
    for name, raw in given.items():
        prop = portal.catalog.get(object_type, name)
        moment = parse_moment(str(raw)) if prop is not None and prop.type == "date" and raw not in (None, "") else None
        if moment is not None and moment.astimezone(UTC).time() != time(0):
            at = moment.astimezone(UTC).time().isoformat()
            message = f"{raw} is at {at} UTC, not midnight: a date property holds a day."
            problems.append(PropertyProblem(name, "INVALID_DATE", message))
    return problems


def plan_write(
    portal: Portal, object_type: str, item: Mapping[str, Any], *, creating: bool
) -> PlannedWrite | WriteProblem:
    properties = item.get("properties")
    if not isinstance(properties, Mapping):
        return WriteProblem("VALIDATION_ERROR", "Invalid input JSON: `properties` must be an object.")
    values, problems = portal.catalog.normalize(object_type, properties)
    problems += read_only_problems(portal, object_type, values)
    problems += date_problems(portal, object_type, properties)
    if problems:
        return property_problem(problems)
    if object_type == "contacts" and values.get("email"):
        existing = portal.objects.contact_by_email(values["email"])
        if existing is not None and (creating or str(existing.id) != str(item.get("id"))):
            return WriteProblem("CONFLICT", f"Contact already exists. Existing ID: {existing.id}", status=409)
    associations = plan_associations(portal, object_type, item.get("associations") or [])
    if isinstance(associations, WriteProblem):
        return associations
    return PlannedWrite(values, associations)


def plan_associations(
    portal: Portal, object_type: str, items: list[Any]
) -> list[tuple[str, int, list[int]]] | WriteProblem:
    """The `associations` of a create input; each type id must start at this object type and the target exist."""
    planned: list[tuple[str, int, list[int]]] = []
    for item in items:
        to_id = (item.get("to") or {}).get("id") if isinstance(item, Mapping) else None
        type_ids = type_ids_from_specs(item.get("types") or []) if isinstance(item, Mapping) else None
        if to_id is None or not type_ids:
            return WriteProblem("VALIDATION_ERROR", "Each association needs `to.id` and at least one type.")
        first = TYPES_BY_ID.get(type_ids[0])
        to_type = first.to_type if first else ""
        if first is None or unfit_type_ids(type_ids, object_type, to_type):
            return WriteProblem("VALIDATION_ERROR", f"Association types {type_ids} are not valid from {object_type}.")
        if portal.objects.get(to_type, to_id) is None:
            return WriteProblem("VALIDATION_ERROR", f"One or more associated {to_type} ({to_id}) do not exist.")
        planned.append((to_type, int(to_id), type_ids))
    return planned
