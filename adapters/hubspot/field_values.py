"""HubSpot property values (always strings) as ScoreBridge field values, shared by contacts and companies.

A value the mapping's value map does not allow, or one that does not parse, leaves its field empty and is named
in the record's warnings, so one odd value never stops a sync.
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters.value_map import UnlistedValue, ValueMap

INTEGER_FIELDS = frozenset({"employees"})
NUMBER_FIELDS = frozenset({"annual_revenue"})
BOOLEAN_FIELDS = frozenset({"is_customer", "email_opt_out"})


def read_fields(
    fields: Mapping[str, str], value_maps: Mapping[str, ValueMap], source: Mapping[str, str | None]
) -> tuple[dict[str, object], dict[str, str]]:
    """(field -> parsed value, field -> problem) for each mapped field whose property holds a value."""
    values: dict[str, object] = {}
    warnings: dict[str, str] = {}
    for field_name, property_name in fields.items():
        raw = source.get(property_name)
        if raw is None or raw == "":
            continue
        try:
            raw = _translated(value_maps.get(field_name), raw)
        except UnlistedValue as unlisted:
            warnings[field_name] = f"{property_name}: {unlisted}"
            continue
        parsed, problem = parse_value(field_name, raw)
        if problem:
            warnings[field_name] = f"{property_name}={raw!r}: {problem}"
        elif parsed is not None:
            values[field_name] = parsed
    return values, warnings


def _translated(value_map: ValueMap | None, raw: str) -> str:
    """A property value through the field's value map (the mapping's long form), if it has one."""
    return raw if value_map is None else value_map.text(raw)


def parse_value(field_name: str, raw: str) -> tuple[object, str | None]:
    try:
        if field_name in INTEGER_FIELDS:
            return _count(raw), None
        if field_name in NUMBER_FIELDS:
            return float(raw), None
    except ValueError:
        return None, "not a number"
    if field_name in BOOLEAN_FIELDS:
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            return None, "not true/false"
        return lowered == "true", None
    return raw, None


def _count(raw: str) -> int:
    """A count, or the lower bound of HubSpot's range options for contacts' numemployees ("25-50", "1000+")."""
    text = raw.strip().rstrip("+")
    low, _, _ = text.partition("-") if "-" in text[1:] else (text, "", "")
    return int(float(low))
