"""Checking a mapping against a portal's own schema, and creating the properties ScoreBridge writes.

HubSpot lifecycle stages are customizable per portal since 2022, so their internal values are read from the
properties API, never assumed. `ensure_schema` is idempotent: it creates only what is missing and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from adapters.hubspot.account_mapping import AccountMapping
from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.errors import HubSpotApiError
from adapters.hubspot.mapping import HubSpotMapping, WriteProperty
from adapters.hubspot.pipelines import DealPipelines

ALREADY_EXISTS = "OBJECT_ALREADY_EXISTS"
TASK_KEY_LABEL = "ScoreBridge task key"


class PortalSchema:
    """Property definitions of the object types a mapping touches, read once (one call per object type)."""

    def __init__(self, client: HubSpotClient) -> None:
        self.client = client
        self._properties: dict[str, dict[str, Any]] = {}

    def properties(self, object_type: str) -> dict[str, Any]:
        if object_type not in self._properties:
            api = self.client.sdk.crm.properties.core_api
            answer = self.client.call(f"read {object_type} properties", api.get_all, object_type)
            self._properties[object_type] = {prop.name: prop for prop in answer.results or []}
        return self._properties[object_type]

    def options(self, object_type: str, name: str) -> list[str]:
        prop = self.properties(object_type).get(name)
        return [option.value for option in (getattr(prop, "options", None) or [])]


def check_mapping(
    client: HubSpotClient, mapping: HubSpotMapping, pipelines: Callable[[], DealPipelines] | None = None
) -> list[str]:
    """Problems with the mapping against this portal; empty when everything it names exists."""
    schema = PortalSchema(client)
    contact = mapping.contact
    problems = _missing(schema, "contacts", [*contact.properties.values(), *contact.extra], "mapping contact")
    if contact.company_properties:
        problems += _missing(schema, "companies", contact.company_properties.values(), "mapping company")
    for object_type, source in mapping.activities.engagements.items():
        problems += _missing(schema, object_type, source.properties(), f"mapping activities.engagements.{object_type}")
    problems += _missing(
        schema, "contacts", [p.name for p in mapping.write_back.properties.values()], "write-back", advice="run setup"
    )
    problems += _missing(schema, "tasks", [mapping.tasks.key_property], "tasks.key_property", advice="run setup")
    problems += _lifecycle_problems(schema, mapping)
    if mapping.accounts is not None:
        problems += _account_problems(schema, mapping.accounts)
    if mapping.outcomes is not None:
        source, _ = mapping.lead_source_map()
        problems += _missing(schema, "deals", [source] if source else [], "mapping outcomes.lead_source")
        problems += (pipelines or (lambda: DealPipelines.read(client)))().problems(mapping.outcomes)
    return problems


def _missing(
    schema: PortalSchema, object_type: str, names: Iterable[str], where: str, advice: str = "fix the mapping"
) -> list[str]:
    known = schema.properties(object_type)
    return [
        f"{where}: {object_type} property {name!r} does not exist in this portal ({advice})"
        for name in sorted(set(names))
        if name not in known
    ]


def _lifecycle_problems(schema: PortalSchema, mapping: HubSpotMapping) -> list[str]:
    name = mapping.contact.properties.get("lifecycle")
    if not name or not mapping.contact.lifecycle_stages:
        return []
    options = set(schema.options("contacts", name))
    return [
        f"mapping contact.lifecycle_stages: {stage!r} is not a {name} option in this portal "
        f"(its options are {', '.join(sorted(options))})"
        for stage in sorted(set(mapping.contact.lifecycle_stages) - options)
    ]


def _account_problems(schema: PortalSchema, accounts: AccountMapping) -> list[str]:
    """Company properties the accounts section names that the portal lacks, and mapped values (say lifecycle
    stages) that are no option of their enumeration property in this portal."""
    where = "mapping accounts.fields"
    problems = _missing(schema, "companies", [*accounts.fields.values(), *accounts.extra], where)
    names = [prop.name for prop in accounts.write_back.values()]
    problems += _missing(schema, "companies", names, "accounts.write_back", advice="run setup")
    for field_name, value_map in accounts.values.items():
        name = accounts.fields[field_name]
        options = set(schema.options("companies", name))
        unknown = sorted(set(value_map.values or {}) - options) if options else []
        problems += [
            f"{where}.{field_name}: {value!r} is not a companies {name} option in this portal "
            f"(its options are {', '.join(sorted(options))})"
            for value in unknown
        ]
    return problems


def ensure_schema(client: HubSpotClient, mapping: HubSpotMapping) -> list[str]:
    """Create the property group and the missing write-back and task-key properties (on contacts, tasks and, with
    an `accounts` section, companies); a line per action."""
    schema = PortalSchema(client)
    group = mapping.write_back.group_name
    actions: list[str] = []
    wanted = {"contacts": list(mapping.write_back.properties.values()), "tasks": [_task_key(mapping)]}
    if mapping.accounts is not None and mapping.accounts.write_back:
        wanted["companies"] = list(mapping.accounts.write_back.values())
    for object_type, properties in wanted.items():
        missing = [prop for prop in properties if prop.name not in schema.properties(object_type)]
        if not missing:
            continue
        actions += _ensure_group(client, object_type, group, mapping.write_back.group_label)
        actions += [line for prop in missing for line in _create_property(client, object_type, group, prop)]
    for object_type, properties in wanted.items():
        actions += _type_mismatches(schema, object_type, properties)
    return actions


def _task_key(mapping: HubSpotMapping) -> WriteProperty:
    return WriteProperty(
        name=mapping.tasks.key_property,
        label=TASK_KEY_LABEL,
        type="string",
        field_type="text",
        description="Set by ScoreBridge so that a task is never created twice.",
    )


def _ensure_group(client: HubSpotClient, object_type: str, name: str, label: str) -> list[str]:
    api = client.sdk.crm.properties.groups_api
    groups = client.call(f"read {object_type} property groups", api.get_all, object_type)
    if any(group.name == name for group in groups.results or []):
        return []
    body = {"name": name, "label": label, "displayOrder": -1}
    if not _created(lambda: client.call(f"create {object_type} property group", api.create, object_type, body)):
        return []
    return [f"created {object_type} property group {name!r}"]


def _create_property(client: HubSpotClient, object_type: str, group: str, prop: WriteProperty) -> list[str]:
    api = client.sdk.crm.properties.core_api
    body: dict[str, Any] = {
        "name": prop.name,
        "label": prop.label,
        "type": prop.type,
        "fieldType": prop.field_type,
        "groupName": group,
        "description": prop.description,
    }
    if prop.options:
        body["options"] = [{"label": v, "value": v, "displayOrder": i} for i, v in enumerate(prop.options)]
    if not _created(lambda: client.call(f"create {object_type} property", api.create, object_type, body)):
        return []
    return [f"created {object_type} property {prop.name!r} ({prop.type}) in group {group!r}"]


def _created(create: Any) -> bool:
    """False when someone else created it between our read and our create (409 OBJECT_ALREADY_EXISTS)."""
    try:
        create()
    except HubSpotApiError as error:
        if error.status == 409 or error.category == ALREADY_EXISTS:
            return False
        raise
    return True


def _type_mismatches(schema: PortalSchema, object_type: str, properties: list[WriteProperty]) -> list[str]:
    known = schema.properties(object_type)
    return [
        f"warning: {object_type} property {prop.name!r} exists as {known[prop.name].type}, "
        f"the mapping expects {prop.type}; values may be refused"
        for prop in properties
        if prop.name in known and getattr(known[prop.name], "type", prop.type) != prop.type
    ]
