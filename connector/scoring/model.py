"""The scoring model file: its schema as pydantic models, loaded once into frozen, validated objects.

Admins edit YAML; the engine only ever sees a `ScoringModel`. Every problem is reported as one `ConfigError`
naming the file, the key path (``behavior.rules[3].where.url.regex``) and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
from itertools import chain
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, PrivateAttr, ValidationError

from connector.errors import ConfigError
from connector.scoring.group_checks import group_problems
from connector.scoring.model_account_checks import account_problems
from connector.scoring.model_accounts import AccountsModel
from connector.scoring.model_behavior import BehaviorModel, EngagementModel
from connector.scoring.model_checks import cross_reference_problems
from connector.scoring.model_fit import Disqualifier as Disqualifier
from connector.scoring.model_fit import FieldFit as FieldFit
from connector.scoring.model_fit import FitModel
from connector.scoring.model_fit import FitRule as FitRule
from connector.scoring.model_groups import ScoreGroup
from connector.scoring.model_stages import LifecycleModel, Stage
from connector.scoring.model_types import Number, PositiveNumber, StrictModel
from connector.task_text import TaskTemplates


class RecencyBand(StrictModel):
    within_days: PositiveNumber
    points: Number


class RecencyModel(StrictModel):
    bands: tuple[RecencyBand, ...] = ()


class ScoreSettings(StrictModel):
    floors: dict[str, Number] = Field(default_factory=dict)
    combined: dict[str, Number] = Field(default_factory=dict)


class ModelTasks(StrictModel):
    """`tasks:` of a model: Jinja2 templates per kind of task (docs/tasks.md)."""

    templates: TaskTemplates = TaskTemplates()


class ScoringModel(StrictModel):
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
    #: The words of the follow-up tasks this model's stages cause; a connection's own templates take precedence.
    tasks: ModelTasks = ModelTasks()
    #: Account scoring (docs/scoring.md, "Accounts"): fit, engagement rolled up from contacts, stages.
    accounts: AccountsModel | None = None
    _version: str = PrivateAttr(default="")

    def model_post_init(self, _context: Any) -> None:
        # Task wording changes no score: it stays out of the version, so editing it never forces a full rescore.
        # A model without accounts keeps the version it had before accounts existed (no needless full rescore).
        unscored = {"tasks"} if self.accounts is not None else {"tasks", "accounts"}
        scored = self.model_dump(mode="json", by_alias=True, exclude=unscored)
        content = json.dumps(scored, sort_keys=True, separators=(",", ":"))
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
    problem = next(chain(cross_reference_problems(model), group_problems(model), account_problems(model)), None)
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
