"""Save rules of the Salesforce stand-in that Salesforce applies on top of field types: converted leads are
read-only and cannot be referenced by new records, an activity's WhoId names a lead or contact only, and audit
stamps hold whole seconds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.sandbox.salesforce.api_errors import RecordError
from adapters.sandbox.salesforce.schema import ObjectSchema

Record = dict[str, Any]
#: The audit dateTimes Salesforce stamps to the whole second.
AUDIT_DATETIMES = ("CreatedDate", "LastModifiedDate", "SystemModstamp")


def refuse_converted_lead(obj: ObjectSchema, record: Record) -> None:
    """A converted lead is read-only through the API: Salesforce answers CANNOT_UPDATE_CONVERTED_LEAD for that
    record, alone or in a collection (the write must go to the Contact it became)."""
    if obj.name == "Lead" and record.get("IsConverted"):
        raise RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])


def whole_second_stamps(record: Record) -> Record:
    """Salesforce's audit fields hold whole seconds (`.000`): a fixture or import that brings milliseconds is cut to
    the second, as the platform stores them; equal stamps are then as common as in a real org."""
    for name in AUDIT_DATETIMES:
        value = record.get(name)
        if isinstance(value, str) and len(value) == len("2026-01-05T09:30:00.000+0000") and value[19:23] != ".000":
            record[name] = value[:19] + ".000" + value[23:]
    return record


def refuse_converted_references(
    obj: ObjectSchema, values: Record, peek: Callable[[str], Record | None], object_of: Callable[[str], str | None]
) -> None:
    """A new activity or campaign member cannot point at a converted lead ("cannot reference converted lead"):
    the person is the Contact now. Fixtures (trusted inserts) may, as history from before the conversion."""
    for name, value in values.items():
        spec = obj.fields[name]
        if spec.type == "reference" and "Lead" in spec.reference_to and value is not None:
            target = peek(value)
            if target is not None and object_of(value) == "Lead" and target.get("IsConverted"):
                raise RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [spec.name])


#: An activity's "Name" (WhoId) is a Lead or a Contact; anything else (an Account belongs in WhatId, "Related To")
#: is refused with the field's label: FIELD_INTEGRITY_EXCEPTION "Name ID: id value of incorrect type: 001..."
#: (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm).
WHO_FIELD = "WhoId"
WHO_OBJECTS = frozenset({"Lead", "Contact"})


def refuse_wrong_who(obj: ObjectSchema, values: Record, object_of: Callable[[str], str | None]) -> None:
    who = values.get(WHO_FIELD) if WHO_FIELD in obj.fields else None
    if who is not None and object_of(who) is not None and object_of(who) not in WHO_OBJECTS:
        raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"Name ID: id value of incorrect type: {who}", [WHO_FIELD])
