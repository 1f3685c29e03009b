"""The property catalog of a portal: definitions per object type, groups, and validation of written values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from adapters.sandbox.hubspot.property_defs import Option, PropertyDef, PropertyGroup, default_catalog, default_groups
from adapters.sandbox.hubspot.wire import iso, parse_moment


@dataclass(frozen=True)
class PropertyProblem:
    """Why one property value of one input was refused, in HubSpot's vocabulary (`error` codes)."""

    name: str
    code: str
    message: str


class PropertyCatalog:
    """Property definitions and groups per object type, and the rules for values written to them."""

    def __init__(self) -> None:
        self._props = default_catalog()
        self._groups = default_groups()

    def definitions(self, object_type: str) -> list[PropertyDef]:
        return list(self._props[object_type].values())

    def get(self, object_type: str, name: str) -> PropertyDef | None:
        return self._props[object_type].get(name)

    def type_of(self, object_type: str, name: str) -> str:
        prop = self._props[object_type].get(name)
        return prop.type if prop else "string"

    def add(self, object_type: str, prop: PropertyDef) -> bool:
        """False when a property of that name exists already (HubSpot answers 409)."""
        if prop.name in self._props[object_type]:
            return False
        self._props[object_type][prop.name] = prop
        return True

    def add_options(self, object_type: str, name: str, values: Iterable[str]) -> None:
        """Widen an enumeration so that loaded data stays valid (a portal admin would add the options)."""
        prop = self._props[object_type][name]
        known = {option.value for option in prop.options}
        extra = tuple(Option(v, v, len(known) + i) for i, v in enumerate(sorted(set(values) - known)))
        self._props[object_type][name] = replace(prop, options=prop.options + extra)

    def groups(self, object_type: str) -> list[PropertyGroup]:
        return list(self._groups[object_type].values())

    def has_group(self, object_type: str, name: str) -> bool:
        return name in self._groups[object_type]

    def add_group(self, object_type: str, group: PropertyGroup) -> bool:
        if group.name in self._groups[object_type]:
            return False
        self._groups[object_type][group.name] = group
        return True

    def normalize(
        self, object_type: str, values: Mapping[str, Any]
    ) -> tuple[dict[str, str | None], list[PropertyProblem]]:
        """Values as HubSpot stores them (strings; None clears), and the problems that refuse the input."""
        clean: dict[str, str | None] = {}
        problems: list[PropertyProblem] = []
        for name, raw in values.items():
            prop = self._props[object_type].get(name)
            if prop is None:
                problems.append(PropertyProblem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
                continue
            value, problem = _coerce(prop, raw)
            if problem:
                problems.append(problem)
            else:
                clean[name] = value
        return clean, problems

    def dump(self) -> dict[str, Any]:
        custom = {
            object_type: [_prop_to_state(p) for p in props.values() if not p.hubspot_defined]
            for object_type, props in self._props.items()
        }
        groups = {object_type: [asdict(g) for g in groups.values()] for object_type, groups in self._groups.items()}
        return {"custom": custom, "groups": groups}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.__init__()
        for object_type, props in state.get("custom", {}).items():
            for entry in props:
                item = dict(entry)  # never mutate the caller's state
                options = tuple(Option(**option) for option in item.pop("options", []))
                self._props[object_type][item["name"]] = PropertyDef(**item, options=options)
        for object_type, groups in state.get("groups", {}).items():
            self._groups[object_type] = {g["name"]: PropertyGroup(**g) for g in groups}


def _prop_to_state(prop: PropertyDef) -> dict[str, Any]:
    state = asdict(prop)
    state["options"] = [asdict(option) for option in prop.options]
    return state


def _as_text(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def _coerce(prop: PropertyDef, raw: Any) -> tuple[str | None, PropertyProblem | None]:
    """One value checked against its definition; an empty value clears the property, as in HubSpot."""
    if raw is None or raw == "":
        return None, None
    text = _as_text(raw).strip()
    if prop.type == "number":
        try:
            float(text)
        except ValueError:
            return None, PropertyProblem(prop.name, "INVALID_FLOAT", f"{text} was not a valid number.")
        return text, None
    if prop.type in ("datetime", "date"):
        moment = parse_moment(text)
        if moment is None:
            return None, PropertyProblem(prop.name, "INVALID_DATE", f"{text} was not a valid long or ISO 8601 date.")
        return (iso(moment) if prop.type == "datetime" else moment.date().isoformat()), None
    if prop.type == "bool":
        if text.lower() not in ("true", "false"):
            return None, PropertyProblem(prop.name, "INVALID_BOOLEAN", f"{text} was not a valid boolean.")
        return text.lower(), None
    if prop.type == "enumeration" and prop.options:
        allowed = [option.value for option in prop.options]
        chosen = text.split(";")
        if any(value not in allowed for value in chosen):
            return None, PropertyProblem(
                prop.name, "INVALID_OPTION", f"{text} was not one of the allowed options: {allowed}"
            )
    return text, None


def property_json(prop: PropertyDef) -> dict[str, Any]:
    """The `Property` model of the properties API."""
    return {
        "name": prop.name,
        "label": prop.label,
        "type": prop.type,
        "fieldType": prop.field_type,
        "description": prop.description,
        "groupName": prop.group_name,
        "options": [
            {"label": o.label, "value": o.value, "displayOrder": o.display_order, "hidden": o.hidden}
            for o in prop.options
        ],
        "displayOrder": -1,
        "calculated": prop.calculated,
        "externalOptions": prop.name == "hubspot_owner_id",
        "hasUniqueValue": prop.name == "email",
        "hidden": False,
        "hubspotDefined": prop.hubspot_defined,
        "modificationMetadata": {"archivable": not prop.hubspot_defined, "readOnlyDefinition": prop.hubspot_defined,
                                 "readOnlyValue": prop.calculated},
        "formField": not prop.calculated,
        "createdAt": prop.created_at,
        "updatedAt": prop.updated_at,
        "archived": False,
    }  # fmt: skip


def group_json(group: PropertyGroup) -> dict[str, Any]:
    return {"name": group.name, "label": group.label, "displayOrder": group.display_order, "archived": group.archived}


def property_from_create(body: Mapping[str, Any], now: datetime) -> PropertyDef:
    options = tuple(
        Option(label=o.get("label", o["value"]), value=o["value"], display_order=o.get("displayOrder", i),
               hidden=o.get("hidden", False))
        for i, o in enumerate(body.get("options") or [])
    )  # fmt: skip
    return PropertyDef(
        name=body["name"],
        label=body["label"],
        type=body["type"],
        field_type=body["fieldType"],
        group_name=body["groupName"],
        options=options,
        description=body.get("description") or "",
        hubspot_defined=False,
        created_at=iso(now),
        updated_at=iso(now),
    )


PROPERTY_TYPES = frozenset({"string", "number", "date", "datetime", "enumeration", "bool"})
CREATE_REQUIRED = ("name", "label", "type", "fieldType", "groupName")
