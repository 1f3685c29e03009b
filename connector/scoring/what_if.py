"""What-if: the scores and stage one contact would have if some activities happened at the explain moment.

The hypothetical activities are appended to the contact's arrays, under activity kinds that exist only in memory,
and the one pipeline (`score_frame`) scores the lot: caps, windows, decay, triggers and the lifecycle apply exactly
as they would to real activities. Nothing is read or written here: `explain` has already read the contact.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from connector.errors import InputError
from connector.scoring.behavior import NO_RULE, SECONDS_PER_DAY
from connector.scoring.frame import ActivityArrays, ContactColumns, PreviousState, ScoreFrame, score_frame
from connector.scoring.group_membership import GroupTable
from connector.scoring.kinds import UNKNOWN_TYPE, KindRow, KindTable, classify_kinds
from connector.scoring.model import ScoringModel
from connector.scoring.model_behavior import BehaviorRule
from connector.scoring.stages import activity_conditions

#: `page_view*3`: three page views. One spelling only, so a list such as `demo_attended,page_view*3` reads plainly.
REPEAT = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(?:\*\s*(\d+))?\s*$")
MOST_REPEATS = 1000


@dataclass(frozen=True)
class Hypothetical:
    """One kind of activity a what-if can add: the name it is asked for by, the rule that scores it (NO_RULE for
    none) and the stage triggers it fires (rows of `activity_conditions`)."""

    name: str
    label: str
    rule: int
    triggers: tuple[int, ...]
    activity_type: str


@dataclass(frozen=True)
class WhatIfItem:
    hypothetical: Hypothetical
    count: int = 1

    def __str__(self) -> str:
        return self.hypothetical.name if self.count == 1 else f"{self.hypothetical.name}*{self.count}"


@dataclass(frozen=True)
class WhatIfOutcome:
    """The contact as it would be with the items added at the explain moment; never stored."""

    items: tuple[str, ...]
    scores: Mapping[str, float]
    stage: str


def snake_case(label: str) -> str:
    """ "Pricing page" -> "pricing_page": how a rule is named on the command line."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def rule_hypotheticals(model: ScoringModel) -> dict[str, Hypothetical]:
    """Each behavior rule by its label in snake case (the first rule when two share one)."""
    triggers = activity_conditions(model)
    named: dict[str, Hypothetical] = {}
    for index, rule in enumerate(model.behavior.rules):
        fired = tuple(row for row, ref in enumerate(triggers) if _rule_fires(rule, ref.condition))
        named.setdefault(snake_case(rule.name), Hypothetical(snake_case(rule.name), rule.name, index, fired, rule.type))
    return named


def hypotheticals(model: ScoringModel) -> dict[str, Hypothetical]:
    """Every name a what-if accepts: the rules, then each activity type whose name no rule took (an activity of
    that type with no attributes, scored and matched against triggers as a real one would be)."""
    named = rule_hypotheticals(model)
    plain = classify_kinds(model, [KindRow(index, kind, {}) for index, kind in enumerate(model.activity_types)])
    for index, kind in enumerate(model.activity_types):
        fired = tuple(np.flatnonzero(plain.triggers_of_kind[:, index]).tolist())
        named.setdefault(kind, Hypothetical(kind, kind, int(plain.rule_of_kind[index]), fired, kind))
    return named


def _rule_fires(rule: BehaviorRule, condition) -> bool:
    """An activity scored by `rule` fires a trigger of its type whose conditions are the rule's own or none."""
    return condition.activity == rule.type and (not condition.where or condition.where == rule.where)


def parse_what_if(text: str, model: ScoringModel) -> tuple[WhatIfItem, ...]:
    """`demo_attended,pricing_page*3` -> items; anything unknown is one line listing the valid names."""
    named = hypotheticals(model)
    items = []
    for part in text.split(","):
        found = REPEAT.match(part)
        if not found or found[1] not in named:
            raise InputError(f"--what-if {part.strip()!r}: not a rule or activity type; use {', '.join(named)}")
        count = int(found[2] or 1)
        if not 1 <= count <= MOST_REPEATS:
            raise InputError(f"--what-if {part.strip()!r}: the count must be 1 to {MOST_REPEATS}")
        items.append(WhatIfItem(named[found[1]], count))
    return tuple(items)


@dataclass(frozen=True)
class ContactPipeline:
    """The pipeline inputs `explain` read for one contact, kept to score hypothetical activities beside them."""

    model: ScoringModel
    kinds: KindTable
    contacts: ContactColumns
    activities: ActivityArrays
    previous: PreviousState
    as_of: int

    def score(self, items: Sequence[WhatIfItem] = ()) -> ScoreFrame:
        """The frame of the contact's activities plus the items, at the explain moment."""
        kinds, kind_ids = self._with_kinds([item.hypothetical for item in items])
        moments = [_moments(self.model, item, self.as_of) for item in items]
        added_kinds = np.repeat(np.array(kind_ids, dtype=np.int64), np.array([len(each) for each in moments], int))
        activities = ActivityArrays(
            np.concatenate([self.activities.contact_index, np.zeros(len(added_kinds), dtype=np.int64)]),
            np.concatenate([self.activities.kind_id, added_kinds]),
            np.concatenate([self.activities.occurred_at, *moments]).astype(np.int64),
        )
        return score_frame(self.model, kinds, self.contacts, activities, self.as_of, self.previous)

    def outcome(self, items: Sequence[WhatIfItem]) -> WhatIfOutcome:
        frame = self.score(items)
        scores = {name: round(float(values[0]), 2) for name, values in frame.scores.items()}
        return WhatIfOutcome(tuple(str(item) for item in items), scores, frame.stage_name(self.model, 0))

    def _with_kinds(self, added: Sequence[Hypothetical]) -> tuple[KindTable, list[int]]:
        """The kind table extended by one in-memory kind per hypothetical, numbered past every real kind."""
        kinds = self.kinds
        first = max(len(kinds.rule_of_kind), int(self.activities.kind_id.max(initial=-1)) + 1)
        rules = np.full(first + len(added), NO_RULE, dtype=np.int64)
        rules[: len(kinds.rule_of_kind)] = kinds.rule_of_kind
        fired = np.zeros((len(kinds.triggers_of_kind), first + len(added)), dtype=bool)
        fired[:, : len(kinds.rule_of_kind)] = kinds.triggers_of_kind
        for offset, hypothetical in enumerate(added):
            rules[first + offset] = hypothetical.rule
            fired[list(hypothetical.triggers), first + offset] = True
        ids = list(range(first, first + len(added)))
        types = np.full(first + len(added), UNKNOWN_TYPE, dtype=np.int64)
        types[: len(kinds.type_of_kind)] = kinds.type_of_kind
        types[first:] = [self.model.activity_types.index(hypothetical.activity_type) for hypothetical in added]
        groups = _groups_with(self.model, kinds.groups, first, added)
        return KindTable(rules, fired, kinds.unknown_type_kinds, types, groups), ids


def _groups_with(model: ScoringModel, table: GroupTable, first: int, added: Sequence[Hypothetical]) -> GroupTable:
    """The group membership extended to the in-memory kinds: a rule's named groups (they carry no attributes, so
    no group by attribute value)."""
    of_kind = np.zeros((len(table.names), first + len(added)), dtype=bool)
    of_kind[:, : table.of_kind.shape[1]] = table.of_kind
    for row, entry in enumerate(table.entries):
        name = model.groups[entry].name
        for offset, hypothetical in enumerate(added):
            rule = model.behavior.rules[hypothetical.rule] if hypothetical.rule != NO_RULE else None
            of_kind[row, first + offset] = bool(name and rule and name in rule.groups)
    return GroupTable(table.names, table.entries, of_kind)


def _moments(model: ScoringModel, item: WhatIfItem, as_of: int) -> np.ndarray:
    """When the item's activities happen: at the explain moment, and when the rule cannot count them all at once
    (a daily cap, or once per N days), the rest earlier, a day (or N days) apart, as many each time as count."""
    per_batch, spacing_days = _batches(model, item.hypothetical.rule, item.count)
    batch = np.arange(item.count, dtype=np.int64) // per_batch
    return as_of - batch * spacing_days * SECONDS_PER_DAY


def _batches(model: ScoringModel, rule_index: int, count: int) -> tuple[int, int]:
    """How many activities of the rule count together, and how many days apart such batches must be."""
    if rule_index == NO_RULE:
        return count, 1
    rule = model.behavior.rules[rule_index]
    once_per_days = rule.once_per_days
    if once_per_days:
        return 1, math.ceil(once_per_days)
    if rule.daily_cap is None or rule.points == 0:
        return count, 1
    return max(1, math.ceil(rule.daily_cap / abs(rule.points))), 1
