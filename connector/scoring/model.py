"""The scoring model file: its schema as pydantic models, loaded once into frozen, validated objects.

Admins edit YAML; the engine only ever sees a `ScoringModel`. Every problem is reported as one `ConfigError`
naming the file, the key path (``behavior.rules[3].where.url.regex``) and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import re
from itertools import chain
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    Strict,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from connector.errors import ConfigError
from connector.scoring.group_checks import group_problems
from connector.scoring.model_checks import cross_reference_problems

#: Points and thresholds must be written as numbers: "5" or "ten" in the file is an error, not a guess.
Number = Annotated[float, Strict()]
PositiveNumber = Annotated[float, Strict(), Field(gt=0)]


NOTIFIED_BY_DEFAULT = frozenset({"mql", "sql"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Match(_Strict):
    """A test on one value; every key given must hold. Text comparisons ignore case."""

    equals: str | Number | bool | None = None
    in_: tuple[str | Number, ...] | None = Field(default=None, alias="in")
    regex: str | None = None
    min: Number | None = None
    max: Number | None = None
    missing: bool | None = None
    _pattern: re.Pattern[str] | None = PrivateAttr(default=None)

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a valid regular expression: {error}") from None
        return value

    @model_validator(mode="after")
    def _one_test_at_least(self) -> Match:
        if not self.model_fields_set & {"equals", "in_", "regex", "min", "max", "missing"}:
            raise ValueError("a condition needs at least one of equals, in, regex, min, max, missing")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self

    def model_post_init(self, _context: Any) -> None:
        if self.regex is not None:
            self._pattern = re.compile(self.regex, re.IGNORECASE)

    @property
    def pattern(self) -> re.Pattern[str] | None:
        return self._pattern

    def describe(self) -> str:
        """The condition in words, for explanations."""
        parts = []
        if self.missing is not None:
            parts.append("is missing" if self.missing else "is present")
        if self.equals is not None:
            parts.append(f"= {self.equals}")
        if self.in_ is not None:
            parts.append("in [" + ", ".join(str(v) for v in self.in_) + "]")
        if self.regex is not None:
            parts.append(f"matches /{self.regex}/")
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        return " and ".join(parts)


class FitRule(Match):
    points: Number
    label: str | None = None


class FieldFit(_Strict):
    """The rules on one contact field; their sum is clipped to ``cap`` when given."""

    cap: PositiveNumber | None = None
    rules: tuple[FitRule, ...] = Field(min_length=1)


class Disqualifier(Match):
    field: str
    label: str | None = None


class FitModel(_Strict):
    fields: dict[str, FieldFit] = Field(default_factory=dict)
    disqualifiers: tuple[Disqualifier, ...] = ()
    #: Lowest fit score for each grade letter, A highest; below the last one the grade is F.
    grades: dict[str, Number] | None = None


class DecaySettings(_Strict):
    """A window and half-life narrower than the model-wide ones (an activity type's, a rule's).

    A key left out inherits from the wider level. ``half_life_days: null`` says "no decay" here even when the
    wider level decays; it is kept as infinity, so the engine needs no third state and the model's version tells
    an explicit null from an absent key. A window cannot be null: leave the key out to inherit it.
    """

    window_days: PositiveNumber | None = None
    half_life_days: PositiveNumber | None = None

    @field_validator("window_days", mode="before")
    @classmethod
    def _window_given(cls, value: object) -> object:
        if value is None:
            raise ValueError("a window cannot be null; leave window_days out to use the wider window")
        return value

    @field_validator("half_life_days", mode="before")
    @classmethod
    def _null_is_no_decay(cls, value: object) -> object:
        return float("inf") if value is None else value

    @model_serializer(mode="wrap")
    def _inherited_left_out(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A dump leaves inherited keys out, so that it loads back to the same model (a null would mean no decay)."""
        data = handler(self)
        for key in ("window_days", "half_life_days"):
            if key in data and data[key] is None:
                del data[key]
        return data


class BehaviorRule(DecaySettings):
    """Points for one activity type, optionally only when attributes match; the first matching rule wins."""

    type: str
    where: dict[str, Match] = Field(default_factory=dict)
    points: Number
    label: str | None = None
    daily_cap: PositiveNumber | None = None
    total_cap: PositiveNumber | None = None
    #: Only the contact's first activity matching this rule counts (a first-time-only action).
    once: bool = False
    #: An activity counts only when this many days have passed since the last one of this rule that counted.
    once_per_days: PositiveNumber | None = None

    @model_validator(mode="after")
    def _one_repeat_limit(self) -> BehaviorRule:
        if self.once and self.once_per_days is not None:
            raise ValueError("give once or once_per_days, not both")
        return self

    #: The score group(s) (``groups[].name``) this rule's points also count toward.
    group: str | tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        return self.label or self.type

    @property
    def groups(self) -> tuple[str, ...]:
        return (self.group,) if isinstance(self.group, str) else self.group or ()


class BehaviorModel(_Strict):
    rules: tuple[BehaviorRule, ...] = ()


class EngagementModel(_Strict):
    window_days: PositiveNumber = 30
    half_life_days: PositiveNumber | None = None
    #: Per activity type, its own window and half-life (a rule's own beat these).
    by_type: dict[str, DecaySettings] = Field(default_factory=dict)
    #: A contact is "engaged" when its engagement score reaches this.
    engaged_at_least: Number = 1


class RecencyBand(_Strict):
    within_days: PositiveNumber
    points: Number


class RecencyModel(_Strict):
    bands: tuple[RecencyBand, ...] = ()


class StageCondition(_Strict):
    """One way into a stage: a score threshold, an activity trigger, or a CRM field value."""

    score: str | None = None
    at_least: Number | None = None
    activity: str | None = None
    where: dict[str, Match] = Field(default_factory=dict)
    field: str | None = None
    equals: str | Number | bool | None = None
    in_: tuple[str | Number, ...] | None = Field(default=None, alias="in")
    label: str | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> StageCondition:
        kinds = [name for name in ("score", "activity", "field") if getattr(self, name) is not None]
        if len(kinds) != 1:
            raise ValueError("a stage condition needs exactly one of score, activity, field")
        if self.score is not None and self.at_least is None:
            raise ValueError("a score condition needs at_least")
        if self.field is not None and self.equals is None and self.in_ is None:
            raise ValueError("a field condition needs equals or in")
        return self

    def field_match(self) -> Match:
        return Match(equals=self.equals) if self.equals is not None else Match(**{"in": self.in_})


class Stage(_Strict):
    name: str
    when: tuple[StageCondition, ...] = ()
    #: Entering this stage creates a sales task (the sync turns notifications into tasks); unset: mql and sql do.
    notify: bool | None = None

    @property
    def notifies(self) -> bool:
        return self.notify if self.notify is not None else self.name in NOTIFIED_BY_DEFAULT


class ReengagedModel(_Strict):
    """A customer whose engagement reaches ``engagement_at_least`` after ``quiet_days`` without engaging."""

    engagement_at_least: Number
    quiet_days: PositiveNumber


class LifecycleModel(_Strict):
    #: Without engaging activity for this many days, a contact drops to the highest stage it still qualifies for.
    quiet_days: PositiveNumber | None = None
    never_backwards: bool = False
    reengaged: ReengagedModel | None = None


class ScoreSettings(_Strict):
    floors: dict[str, Number] = Field(default_factory=dict)
    combined: dict[str, Number] = Field(default_factory=dict)


class ScoreGroup(_Strict):
    """A score group: named (rules tagged ``group: <name>`` count toward it), or one group per value of an activity
    attribute (``by_attribute: product``, optionally only the listed ``values``); optionally with stages of its own,
    which test the group's own lead and engagement scores."""

    name: str | None = Field(default=None, min_length=1)
    by_attribute: str | None = Field(default=None, min_length=1)
    values: tuple[str, ...] | None = Field(default=None, min_length=1)
    stages: tuple[Stage, ...] = ()

    @model_validator(mode="after")
    def _named_or_by_attribute(self) -> ScoreGroup:
        if (self.name is None) == (self.by_attribute is None):
            raise ValueError("a group needs exactly one of name, by_attribute")
        if self.values is not None and self.by_attribute is None:
            raise ValueError("values only apply to a by_attribute group")
        return self


class ScoringModel(_Strict):
    """A whole scoring model; `version` identifies its content and is recorded with every score."""

    name: str = "scoring model"
    activity_types: tuple[str, ...] = Field(min_length=1)
    fit: FitModel = FitModel()
    behavior: BehaviorModel = BehaviorModel()
    engagement: EngagementModel = EngagementModel()
    recency: RecencyModel = RecencyModel()
    scores: ScoreSettings = ScoreSettings()
    stages: tuple[Stage, ...] = Field(min_length=1)
    lifecycle: LifecycleModel = LifecycleModel()
    groups: tuple[ScoreGroup, ...] = ()
    _version: str = PrivateAttr(default="")

    def model_post_init(self, _context: Any) -> None:
        content = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":"))
        self._version = hashlib.sha256(content.encode()).hexdigest()

    @property
    def version(self) -> str:
        return self._version

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(stage.name for stage in self.stages)


def load_model(path: str | Path) -> ScoringModel:
    """Read, validate and cross-check a model file; any problem is one ConfigError naming file and key."""
    source = str(path)
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the model file: {error.strerror}", source=source) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"not valid YAML: {error}", source=source) from None
    return parse_model(raw, source=source)


def parse_model(raw: object, *, source: str = "<model>") -> ScoringModel:
    if not isinstance(raw, dict):
        raise ConfigError("the model must be a mapping of keys", source=source)
    try:
        model = ScoringModel.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        raise ConfigError(_describe_error(first), source=source, key=key_path(first["loc"])) from None
    problem = next(chain(cross_reference_problems(model), group_problems(model)), None)
    if problem:
        key, message = problem
        raise ConfigError(message, source=source, key=key)
    return model


def key_path(location: tuple[int | str, ...]) -> str:
    """``('behavior', 'rules', 3, 'where')`` -> ``behavior.rules[3].where``; pydantic's union tags are dropped."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in {"str", "float", "bool", "function-after[_regex_compiles(), str]"} or "[" in part:
            continue
        else:
            path += ("." if path else "") + ("in" if part == "in_" else part)
    return path


def _describe_error(error: Any) -> str:
    message = error["msg"].removeprefix("Value error, ")
    given = error.get("input")
    if error["type"] in {"missing", "extra_forbidden"} or isinstance(given, dict | list):
        return message
    return f"{message} (got {given!r})"
