"""Creating the custom fields ScoreBridge writes to, through the Tooling API; running it twice changes nothing.

https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm
A field created this way is visible to no profile until field-level security grants it (see docs/salesforce.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.mapping import SalesforceMapping
from adapters.salesforce.schema import ACTIVITY_OBJECTS, OrgSchema
from connector.crm import ACCOUNT_TARGETS, TargetKind, target_kind
from connector.errors import FatalCrmError

#: The shape of each kind of field we create (Tooling API `Metadata`); text lengths by the target's last word,
#: so `groups.analytics.stage` is as long as `stage`.
FIELD_SHAPES: Mapping[TargetKind, Mapping[str, Any]] = {
    TargetKind.NUMBER: {"type": "Number", "precision": 8, "scale": 2},
    TargetKind.TEXT: {"type": "Text", "length": 255},
    TargetKind.DATE: {"type": "Date"},
}
TEXT_LENGTHS: Mapping[str, int] = {"stage": 40, "grade": 10, "reasons": 255}
#: Counts, which a Number field holds with no decimal places.
WHOLE_NUMBERS = frozenset({"engaged_contacts"})
#: The outbox keys are up to 120 characters (connector/store/tables.py TaskOutbox.idempotency_key).
KEY_FIELD: Mapping[str, Any] = {"type": "Text", "length": 128}
#: Another process (or an earlier, interrupted setup) created the field between our describe and our create.
ALREADY_EXISTS = "DUPLICATE_DEVELOPER_NAME"


def field_metadata(target: str, field_name: str, kind: TargetKind | None = None) -> dict[str, Any]:
    """The Tooling API metadata of the field receiving `target`; `kind` defaults to the contact target's."""
    kind = kind or target_kind(target) or TargetKind.TEXT  # the mapping refused unknown targets when it was read
    shape = dict(FIELD_SHAPES[kind])
    if kind is TargetKind.TEXT:
        shape["length"] = TEXT_LENGTHS.get(target.rpartition(".")[2], shape["length"])
    elif target in WHOLE_NUMBERS:
        shape["scale"] = 0
    label = field_name.removesuffix("__c").replace("_", " ")
    return {**shape, "label": label, "description": f"ScoreBridge {target} value; written by ScoreBridge."}


def wanted_fields(mapping: SalesforceMapping) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(object, field, metadata) for every write-back target (contacts' and accounts') and the task key field."""
    for object_name, object_mapping in mapping.objects.items():
        for target, field_name in object_mapping.write_back.items():
            yield object_name, field_name, field_metadata(target, field_name)
    if mapping.accounts is not None:
        for target, field_name in mapping.accounts.write_back.items():
            kind = ACCOUNT_TARGETS[target]
            yield mapping.accounts.object, field_name, field_metadata(target, field_name, kind)
    key_field = mapping.tasks.key_field
    label = key_field.removesuffix("__c").replace("_", " ")
    yield "Task", key_field, {**KEY_FIELD, "label": label, "description": "ScoreBridge idempotency key."}


def create_missing_fields(client: SalesforceClient, schema: OrgSchema, mapping: SalesforceMapping) -> list[str]:
    actions = []
    for object_name, field_name, metadata in wanted_fields(mapping):
        existing = schema.fields(object_name)
        if existing is None:
            actions.append(f"skipped {object_name}.{field_name}: the org has no object {object_name!r}")
        elif field_name in existing:
            actions.append(f"{object_name}.{field_name} already exists")
        elif not field_name.endswith("__c"):
            actions.append(f"skipped {object_name}.{field_name}: only custom fields (ending in __c) can be created")
        else:
            actions.append(_create(client, object_name, field_name, metadata))
            schema.forget(object_name)
    return actions


def _create(client: SalesforceClient, object_name: str, field_name: str, metadata: dict[str, Any]) -> str:
    owner = "Activity" if object_name in ACTIVITY_OBJECTS else object_name
    body = {"FullName": f"{owner}.{field_name}", "Metadata": metadata}
    try:
        client.call(
            f"creation of field {owner}.{field_name}",
            lambda sf: sf.toolingexecute("sobjects/CustomField/", method="POST", data=body),
        )
    except FatalCrmError as error:
        if ALREADY_EXISTS in str(error):
            return f"{object_name}.{field_name} already exists"
        raise
    kind = metadata["type"] + (f"({metadata['length']})" if "length" in metadata else "")
    return f"created {owner}.{field_name} ({kind})"
