"""Checks on the model's score `groups`: names defined once, rules tagging groups that exist, group stages that
test the group's own scores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from connector.scoring.fields import DISQUALIFIED, GROUP_SCORE_NAMES
from connector.scoring.model_checks import Problem, threshold_problems

if TYPE_CHECKING:
    from connector.scoring.model import ScoringModel
    from connector.scoring.model_stages import Stage


def group_problems(model: ScoringModel) -> Iterator[Problem]:
    yield from _definition_problems(model)
    yield from _tag_problems(model)
    for index, group in enumerate(model.groups):
        yield from _stage_problems(group.stages, f"groups[{index}].stages")


def _definition_problems(model: ScoringModel) -> Iterator[Problem]:
    """Each group name defined once (a name, or a listed value); each attribute listed once when its values are
    discovered."""
    defined: dict[str, str] = {}
    open_attributes: dict[str, str] = {}
    for index, group in enumerate(model.groups):
        key = f"groups[{index}]"
        if group.by_attribute is not None:
            earlier = open_attributes.get(group.by_attribute)
            if earlier and group.values is None:
                yield f"{key}.by_attribute", f"{earlier} already makes a group of every {group.by_attribute!r} value"
            if group.values is None:
                open_attributes[group.by_attribute] = key
        spelled = [(f"{key}.name", group.name)] if group.name is not None else []
        spelled += [(f"{key}.values[{n}]", value) for n, value in enumerate(group.values or ())]
        for where, name in spelled:
            if "." in name:
                yield where, f"group {name!r}: a group name cannot hold '.' (mappings name groups.<group>.lead)"
            folded = name.strip().casefold()
            if folded in defined:
                yield where, f"group {name!r} is defined twice (also at {defined[folded]})"
            defined.setdefault(folded, where)


def _tag_problems(model: ScoringModel) -> Iterator[Problem]:
    named = [group.name for group in model.groups if group.name is not None]
    tagged: set[str] = set()
    for index, rule in enumerate(model.behavior.rules):
        for name in rule.groups:
            if name not in named:
                listed = ", ".join(named) or "none; add a named entry to groups"
                yield f"behavior.rules[{index}].group", f"unknown group {name!r}; named groups: {listed}"
        tagged.update(rule.groups)
    for index, group in enumerate(model.groups):
        if group.name is not None and group.name not in tagged:
            yield f"groups[{index}].name", f"no rule counts toward group {group.name!r}; tag rules: group: {group.name}"


_NOT_A_GROUP_SCORE = (
    f"a group stage tests the group's own scores: score: {' or '.join(GROUP_SCORE_NAMES)} with at_least "
    "(activity and field conditions belong to the model's stages)"
)


def _stage_problems(stages: tuple[Stage, ...], key: str) -> Iterator[Problem]:
    seen: set[str] = set()
    highest: dict[str, tuple[str, float]] = {}
    for stage_index, stage in enumerate(stages):
        where = f"{key}[{stage_index}]"
        if stage.name in seen or stage.name == DISQUALIFIED:
            yield f"{where}.name", f"stage {stage.name!r} is listed twice or reserved"
        seen.add(stage.name)
        if stage.notify is not None:
            yield f"{where}.notify", "group stages create no tasks; notify belongs to the model's stages"
        if stage_index and not stage.when:
            yield f"{where}.when", "only the first group stage may have no conditions (every contact starts there)"
        for index, condition in enumerate(stage.when):
            at = f"{where}.when[{index}]"
            if condition.score in GROUP_SCORE_NAMES:
                yield from threshold_problems(condition.score, condition.at_least, stage.name, at, highest)
            else:
                yield at + (".score" if condition.score else ""), _NOT_A_GROUP_SCORE
