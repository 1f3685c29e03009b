"""Which activity kinds count toward which score group, decided once per distinct kind (as rules are matched).

A named group gets the kinds whose rule is tagged with it; a `by_attribute` group gets, per value of that attribute,
the kinds holding that value. Values compare as `equals` does (ignoring case and surrounding spaces): a listed
value keeps its spelling, a discovered one is named in lower case. A name that several entries give is one group
(its kinds are the union; an activity counts once) and takes its stages from the first entry that gives it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from connector.scoring.conditions import is_missing
from connector.scoring.model import ScoringModel
from connector.scoring.model_groups import ScoreGroup

if TYPE_CHECKING:
    from connector.scoring.kinds import KindRow


@dataclass(frozen=True)
class GroupTable:
    """The score groups found among the kinds: names, the `groups` entry each comes from, membership by kind id."""

    names: tuple[str, ...]
    #: Per group, the index in the model's `groups` of the first entry that gives it (its stages come from there).
    entries: tuple[int, ...]
    #: One row per group, one column per kind id.
    of_kind: np.ndarray

    def members(self, row: int, kind_ids: np.ndarray) -> np.ndarray:
        """Per activity, whether it counts toward group `row`; kinds newer than the table count toward none."""
        inside = kind_ids < self.of_kind.shape[1]
        member = np.zeros(len(kind_ids), dtype=bool)
        member[inside] = self.of_kind[row, kind_ids[inside]]
        return member


def group_table(model: ScoringModel, kinds: Sequence[KindRow], rule_of_kind: np.ndarray) -> GroupTable:
    found: dict[str, tuple[str, int, set[int]]] = {}  # folded name -> (name, entry, kind ids)
    for entry, group in enumerate(model.groups):
        for name, kind_ids in _groups_of_entry(model, group, kinds, rule_of_kind):
            found.setdefault(name.casefold(), (name, entry, set()))[2].update(kind_ids)
    of_kind = np.zeros((len(found), len(rule_of_kind)), dtype=bool)
    for row, (_name, _entry, kind_ids) in enumerate(found.values()):
        of_kind[row, sorted(kind_ids)] = True
    return GroupTable(
        tuple(name for name, _, _ in found.values()), tuple(entry for _, entry, _ in found.values()), of_kind
    )


def _groups_of_entry(
    model: ScoringModel, group: ScoreGroup, kinds: Sequence[KindRow], rule_of_kind: np.ndarray
) -> Iterable[tuple[str, Iterable[int]]]:
    if group.name is not None:
        tagged = [index for index, rule in enumerate(model.behavior.rules) if group.name in rule.groups]
        return [(group.name, np.flatnonzero(np.isin(rule_of_kind, tagged)).tolist())]
    assert group.by_attribute is not None
    listed = {value.strip().casefold(): value.strip() for value in group.values or ()}
    by_value: dict[str, list[int]] = {name: [] for name in listed.values()}
    for kind in kinds:
        for text in _texts(kind.attributes.get(group.by_attribute)):
            name = listed.get(text.casefold()) if group.values is not None else text.casefold()
            if name is not None:
                by_value.setdefault(name, []).append(kind.id)
    return by_value.items() if group.values is not None else sorted(by_value.items())


def _texts(value: object) -> list[str]:
    """An attribute's value(s) as text: one value, or each item of a list (an activity about several products)."""
    values = value if isinstance(value, list) else [value]
    return [str(item).strip() for item in values if not is_missing(item)]
