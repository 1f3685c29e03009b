"""Field values as the sandbox stores them, and how JSON input becomes one.

Stored values are JSON-native so that records serialize as they are: datetimes are UTC strings in Salesforce's
output form ``2026-01-05T09:30:00.000+0000`` (fixed width, so they sort and compare as strings), dates
``YYYY-MM-DD``, numbers int or float.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

from adapters.sandbox.salesforce.api_errors import RecordError, ValueTypeError
from adapters.sandbox.salesforce.ids import is_well_formed, to_18
from adapters.sandbox.salesforce.schema import NUMBER_TYPES, STRING_TYPES, FieldSpec

DATETIME_INPUT = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE
)
DATE_INPUT = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER_STRING = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def format_datetime(moment: datetime) -> str:
    """Salesforce's REST output form of a dateTime, always in UTC with milliseconds."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime | None:
    """Parse the ISO 8601 forms Salesforce accepts for a dateTime; None if it is not one."""
    found = DATETIME_INPUT.fullmatch(text.strip())
    if not found:
        return None
    day, clock, fraction, zone = found.groups()
    zone = (zone or "Z").upper().replace("Z", "+00:00")
    if ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    clock = clock if clock.count(":") == 2 else clock + ":00"
    micros = (fraction or ".0")[1:7].ljust(6, "0")
    try:
        return datetime.fromisoformat(f"{day}T{clock}.{micros}{zone}")
    except ValueError:
        return None


def canonical_datetime(text: str) -> str | None:
    moment = parse_datetime(text)
    return format_datetime(moment) if moment else None


def canonical_date(text: str) -> str | None:
    if not DATE_INPUT.fullmatch(text.strip()):
        return None
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        return None


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, (int, float)):
        return "VALUE_NUMBER_INT" if isinstance(value, int) else "VALUE_NUMBER_FLOAT"
    if isinstance(value, str):
        return "VALUE_STRING"
    return "START_ARRAY" if isinstance(value, list) else "START_OBJECT"


def _type_error(spec: FieldSpec, value: Any, java_type: str) -> ValueTypeError:
    shown = value if isinstance(value, (str, int, float)) else ""
    return ValueTypeError(
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        f"{spec.label}: value not of required type: {shown}",
        [spec.name],
        parser_message=f"Cannot deserialize instance of {java_type} from {_json_kind(value)} value {shown} "
        "or request may be missing a required field",
    )


def coerce(spec: FieldSpec, value: Any) -> Any:
    """The stored form of a JSON value written to `spec`; raises RecordError (or ValueTypeError)."""
    if value is None:
        return None
    if spec.type in STRING_TYPES:
        return _coerce_text(spec, value)
    if spec.type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _type_error(spec, value, "boolean")
    if spec.type in NUMBER_TYPES:
        return _coerce_number(spec, value)
    if spec.type == "date":
        stored = canonical_date(value) if isinstance(value, str) else None
        if stored is None:
            raise _type_error(spec, value, "date")
        return stored
    if spec.type == "datetime":
        stored = canonical_datetime(value) if isinstance(value, str) else None
        if stored is None:
            raise _type_error(spec, value, "datetime")
        return stored
    raise _type_error(spec, value, spec.type)


def _coerce_text(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _type_error(spec, value, "string")
    text = str(value)
    if spec.type in ("id", "reference"):
        if not is_well_formed(text):
            raise RecordError("MALFORMED_ID", f"{spec.label}: id value of incorrect type: {text}", [spec.name])
        return to_18(text)
    if spec.length and len(text) > spec.length:
        raise RecordError(
            "STRING_TOO_LONG",
            f"{spec.label}: data value too large: {text[:40]} (max length={spec.length})",
            [spec.name],
        )
    return text


def _coerce_number(spec: FieldSpec, value: Any) -> int | float:
    if isinstance(value, bool):
        raise _type_error(spec, value, "int" if spec.type == "int" else "double")
    if isinstance(value, str) and NUMBER_STRING.fullmatch(value.strip()):
        value = float(value)
    if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        raise _type_error(spec, value, "int" if spec.type == "int" else "double")
    if spec.type == "int":
        if float(value) != int(value):
            raise _type_error(spec, value, "int")
        return int(value)
    if spec.precision and abs(value) >= 10 ** (spec.precision - spec.scale):
        raise RecordError("NUMBER_OUTSIDE_VALID_RANGE", f"{spec.label}: value outside of valid range", [spec.name])
    return round(float(value), spec.scale) if spec.scale else float(value)
