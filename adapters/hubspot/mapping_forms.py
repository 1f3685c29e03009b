"""The forms shared by the sections of ``mappings/hubspot.yaml`` (contacts, activities, accounts): a property with
its value map, and a property ScoreBridge writes with the HubSpot types able to hold each kind of value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.value_map import ValueMap
from connector.crm import TargetKind

T = TypeVar("T")


class Frozen(BaseModel):
    """A mapping section: unknown keys refused, immutable once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PropertyMap(ValueMap):
    """The long form of one mapped property: `{property: hs_analytics_source, values: {...}, default, ...}`."""

    property: str = Field(min_length=1)


def split_value_maps(raw: object, names: str, maps: str) -> object:
    """Turn long forms in `raw[names]` into the plain property name there and a ValueMap in `raw[maps]`."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get(names), Mapping):
        return raw
    plain, value_maps = {}, dict(raw.get(maps) or {})
    for name, item in raw[names].items():
        if isinstance(item, Mapping):
            long_form = _long_form(item, f"{names}.{name}")
            plain[name] = long_form.property
            value_maps[name] = ValueMap(**long_form.model_dump(exclude={"property"}))
        else:
            plain[name] = item
    return {**raw, names: plain, maps: value_maps}


def _long_form(item: Mapping[str, object], where: str) -> PropertyMap:
    """The long form, or a ValueError naming the key inside it (pydantic would name only the section)."""
    try:
        return PropertyMap.model_validate(item)
    except ValidationError as error:
        first = error.errors()[0]
        raise ValueError(f"{'.'.join([where, *map(str, first['loc'])])}: {first['msg']}") from None


class WriteProperty(Frozen):
    """A contact or company property ScoreBridge writes; `setup` creates it in the group when it is missing."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,99}$")
    label: str
    type: Literal["number", "string", "enumeration", "date", "datetime"] = "number"
    field_type: Literal["number", "text", "textarea", "select", "date"] = "number"
    description: str = ""
    #: For enumerations: the allowed values.
    options: tuple[str, ...] = ()


#: HubSpot property types able to receive each kind of write target. A date goes to a `date` property (HubSpot
#: stores a day as midnight UTC; a `datetime` would show a time nobody chose).
#: https://developers.hubspot.com/docs/faq/how-should-timestamps-be-formatted-for-hubspots-apis
HOLDS: Mapping[TargetKind, frozenset[str]] = {
    TargetKind.NUMBER: frozenset({"number", "string"}),
    TargetKind.TEXT: frozenset({"string", "enumeration"}),
    TargetKind.DATE: frozenset({"date"}),
}


def only_known(value: Mapping[str, T], known: Sequence[str], what: str) -> Mapping[str, T]:
    """`value` as it is when every key is one of `known`, else a ValueError listing the unknown and known ones."""
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; known: {', '.join(known)}")
    return value


def check_holds(target: str, prop: WriteProperty, kind: TargetKind) -> None:
    """A ValueError when the property's type cannot hold what the target writes."""
    if prop.type not in HOLDS[kind]:
        allowed = " or ".join(sorted(HOLDS[kind]))
        raise ValueError(f"{target} holds {kind.words}: its property's type must be {allowed}, not {prop.type}")
