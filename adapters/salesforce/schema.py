"""What the org says its objects look like (describe), and the checks of a mapping against it.

Every problem names the mapping file, the key in it, and the object's own field list, so an admin can fix a typo
without opening Setup.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from adapters.salesforce.account_mapping import AccountMapping
from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.mapping import OutcomeOptions, SalesforceMapping
from connector.crm import ACCOUNT_TARGETS, TargetKind, target_kind
from connector.errors import FatalCrmError

FieldInfo = Mapping[str, Any]

#: Salesforce field types (describe `type`) able to receive each kind of write target: a Date field takes the
#: day as YYYY-MM-DD, which a text field can show as well.
#: https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/field_types.htm
HOLDS: Mapping[TargetKind, frozenset[str]] = {
    TargetKind.NUMBER: frozenset({"double", "int", "percent", "currency", "string", "textarea"}),
    TargetKind.TEXT: frozenset({"string", "textarea", "picklist"}),
    TargetKind.DATE: frozenset({"date", "string", "textarea"}),
}
#: Salesforce keeps Task and Event custom fields on the shared Activity object.
ACTIVITY_OBJECTS = frozenset({"Task", "Event"})
FIELD_LIST_LIMIT = 40
#: What the outcomes stream reads beyond the mapping's own fields.
OUTCOME_OBJECTS = ("Opportunity", "OpportunityContactRole")
OPPORTUNITY_FIELDS = ("StageName", "IsClosed", "IsWon", "CloseDate")


class OrgSchema:
    """Describe results, fetched once per object per adapter life (one API call each)."""

    def __init__(self, client: SalesforceClient) -> None:
        self._client = client
        self._fields: dict[str, dict[str, FieldInfo] | None] = {}

    def fields(self, object_name: str) -> dict[str, FieldInfo] | None:
        """Fields by API name, or None when the org has no such object (or the user cannot see it)."""
        if object_name not in self._fields:
            try:
                described = self._client.describe(object_name)
            except FatalCrmError:
                self._fields[object_name] = None
            else:
                self._fields[object_name] = {field["name"]: field for field in described.get("fields", [])}
        return self._fields[object_name]

    def forget(self, object_name: str) -> None:
        self._fields.pop(object_name, None)

    def resolve(self, object_name: str, path: str) -> tuple[FieldInfo | None, str | None]:
        """The field a (possibly dotted) path reaches, or a problem saying where the path breaks."""
        *relations, name = path.split(".")
        current = object_name
        for relation in relations:
            fields = self.fields(current) or {}
            link = next((f for f in fields.values() if f.get("relationshipName") == relation), None)
            if link is None or not link.get("referenceTo"):
                names = sorted(f["relationshipName"] for f in fields.values() if f.get("relationshipName"))
                return None, f"{current} has no relationship {relation!r}; its relationships: {', '.join(names)}"
            current = link["referenceTo"][0]
        fields = self.fields(current)
        if fields is None:
            return None, f"the org has no object {current!r} visible to this user"
        if name not in fields:
            return None, f"{current} has no field {name!r}{_did_you_mean(name, fields)}; {field_list(current, fields)}"
        return fields[name], None


def field_list(object_name: str, fields: Mapping[str, Any]) -> str:
    names = sorted(fields)
    shown = ", ".join(names[:FIELD_LIST_LIMIT]) + (", ..." if len(names) > FIELD_LIST_LIMIT else "")
    return f"{object_name} fields: {shown}"


def _did_you_mean(name: str, fields: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(fields), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def mapping_problems(schema: OrgSchema, mapping: SalesforceMapping) -> list[str]:
    return [f"{mapping.source}: {key}: {problem}" for key, problem in _problems(schema, mapping)]


def _problems(schema: OrgSchema, mapping: SalesforceMapping) -> Iterator[tuple[str, str]]:
    for object_name, object_mapping in mapping.objects.items():
        if schema.fields(object_name) is None:
            yield f"objects.{object_name}", f"the org has no object {object_name!r} visible to this user"
            continue
        for name, spec in object_mapping.fields.items():
            yield from _missing(schema, object_name, spec.field, f"objects.{object_name}.fields.{name}")
        for target, field_name in object_mapping.write_back.items():
            kind = target_kind(target) or TargetKind.TEXT  # the mapping refused unknown targets when it was read
            yield from _unwritable(schema, object_name, f"objects.{object_name}.write_back.{target}", kind, field_name)
    for index, rule in enumerate(mapping.activities):
        key = f"activities[{index}]"
        if schema.fields(rule.object) is None:
            yield f"{key}.object", f"the org has no object {rule.object!r} visible to this user"
            continue
        paths = {"timestamp": rule.timestamp} | {f"who.{w}": w for w in rule.who_fields}
        paths |= {f"equals.{f}": f for f in rule.equals} | {f"starts_with.{f}": f for f in rule.starts_with}
        paths |= {f"contains.{f}": f for f in rule.contains}
        paths |= {f"attributes.{a}": f for a, f in rule.attributes.items()}
        for subkey, path in paths.items():
            yield from _missing(schema, rule.object, path, f"{key}.{subkey}")
    task_fields = schema.fields("Task") or {}
    if mapping.tasks.key_field not in task_fields:
        yield "tasks.key_field", f"Task has no field {mapping.tasks.key_field!r}; run `scorebridge setup` to create it"
    if mapping.outcomes is not None:
        yield from _outcome_problems(schema, mapping.outcomes)
    if mapping.accounts is not None:
        yield from _account_problems(schema, mapping.accounts)


def _account_problems(schema: OrgSchema, accounts: AccountMapping) -> Iterator[tuple[str, str]]:
    name = accounts.object
    if schema.fields(name) is None:
        yield "accounts.object", f"the org has no object {name!r} visible to this user"
        return
    for field, spec in accounts.fields.items():
        yield from _missing(schema, name, spec.field, f"accounts.fields.{field}")
    for target, field_name in accounts.write_back.items():
        yield from _unwritable(schema, name, f"accounts.write_back.{target}", ACCOUNT_TARGETS[target], field_name)


def _outcome_problems(schema: OrgSchema, options: OutcomeOptions) -> Iterator[tuple[str, str]]:
    missing = [name for name in OUTCOME_OBJECTS if schema.fields(name) is None]
    if missing:
        yield "outcomes", f"the org has no object {missing[0]!r} visible to this user"
        return
    paths = [("outcomes", name) for name in OPPORTUNITY_FIELDS] + [("outcomes.amount", options.amount)]
    paths += [("outcomes.lead_source.field", options.lead_source.field if options.lead_source else None)]
    paths += [("outcomes.pipeline", options.pipeline), ("outcomes.currency", options.currency)]
    for key, path in paths:
        if path:
            yield from _missing(schema, "Opportunity", path, key)
    stages = [entry["value"] for entry in _picklist(schema, "Opportunity", "StageName") if entry.get("active", True)]
    for key, listed in (("won_stages", options.won_stages), ("lost_stages", options.lost_stages)):
        unknown = [stage for stage in listed if stage not in stages]
        if unknown and stages:
            names = " and ".join(repr(stage) for stage in unknown)
            hint = _did_you_mean(unknown[0], dict.fromkeys(stages))
            yield f"outcomes.{key}", f"StageName has no value {names}{hint}; the org's stages: {', '.join(stages)}"


def _picklist(schema: OrgSchema, object_name: str, field_name: str) -> list[Mapping[str, Any]]:
    info = (schema.fields(object_name) or {}).get(field_name) or {}
    return list(info.get("picklistValues") or [])


def _missing(schema: OrgSchema, object_name: str, path: str, key: str) -> Iterator[tuple[str, str]]:
    _, problem = schema.resolve(object_name, path)
    if problem:
        yield key, problem


def _unwritable(
    schema: OrgSchema, object_name: str, key: str, kind: TargetKind, field_name: str
) -> Iterator[tuple[str, str]]:
    fields = schema.fields(object_name) or {}
    info = fields.get(field_name)
    if info is None:
        hint = "; run `scorebridge setup` to create it" if field_name.endswith("__c") else ""
        yield key, f"{object_name} has no field {field_name!r}{hint}; {field_list(object_name, fields)}"
        return
    if info.get("type") not in HOLDS[kind]:
        yield key, f"{object_name}.{field_name} is of type {info.get('type')}, which cannot hold {kind.words}"
    elif not info.get("updateable", False):
        yield key, f"{object_name}.{field_name} is not updateable by the integration user (field-level security?)"
