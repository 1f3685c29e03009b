"""Matching activity kinds (type + attributes) to behavior rules and stage triggers, once per distinct kind."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from connector.scoring.behavior import NO_RULE
from connector.scoring.conditions import value_matches
from connector.scoring.group_membership import GroupTable, group_table
from connector.scoring.model import ScoringModel
from connector.scoring.model_types import Match
from connector.scoring.stages import activity_conditions

UNKNOWN_TYPE = -1


@dataclass(frozen=True)
class KindRow:
    id: int
    type: str
    attributes: Mapping[str, object]


@dataclass(frozen=True)
class KindTable:
    """Lookup arrays indexed by activity_kind.id: the rule each kind scores under, and the triggers it fires."""

    rule_of_kind: np.ndarray
    #: One row per activity trigger (see `activity_conditions`), one column per kind id.
    triggers_of_kind: np.ndarray
    #: Kinds whose type is not in the model's vocabulary: their activities count nothing.
    unknown_type_kinds: int
    #: Per kind id, its type's position in the model's `activity_types` (UNKNOWN_TYPE when not there).
    type_of_kind: np.ndarray
    #: The score groups and the kinds that count toward each.
    groups: GroupTable


def where_matches(where: Mapping[str, Match], attributes: Mapping[str, object]) -> bool:
    return all(value_matches(match, attributes.get(name)) for name, match in where.items())


def classify_kinds(model: ScoringModel, kinds: Iterable[KindRow]) -> KindTable:
    """First matching rule wins: rules are tried in file order, so put specific rules before general ones."""
    rows = list(kinds)
    size = max((row.id for row in rows), default=0) + 1
    rule_of_kind = np.full(size, NO_RULE, dtype=np.int64)
    type_of_kind = np.full(size, UNKNOWN_TYPE, dtype=np.int64)
    type_position = {name: position for position, name in enumerate(model.activity_types)}
    triggers = activity_conditions(model)
    triggers_of_kind = np.zeros((len(triggers), size), dtype=bool)
    rules_by_type: dict[str, list[int]] = {}
    for index, rule in enumerate(model.behavior.rules):
        rules_by_type.setdefault(rule.type, []).append(index)
    for row in rows:
        rule_of_kind[row.id] = _first_rule(model, rules_by_type.get(row.type, ()), row.attributes)
        type_of_kind[row.id] = type_position.get(row.type, UNKNOWN_TYPE)
        for trigger_index, ref in enumerate(triggers):
            condition = ref.condition
            if condition.activity == row.type and where_matches(condition.where, row.attributes):
                triggers_of_kind[trigger_index, row.id] = True
    unknown = sum(1 for row in rows if row.type not in type_position)
    return KindTable(rule_of_kind, triggers_of_kind, unknown, type_of_kind, group_table(model, rows, rule_of_kind))


def _first_rule(model: ScoringModel, candidates: Iterable[int], attributes: Mapping[str, object]) -> int:
    for index in candidates:
        if where_matches(model.behavior.rules[index].where, attributes):
            return index
    return NO_RULE
