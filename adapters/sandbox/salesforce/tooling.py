"""Tooling API ``CustomField`` creation, as `scorebridge setup` uses to add its score fields.

The body is ``{"FullName": "Lead.ScoreBridge_Fit__c", "Metadata": {"type": "Number", "label": ..., "precision": 5,
"scale": 2}}``; the field is usable at once (in a real org the integration user may also need field-level security).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.sandbox.salesforce.api_errors import ApiError, RecordError
from adapters.sandbox.salesforce.records import RecordStore
from adapters.sandbox.salesforce.schema import FieldSpec

#: Metadata API field types -> the describe type they produce.
METADATA_TYPES = {
    "Number": "double",
    "Currency": "currency",
    "Percent": "percent",
    "Text": "string",
    "TextArea": "textarea",
    "LongTextArea": "textarea",
    "Checkbox": "boolean",
    "Date": "date",
    "DateTime": "datetime",
    "Email": "email",
    "Phone": "phone",
    "Url": "url",
    "Picklist": "picklist",
}
ACTIVITY_OBJECTS = ("Task", "Event")
FULL_NAME = re.compile(r"(?P<object>[A-Za-z][A-Za-z0-9_]*)\.(?P<field>[A-Za-z][A-Za-z0-9_]*__c)")


def _integrity(message: str) -> ApiError:
    return ApiError(400, "FIELD_INTEGRITY_EXCEPTION", message)


def custom_field_spec(body: Any) -> tuple[str, FieldSpec]:
    """The object name and the field a CustomField create request describes; 400 for a malformed request."""
    if not isinstance(body, Mapping) or not isinstance(body.get("Metadata"), Mapping):
        raise ApiError(400, "JSON_PARSER_ERROR", "CustomField requires FullName and Metadata")
    found = FULL_NAME.fullmatch(str(body.get("FullName", "")))
    if not found:
        raise _integrity("FullName must look like Object.Field__c")
    metadata = body["Metadata"]
    kind = METADATA_TYPES.get(metadata.get("type", ""))
    if kind is None:
        raise _integrity(f"Invalid or missing field type: {metadata.get('type')}")
    if not metadata.get("label"):
        raise _integrity("Required field is missing: label")
    precision, scale = int(metadata.get("precision") or 0), int(metadata.get("scale") or 0)
    if kind in ("double", "currency", "percent") and not (0 < precision <= 18 and 0 <= scale <= precision):
        raise _integrity("Precision must be between 1 and 18 and scale between 0 and precision")
    length = int(metadata.get("length") or (32768 if kind == "textarea" else 255 if kind != "boolean" else 0))
    spec = FieldSpec(
        found["field"],
        kind,
        label=metadata["label"],
        length=length,
        precision=precision,
        scale=scale,
        custom=True,
        nillable=kind != "boolean",
        default=(str(metadata.get("defaultValue", "false")).lower() == "true") if kind == "boolean" else None,
        picklist=_picklist_values(metadata),
    )
    return found["object"], spec


def _picklist_values(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    values = metadata.get("valueSet", {}).get("valueSetDefinition", {}).get("value", [])
    return tuple(str(value.get("fullName") or value.get("label")) for value in values if isinstance(value, Mapping))


def create_custom_field(store: RecordStore, body: Any) -> dict[str, Any]:
    object_name, spec = custom_field_spec(body)
    # Task and Event share their custom fields: they are defined once, on Activity.
    targets = ACTIVITY_OBJECTS if object_name.lower() == "activity" else (object_name,)
    if any(store.object_schema(name) is None for name in targets):
        raise _integrity(f"Invalid object: {object_name}")
    if any(store.object_schema(name).field(spec.name) is not None for name in targets):
        raise ApiError(400, "DUPLICATE_DEVELOPER_NAME", f"Duplicate field name: {spec.name} on {object_name}")
    try:
        for name in targets:
            store.add_custom_field(name, spec)
    except RecordError as error:
        raise ApiError(400, "DUPLICATE_DEVELOPER_NAME", error.message) from error
    return {"id": store.ids.new_id("00N"), "success": True, "errors": [], "warnings": [], "infos": []}
