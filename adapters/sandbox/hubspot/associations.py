"""Associations between records: HubSpot-defined type ids, both directions kept, labels per pair."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.sandbox.hubspot.object_types import OBJECT_TYPE_IDS, SINGULAR

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
USER_DEFINED = "USER_DEFINED"


@dataclass(frozen=True)
class AssociationType:
    type_id: int
    from_type: str
    to_type: str
    name: str  # the v3 `type` string, e.g. "task_to_contact"
    label: str | None = None
    inverse_id: int = 0
    category: str = HUBSPOT_DEFINED


def _pair(
    from_type: str,
    to_type: str,
    forward: int,
    backward: int,
    *,
    label: str | None = None,
    category: str = HUBSPOT_DEFINED,
) -> list[AssociationType]:
    singular_from, singular_to = SINGULAR[from_type], SINGULAR[to_type]
    suffix = "" if label else "_unlabeled" if {from_type, to_type} == {"contacts", "companies"} else ""
    return [
        AssociationType(forward, from_type, to_type, f"{singular_from}_to_{singular_to}{suffix}", label, backward,
                        category),
        AssociationType(backward, to_type, from_type, f"{singular_to}_to_{singular_from}{suffix}", label, forward,
                        category),
    ]  # fmt: skip


#: The deal -> contact labels an admin of the sandbox's portal created (USER_DEFINED, ids as HubSpot numbers a
#: portal's custom labels); the sandbox's deals carry their contacts' roles in them. HubSpot defines no "primary"
#: for deal -> contact (only for associations with a company), so a mapping names the labels that mean primary.
DEAL_CONTACT_LABELS = {
    "Decision Maker": (101, 102),
    "Economic Buyer": (103, 104),
    "Evaluator": (105, 106),
    "Influencer": (107, 108),
    "Technical Buyer": (109, 110),
}


#: HubSpot-defined association types (API_FACTS C.3; developers.hubspot.com associations v4 guide, "type IDs").
DEFAULT_TYPES: tuple[AssociationType, ...] = tuple(
    [
        *_pair("contacts", "companies", 279, 280),
        *_pair("contacts", "companies", 1, 2, label="Primary"),
        *_pair("deals", "contacts", 3, 4),
        *(
            spec
            for label, (forward, backward) in DEAL_CONTACT_LABELS.items()
            for spec in _pair("deals", "contacts", forward, backward, label=label, category=USER_DEFINED)
        ),
        *_pair("tasks", "contacts", 204, 203),
        *_pair("calls", "contacts", 194, 193),
        *_pair("emails", "contacts", 198, 197),
        *_pair("meetings", "contacts", 200, 199),
        *_pair("notes", "contacts", 202, 201),
        *_pair("tasks", "companies", 192, 191),
        *_pair("calls", "companies", 182, 181),
        *_pair("emails", "companies", 186, 185),
        *_pair("meetings", "companies", 188, 187),
        *_pair("notes", "companies", 190, 189),
    ]
)
TYPES_BY_ID: dict[int, AssociationType] = {t.type_id: t for t in DEFAULT_TYPES}
#: The unlabeled (default) type for a pair of object types.
DEFAULT_TYPE: dict[tuple[str, str], AssociationType] = {
    (t.from_type, t.to_type): t for t in DEFAULT_TYPES if t.label is None
}

Edge = tuple[str, int, str, int]  # from_type, from_id, to_type, to_id


class AssociationStore:
    """Type ids per ordered pair of records; writing one direction writes its inverse, as HubSpot does."""

    def __init__(self) -> None:
        self._edges: dict[Edge, set[int]] = {}
        self._by_source: dict[tuple[str, int, str], dict[int, None]] = {}
        self.version = 0  # grows on every change, as ObjectStore.version

    def add(self, from_type: str, from_id: int, to_type: str, to_id: int, type_ids: Iterable[int]) -> None:
        for type_id in type_ids:
            spec = TYPES_BY_ID.get(type_id)
            inverse = spec.inverse_id if spec else type_id
            self._link((from_type, from_id, to_type, to_id), type_id)
            self._link((to_type, to_id, from_type, from_id), inverse)

    def add_default(self, from_type: str, from_id: int, to_type: str, to_id: int) -> AssociationType:
        spec = DEFAULT_TYPE[(from_type, to_type)]
        self.add(from_type, from_id, to_type, to_id, [spec.type_id])
        return spec

    def remove(
        self, from_type: str, from_id: int, to_type: str, to_id: int, type_ids: Iterable[int] | None = None
    ) -> None:
        """Remove some type ids of a pair (both directions), or the whole pair when `type_ids` is None."""
        forward = (from_type, from_id, to_type, to_id)
        backward = (to_type, to_id, from_type, from_id)
        if type_ids is None:
            for edge in (forward, backward):
                self._unlink(edge, None)
            return
        for type_id in type_ids:
            spec = TYPES_BY_ID.get(type_id)
            self._unlink(forward, type_id)
            self._unlink(backward, spec.inverse_id if spec else type_id)

    def remove_all(self, object_type: str, object_id: int) -> None:
        """Drop every association of an archived record."""
        for (from_type, from_id, to_type), targets in list(self._by_source.items()):
            if (from_type, from_id) == (object_type, object_id):
                for to_id in list(targets):
                    self.remove(from_type, from_id, to_type, to_id)

    def targets(self, from_type: str, from_id: int, to_type: str) -> list[tuple[int, list[int]]]:
        """(to_id, type ids) for every record of `to_type` associated with the source, in creation order."""
        found = self._by_source.get((from_type, from_id, to_type), {})
        return [(to_id, sorted(self._edges[(from_type, from_id, to_type, to_id)])) for to_id in found]

    def type_ids(self, from_type: str, from_id: int, to_type: str, to_id: int) -> list[int]:
        return sorted(self._edges.get((from_type, from_id, to_type, to_id), ()))

    def _link(self, edge: Edge, type_id: int) -> None:
        self.version += 1
        self._edges.setdefault(edge, set()).add(type_id)
        self._by_source.setdefault(edge[:3], {})[edge[3]] = None

    def _unlink(self, edge: Edge, type_id: int | None) -> None:
        self.version += 1
        kinds = self._edges.get(edge)
        if kinds is None:
            return
        if type_id is None:
            kinds.clear()
        else:
            kinds.discard(type_id)
        if not kinds:
            del self._edges[edge]
            self._by_source.get(edge[:3], {}).pop(edge[3], None)

    def dump(self) -> list[list[Any]]:
        return [[*edge, sorted(kinds)] for edge, kinds in self._edges.items()]

    def restore(self, state: Iterable[list[Any]]) -> None:
        self.__init__()
        for from_type, from_id, to_type, to_id, kinds in state:
            for type_id in kinds:
                self._link((from_type, from_id, to_type, to_id), type_id)


def spec_json(type_id: int) -> dict[str, Any]:
    """`AssociationSpecWithLabel` of a v4 read."""
    spec = TYPES_BY_ID.get(type_id)
    if spec is None:
        return {"category": USER_DEFINED, "typeId": type_id, "label": None}
    return {"category": spec.category, "typeId": type_id, "label": spec.label}


def v3_association_entries(to_id: int, type_ids: Iterable[int]) -> list[dict[str, str]]:
    """The v3 `associations` block of an object read: one entry per type, named like `contact_to_company`."""
    return [{"id": str(to_id), "type": TYPES_BY_ID[t].name if t in TYPES_BY_ID else str(t)} for t in type_ids]


def object_type_id(name: str) -> str:
    return OBJECT_TYPE_IDS[name]


def unfit_type_ids(type_ids: Iterable[int], from_type: str, to_type: str) -> list[int]:
    """The type ids that are no association type from `from_type` to `to_type` in this portal (HubSpot refuses
    them: a type id names one direction of one pair of object types)."""
    return [
        type_id
        for type_id in type_ids
        if (spec := TYPES_BY_ID.get(type_id)) is None or (spec.from_type, spec.to_type) != (from_type, to_type)
    ]


def type_ids_from_specs(specs: Iterable[Mapping[str, Any]]) -> list[int] | None:
    """Type ids of `[{"associationCategory", "associationTypeId"}]`; None when one is malformed."""
    ids: list[int] = []
    for spec in specs:
        try:
            ids.append(int(spec["associationTypeId"]))
        except (KeyError, TypeError, ValueError):
            return None
    return ids
