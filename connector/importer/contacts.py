"""Contact rows of an import file as `ContactRecord`s: typed fields, unusable values left empty and reported."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from connector.crm import CONTACT_FIELDS, ContactRecord
from connector.importer.files import REQUIRED_MISSING, ProblemLog, parse_time, text_of

REQUIRED_CONTACT_COLUMNS = ("crm_id",)
#: Columns with a meaning of their own; any other column goes to the contact's `extra` fields.
CONTACT_COLUMNS = ("object_type", "crm_id", *CONTACT_FIELDS, "created_at", "modified_at", "deleted", "merged_into")
DEFAULT_OBJECT_TYPE = "Lead"
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", ""})


def contact_record(line: int, row: dict[str, Any], log: ProblemLog, assume_utc: bool) -> ContactRecord | None:
    """The record a row stands for, or None (reported) when it has no CRM id."""
    crm_id = text_of(row.get("crm_id"))
    if crm_id is None:
        log.reject(line, "crm_id", row.get("crm_id"), REQUIRED_MISSING)
        return None
    values: dict[str, Any] = {"object_type": text_of(row.get("object_type")) or DEFAULT_OBJECT_TYPE, "crm_id": crm_id}
    warnings: dict[str, str] = {}
    for name, parse in CONTACT_PARSERS.items():
        raw = row.get(name)
        try:
            values[name] = parse(raw, assume_utc) if parse is time_or_none else parse(raw)
        except ValueError as error:
            log.warn(line, name, raw, str(error))
            warnings[name] = str(error)
    extra = {name: value for name, value in row.items() if name not in CONTACT_COLUMNS and value not in (None, "")}
    return ContactRecord(**values, extra=extra, warnings=warnings)


def whole_number(value: object) -> int | None:
    number = number_value(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


def number_value(value: object) -> float | None:
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int | float):
        return float(value)
    text = text_of(value)
    if text is None:
        return None
    try:
        return float(text.replace(",", ""))  # thousands separators: "1,200"
    except ValueError:
        raise ValueError("not a number") from None


def yes_no(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = (text_of(value) or "").lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("not a yes/no value (use true or false)")


def time_or_none(value: object, assume_utc: bool) -> datetime | None:
    text = text_of(value)
    return None if text is None else parse_time(text, assume_utc)


CONTACT_PARSERS: dict[str, Callable[..., Any]] = {
    **{name: text_of for name in CONTACT_FIELDS},
    "employees": whole_number,
    "annual_revenue": number_value,
    "is_customer": yes_no,
    "email_opt_out": yes_no,
    "deleted": yes_no,
    "created_at": time_or_none,
    "modified_at": time_or_none,
    "merged_into": text_of,
}
