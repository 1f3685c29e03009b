"""Checks across a scoring model and one connection's mapping: rules and stages that the mapping leaves inert.

A model and a mapping are each valid on their own and still disagree: a rule testing an attribute the mapping
never gives that activity type scores nothing, a stage whose every condition needs a value no mapped field can
hold is never reached. `scorebridge validate --config` reports each as one line naming the model file, the rule
or stage key, and the mapping file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from connector.score_catalog import split_group_target
from connector.scoring.fields import DERIVED_FROM, is_account_value
from connector.scoring.model import ScoringModel
from connector.scoring.model_stages import StageCondition
from connector.scoring.model_types import Match


@dataclass(frozen=True)
class MappingProfile:
    """What one mapping file produces, read offline by the CLI from the adapter's own mapping schema."""

    source: Path
    #: Activity type -> the attribute names its activities can carry.
    activity_attributes: Mapping[str, frozenset[str]]
    #: Contact field (extra fields as `extra.<name>`) -> the values it can take, lower case; None: any value.
    fields: Mapping[str, frozenset[str] | None]
    #: The mapping's key path -> the write-back target it names (``write_back.properties.groups.web.lead``).
    write_targets: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: The same for the account write-back (``accounts.write_back.stage``).
    account_write_targets: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def activity_types(self) -> frozenset[str]:
        return frozenset(self.activity_attributes)

    def fills(self, field: str) -> bool:
        # an account value (`account.stage`) comes from the account section or account scoring: not checked here
        return is_account_value(field) or DERIVED_FROM.get(field, field) in self.fields

    def can_hold(self, field: str, expected: tuple[object, ...]) -> bool:
        if not self.fills(field):
            return False
        values = self.fields.get(field)
        return values is None or any(_text(value) in values for value in expected)


def model_mapping_problems(model: ScoringModel, model_source: Path, mapping: MappingProfile) -> list[str]:
    """One line per rule or stage the mapping leaves inert: `MODEL: key (name): what (mapping FILE)`."""
    found = (*_attribute_problems(model, mapping), *_field_problems(model, mapping), *_stage_problems(model, mapping))
    lines = [f"{model_source}: {key}: {problem} (mapping {mapping.source})" for key, problem in found]
    written = (*_group_target_problems(model, mapping), *_account_target_problems(model, mapping))
    return lines + [f"{mapping.source}: {key}: {problem} (model {model_source})" for key, problem in written]


def _account_target_problems(model: ScoringModel, mapping: MappingProfile) -> Iterator[tuple[str, str]]:
    """Account values written back while the model scores no accounts: the fields would stay empty forever."""
    if model.accounts is not None or not mapping.account_write_targets:
        return
    key = next(iter(mapping.account_write_targets))
    yield key, "the mapping writes account values back, but the model has no `accounts` section to compute them"


def _group_target_problems(model: ScoringModel, mapping: MappingProfile) -> Iterator[tuple[str, str]]:
    """A `groups.<group>.*` target of a group the model does not have: nothing would ever be written to it.

    A `by_attribute` group without `values` makes a group of any value an activity carries, so with one of those
    any group name may yet exist and none is reported."""
    if any(group.by_attribute is not None and group.values is None for group in model.groups):
        return
    declared = [group.name for group in model.groups if group.name is not None]
    declared += [value.strip() for group in model.groups for value in group.values or ()]
    for key, target in mapping.write_targets.items():
        parts = split_group_target(target)
        if parts is not None and parts[0] not in declared:
            has = f"its groups: {', '.join(declared)}" if declared else "it has no `groups`"
            yield key, f"{target} names score group {parts[0]!r}, which the model does not declare ({has})"


def _attribute_problems(model: ScoringModel, mapping: MappingProfile) -> Iterator[tuple[str, str]]:
    for index, rule in enumerate(model.behavior.rules):
        problem = _missing_attributes(rule.type, rule.where, mapping)
        if problem:
            yield f"behavior.rules[{index}] ({rule.name})", problem
    for stage_index, stage in enumerate(model.stages):
        for index, condition in enumerate(stage.when):
            if condition.activity is not None:
                problem = _missing_attributes(condition.activity, condition.where, mapping)
                if problem:
                    yield f"stages[{stage_index}].when[{index}] ({stage.name})", problem


def _missing_attributes(activity_type: str, where: Mapping[str, Match], mapping: MappingProfile) -> str | None:
    given = mapping.activity_attributes.get(activity_type)
    if given is None:
        return None  # the mapping gives no such activity at all: the rule waits for imported ones
    missing = sorted(set(where) - given)
    if not missing:
        return None
    return (
        f"`where` tests {', '.join(missing)}, which the mapping never gives {activity_type} activities "
        f"(it gives: {', '.join(sorted(given)) or 'no attributes'})"
    )


def _field_problems(model: ScoringModel, mapping: MappingProfile) -> Iterator[tuple[str, str]]:
    uses = [(f"fit.fields.{field}", field) for field in model.fit.fields]
    uses += [
        (f"fit.disqualifiers[{i}] ({rule.label or rule.field})", rule.field)
        for i, rule in enumerate(model.fit.disqualifiers)
    ]
    for key, field in uses:
        if not mapping.fills(field):
            yield key, f"contact field {_filled_name(field)} is filled by no field of the mapping"


def _filled_name(field: str) -> str:
    source = DERIVED_FROM.get(field)
    return f"{source} (which {field} comes from)" if source else field


def _stage_problems(model: ScoringModel, mapping: MappingProfile) -> Iterator[tuple[str, str]]:
    for index, stage in enumerate(model.stages):
        if not stage.when:
            continue
        reasons = [_unreachable(condition, mapping) for condition in stage.when]
        if all(reasons):
            yield f"stages[{index}] ({stage.name})", "no condition can ever hold: " + "; ".join(filter(None, reasons))


def _unreachable(condition: StageCondition, mapping: MappingProfile) -> str | None:
    """Why this condition can never hold with the mapping, or None when it can."""
    if condition.score is not None:
        return None
    if condition.activity is not None:
        if condition.activity not in mapping.activity_attributes:
            return f"the mapping gives no {condition.activity} activity"
        return _missing_attributes(condition.activity, condition.where, mapping)
    field = condition.field or ""
    expected = (condition.equals,) if condition.equals is not None else tuple(condition.in_ or ())
    if mapping.can_hold(field, expected):
        return None
    if not mapping.fills(field):
        return f"contact field {_filled_name(field)} is filled by no field of the mapping"
    holds = ", ".join(sorted(mapping.fields.get(field) or ()))
    wanted = ", ".join(_text(value) for value in expected)
    return f"{field} must be {wanted}, but the mapping only gives it {holds}"


def _text(value: object) -> str:
    return str(value).lower()
