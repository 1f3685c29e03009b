"""Checks that need the whole model: references to activity types, fields, scores and stages, and orderings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connector.scoring.fields import (
    ACCOUNT_BOOLEAN_FIELDS,
    ACCOUNT_FIT_FIELDS,
    ACCOUNT_NUMERIC_FIELDS,
    ACCOUNT_PREFIX,
    ACCOUNT_SCORE_VALUES,
    BOOLEAN_FIELDS,
    DISQUALIFIED,
    EXTRA_PREFIX,
    GRADE_LETTERS,
    NUMERIC_FIELDS,
    SCORE_NAMES,
    is_account_value,
    is_known_field,
)

if TYPE_CHECKING:
    from connector.scoring.model import ScoringModel
    from connector.scoring.model_fit import FitModel
    from connector.scoring.model_types import Match

Problem = tuple[str, str]


@dataclass(frozen=True)
class FieldKinds:
    """The fields one kind of record offers fit rules, and which of them are numbers or true/false."""

    record: str
    known: Callable[[str], bool]
    numeric: frozenset[str]
    boolean: frozenset[str]


CONTACT_FIELD_KINDS = FieldKinds("contact", is_known_field, NUMERIC_FIELDS, BOOLEAN_FIELDS)
ACCOUNT_FIELD_KINDS = FieldKinds(
    "account",
    lambda name: name in ACCOUNT_FIT_FIELDS or (name.startswith(EXTRA_PREFIX) and len(name) > len(EXTRA_PREFIX)),
    ACCOUNT_NUMERIC_FIELDS,
    ACCOUNT_BOOLEAN_FIELDS,
)


def cross_reference_problems(model: ScoringModel) -> Iterator[Problem]:
    """Every (key path, problem) found, in file order; `load_model` reports the first."""
    yield from _behavior_problems(model)
    yield from _engagement_problems(model)
    yield from fit_problems(model.fit, "fit", CONTACT_FIELD_KINDS)
    yield from _score_problems(model)
    yield from _stage_problems(model)
    yield from _account_value_problems(model)


def _behavior_problems(model: ScoringModel) -> Iterator[Problem]:
    known = set(model.activity_types)
    for index, rule in enumerate(model.behavior.rules):
        if rule.type not in known:
            yield f"behavior.rules[{index}].type", _unknown_type(rule.type, model)


def _engagement_problems(model: ScoringModel) -> Iterator[Problem]:
    for name in model.engagement.by_type:
        if name not in model.activity_types:
            yield f"engagement.by_type.{name}", _unknown_type(name, model)


def _unknown_type(name: str, model: ScoringModel) -> str:
    return f"unknown activity type {name!r}; declare it in activity_types ({', '.join(model.activity_types)})"


def fit_problems(fit: FitModel, key: str, kinds: FieldKinds) -> Iterator[Problem]:
    """Problems of a fit section (`fit`, `accounts.fit`) whose rules test fields of `kinds`."""
    for field, field_fit in fit.fields.items():
        for index, rule in enumerate(field_fit.rules):
            problem = _field_problem(field, rule, kinds)
            if problem:
                yield f"{key}.fields.{field}" + ("" if problem.startswith("unknown") else f".rules[{index}]"), problem
    for index, rule in enumerate(fit.disqualifiers):
        problem = _field_problem(rule.field, rule, kinds)
        if problem:
            yield f"{key}.disqualifiers[{index}].field", problem
    if fit.grades:
        yield from _grade_problems(fit.grades, key)


def _field_problem(field: str, match: Match, kinds: FieldKinds = CONTACT_FIELD_KINDS) -> str | None:
    if not kinds.known(field):
        return f"unknown {kinds.record} field {field!r}; use a normalized field name or extra.<name>"
    text_test = match.regex is not None or match.in_ is not None
    if field in kinds.numeric and match.regex is not None:
        return f"{field} is a number: use min/max/equals, not regex"
    if field in kinds.boolean and (text_test or match.min is not None or match.max is not None):
        return f"{field} is true/false: use equals"
    ranged = match.min is not None or match.max is not None
    if ranged and field not in kinds.numeric and not field.startswith(EXTRA_PREFIX):
        return f"{field} is text: min/max only apply to number fields and extra fields"
    return None


def _grade_problems(grades: dict[str, float], key: str = "fit") -> Iterator[Problem]:
    previous: tuple[str, float] | None = None
    for letter, threshold in grades.items():
        if letter not in GRADE_LETTERS:
            yield f"{key}.grades.{letter}", f"grade letters are {', '.join(GRADE_LETTERS)} (F is everything below)"
            return
        if previous and (GRADE_LETTERS.index(letter) < GRADE_LETTERS.index(previous[0]) or threshold >= previous[1]):
            yield (
                f"{key}.grades.{letter}",
                f"grades must go A, B, C... with falling thresholds ({letter} {threshold:g})",
            )
            return
        previous = (letter, threshold)


def _account_value_problems(model: ScoringModel) -> Iterator[Problem]:
    """A contact condition on an account score needs the `accounts` section that computes it."""
    if model.accounts is not None:
        return
    named = [(f"fit.fields.{field}", field) for field in model.fit.fields]
    named += [(f"fit.disqualifiers[{i}].field", rule.field) for i, rule in enumerate(model.fit.disqualifiers)]
    named += [
        (f"stages[{s}].when[{i}].field", condition.field)
        for s, stage in enumerate(model.stages)
        for i, condition in enumerate(stage.when)
        if condition.field is not None
    ]
    computed = {ACCOUNT_PREFIX + name for name in ACCOUNT_SCORE_VALUES}
    for key, field in named:
        if is_account_value(field) and field in computed:
            yield key, f"{field} is computed by account scoring: add an `accounts` section to the model"


def _score_problems(model: ScoringModel) -> Iterator[Problem]:
    for name in model.scores.floors:
        if name not in SCORE_NAMES:
            yield f"scores.floors.{name}", f"unknown score {name!r}; scores are {', '.join(SCORE_NAMES)}"
    for name in model.scores.combined:
        if name not in SCORE_NAMES or name == "combined":
            yield f"scores.combined.{name}", f"unknown part {name!r}; parts are fit, lead, engagement, recency"
    limits = [band.within_days for band in model.recency.bands]
    for index in range(1, len(limits)):
        if limits[index] <= limits[index - 1]:
            yield f"recency.bands[{index}].within_days", "bands must be listed with rising within_days"


def _stage_problems(model: ScoringModel) -> Iterator[Problem]:
    seen: set[str] = set()
    highest: dict[str, tuple[str, float]] = {}
    for stage_index, stage in enumerate(model.stages):
        key = f"stages[{stage_index}]"
        yield from stage_name_problems(stage.name, key, seen, "fit")
        for index, condition in enumerate(stage.when):
            where = f"{key}.when[{index}]"
            if condition.activity is not None and condition.activity not in model.activity_types:
                yield f"{where}.activity", _unknown_type(condition.activity, model)
            if condition.field is not None and not is_known_field(condition.field):
                yield f"{where}.field", f"unknown contact field {condition.field!r}"
            if condition.score is not None:
                yield from threshold_problems(condition.score, condition.at_least, stage.name, where, highest)


def stage_name_problems(name: str, key: str, seen: set[str], fit_key: str) -> Iterator[Problem]:
    """A stage named "disqualified" (where `fit_key`.disqualifiers lead) or listed twice; adds the name to `seen`."""
    if name == DISQUALIFIED:
        yield f"{key}.name", f"'disqualified' is implicit ({fit_key}.disqualifiers lead there); do not list it"
    if name in seen:
        yield f"{key}.name", f"stage {name!r} is listed twice"
    seen.add(name)


def threshold_problems(
    score: str, threshold: float | None, stage: str, where: str, highest: dict[str, tuple[str, float]]
) -> Iterator[Problem]:
    if score not in SCORE_NAMES:
        yield f"{where}.score", f"unknown score {score!r}; scores are {', '.join(SCORE_NAMES)}"
        return
    assert threshold is not None
    earlier = highest.get(score)
    if earlier and threshold <= earlier[1]:
        yield (
            f"{where}.at_least",
            f"thresholds out of order: {stage} needs {score} >= {threshold:g}, not above the {earlier[1]:g} of "
            f"the earlier stage {earlier[0]}; a later stage must need more",
        )
        return
    highest[score] = (stage, threshold)
