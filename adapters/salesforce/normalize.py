"""Turning Salesforce rows (REST JSON or Bulk CSV) into normalized contact, activity and outcome records.

A value we cannot read (an unparsable number, a picklist value the mapping does not know) leaves its field empty
and adds a warning to the record; one bad field never drops the record or stops the pull.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from adapters.salesforce.mapping import ActivityRule, FieldMap, ObjectMapping, OutcomeOptions
from adapters.value_map import UnlistedValue, apply_case
from connector.crm import (
    CONTACT_FIELDS,
    AccountLink,
    ActivityRecord,
    ContactRecord,
    OutcomeContact,
    OutcomeRecord,
)

#: Salesforce ids start with a key prefix naming their object
#: (https://help.salesforce.com/s/articleView?id=000385203): the two a contact can be.
ID_PREFIXES: Mapping[str, str] = {"00Q": "Lead", "003": "Contact"}


_CONTACT_TYPES = {name: kind for name, kind in typing.get_type_hints(ContactRecord).items() if name in CONTACT_FIELDS}
_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n", ""})


class Unreadable(ValueError):
    """A value that does not fit its field; the message is the warning shown to the admin."""


def field_value(row: Mapping[str, Any], path: str) -> Any:
    """A field by API name; parent fields come nested in REST JSON and flat (`Account.Industry`) in Bulk CSV."""
    if path in row:
        return _empty_to_none(row[path])
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return _empty_to_none(value)


def _empty_to_none(value: Any) -> Any:
    return None if value == "" else value


def parse_timestamp(value: Any) -> datetime | None:
    """Salesforce dateTimes (`2026-11-01T12:00:00.000+0000`) and dates (taken as midnight UTC)."""
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_number(value: Any, kind: type) -> int | float:
    if isinstance(value, bool):
        raise Unreadable(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return kind(value)
    cleaned = str(value).strip().replace(",", "").replace(" ", "").lstrip("$€£")
    try:
        number = float(cleaned)
    except ValueError:
        raise Unreadable(f"{value!r} is not a number") from None
    return kind(number)


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Unreadable(f"{value!r} is not true or false")


def to_text(value: Any, case: str | None) -> str:
    return apply_case(str(value), case)


def _mapped(value: Any, spec: FieldMap) -> Any:
    try:
        return spec.translate(value)
    except UnlistedValue as problem:
        raise Unreadable(str(problem)) from None


def convert(value: Any, spec: FieldMap, target: Any) -> Any:
    """One source value through the mapping's picklist map and case, then into the target's type."""
    if value is None:
        return None
    value = _mapped(value, spec)
    if target in (int | None, int):
        return to_number(value, int)
    if target in (float | None, float):
        return to_number(value, float)
    if target is bool:
        return to_bool(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if target in (str | None, str):
        return to_text(value, spec.case)
    return value if isinstance(value, bool | int | float) else to_text(value, spec.case)


@dataclass(frozen=True)
class MappedValues:
    """A row's mapped fields: the record's own (`known`, empty ones left out), the rest (`extra`), and what could
    not be read (`warnings`, field name -> problem)."""

    known: dict[str, Any]
    extra: dict[str, Any]
    warnings: dict[str, str]


def mapped_values(row: Mapping[str, Any], fields: Mapping[str, FieldMap], types: Mapping[str, Any]) -> MappedValues:
    """Each mapped field of a row converted to its type in `types` (a record's type hints); names `types` does
    not know land in `extra`, as they are."""
    mapped = MappedValues({}, {}, {})
    for name, spec in fields.items():
        try:
            converted = convert(field_value(row, spec.field), spec, types.get(name, object))
        except Unreadable as problem:
            mapped.warnings[name] = f"{spec.field}: {problem}"
            converted = None
        if name not in types:
            mapped.extra[name] = converted
        elif converted is not None:
            mapped.known[name] = converted
    return mapped


def contact_record(
    object_type: str, row: Mapping[str, Any], mapping: ObjectMapping, *, accounts: Sequence[AccountLink] = ()
) -> ContactRecord:
    """A Lead or Contact row as a contact, linked to `accounts` (adapters/salesforce/accounts.py reads them)."""
    mapped = mapped_values(row, mapping.fields, _CONTACT_TYPES)
    return ContactRecord(
        object_type=object_type,
        crm_id=str(row["Id"]),
        created_at=parse_timestamp(field_value(row, "CreatedDate")),
        modified_at=parse_timestamp(field_value(row, "SystemModstamp")),
        extra=mapped.extra,
        deleted=is_deleted(row),
        merged_into=_converted_to(object_type, row),
        warnings=mapped.warnings,
        accounts=tuple(accounts),
        **mapped.known,
    )


def _converted_to(object_type: str, row: Mapping[str, Any]) -> str | None:
    """A converted lead's history belongs to the contact it became."""
    if object_type != "Lead" or not to_bool(field_value(row, "IsConverted") or False):
        return None
    contact_id = field_value(row, "ConvertedContactId")
    return f"Contact:{contact_id}" if contact_id else None


def is_deleted(row: Mapping[str, Any]) -> bool:
    return to_bool(field_value(row, "IsDeleted") or False)


def matches(rule: ActivityRule, row: Mapping[str, Any]) -> bool:
    for name, expected in rule.equals.items():
        actual = field_value(row, name)
        if isinstance(expected, bool):
            try:
                if actual is None or to_bool(actual) != expected:
                    return False
            except Unreadable:
                return False
        elif actual is None or str(actual) != str(expected):
            return False
    if not all(str(field_value(row, name) or "").startswith(prefix) for name, prefix in rule.starts_with.items()):
        return False
    # SOQL's LIKE ignores case, so the row test does too.
    return all(text.lower() in str(field_value(row, name) or "").lower() for name, text in rule.contains.items())


def activity_record(row: Mapping[str, Any], rules: Sequence[ActivityRule]) -> ActivityRecord | None:
    """The activity a row stands for under the first rule it matches; None when it names no lead or contact."""
    rule = next((rule for rule in rules if matches(rule, row)), None)
    if rule is None:
        return None
    who = next((str(value) for name in rule.who_fields if (value := field_value(row, name))), None)
    occurred_at = parse_timestamp(field_value(row, rule.timestamp) or field_value(row, "CreatedDate"))
    if who is None or who[:3] not in ID_PREFIXES or occurred_at is None:
        return None
    attributes = {
        name: str(value) for name, source in rule.attributes.items() if (value := field_value(row, source)) is not None
    }
    return ActivityRecord(
        source_id=str(row["Id"]),
        contact_object_type=ID_PREFIXES[who[:3]],
        contact_crm_id=who,
        type=rule.type,
        occurred_at=occurred_at,
        attributes=attributes,
        deleted=is_deleted(row),
    )


def outcome_record(
    row: Mapping[str, Any], contacts: Sequence[OutcomeContact], options: OutcomeOptions
) -> OutcomeRecord:
    """An Opportunity row as an outcome; a value it cannot read is left empty with a warning."""
    warnings: dict[str, str] = {}

    def read(name: str, path: str, parse: Any) -> Any:
        try:
            return parse(field_value(row, path))
        except (Unreadable, ValueError) as problem:
            warnings[name] = f"{path}: {problem}"
            return None

    stage = field_value(row, "StageName")
    won, lost = won_or_lost(stage, read("won", "IsWon", _flag), read("closed", "IsClosed", _flag), options)
    spec = options.lead_source
    return OutcomeRecord(
        object_type="Opportunity",
        crm_id=str(row["Id"]),
        contacts=tuple(contacts),
        stage=None if stage is None else str(stage),
        pipeline=_text_or_none(field_value(row, options.pipeline)) if options.pipeline else None,
        closed=bool(won or lost),
        won=bool(won),
        amount=read("amount", options.amount, lambda value: None if value is None else to_number(value, float)),
        currency=_text_or_none(field_value(row, options.currency)) if options.currency else None,
        created_at=parse_timestamp(field_value(row, "CreatedDate")),
        closed_at=read("closed_at", "CloseDate", parse_timestamp) if won or lost else None,
        lead_source=read("lead_source", spec.field, lambda value: convert(value, spec, str | None)) if spec else None,
        modified_at=parse_timestamp(field_value(row, "SystemModstamp")),
        deleted=is_deleted(row),
        warnings=warnings,
    )


def won_or_lost(stage: Any, is_won: bool | None, is_closed: bool | None, options: OutcomeOptions) -> tuple[bool, bool]:
    """Won: a stage `won_stages` lists, else Salesforce's IsWon. Lost: a stage `lost_stages` lists, else a closed
    stage (IsClosed) that is not won."""
    won = stage in options.won_stages if options.won_stages else bool(is_won)
    lost = stage in options.lost_stages if options.lost_stages else bool(is_closed) and not won
    return won, lost


def outcome_contacts(
    roles: Sequence[Mapping[str, Any]], leads: Sequence[Mapping[str, Any]], *, with_leads: bool = True
) -> list[OutcomeContact]:
    """An opportunity's contacts: one per contact role (the primary one wins when a contact has several), then the
    contact each lead converted into it became, and (`with_leads`: when leads are read but contacts are not) the
    lead itself with its contact's role, so the lead's history before conversion counts too; primary first."""
    people: dict[tuple[str, str], OutcomeContact] = {}
    for role in roles:
        contact_id = field_value(role, "ContactId")
        if contact_id is None or is_deleted(role):
            continue
        primary = _flag(field_value(role, "IsPrimary"))
        found = OutcomeContact("Contact", str(contact_id), field_value(role, "Role"), primary)
        known = people.get(("Contact", found.crm_id))
        if known is None or (found.primary and not known.primary):
            people[("Contact", found.crm_id)] = found
    for lead in leads:
        contact_id = field_value(lead, "ConvertedContactId")
        contact = people.get(("Contact", str(contact_id))) if contact_id else None
        if contact is None and contact_id:
            contact = people[("Contact", str(contact_id))] = OutcomeContact("Contact", str(contact_id))
        role, primary = (contact.role, contact.primary) if contact else (None, False)
        if with_leads:
            people[("Lead", str(lead["Id"]))] = OutcomeContact("Lead", str(lead["Id"]), role, primary)
    return sorted(people.values(), key=lambda person: (not person.primary, person.object_type, person.crm_id))


def _flag(value: Any) -> bool:
    return to_bool(value if value is not None else False)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
