"""Stages in the model file: the ways into each stage, which stages notify sales, and the lifecycle between them."""

from __future__ import annotations

from pydantic import Field, model_validator

from connector.scoring.model_types import Match, Number, PositiveNumber, StrictModel

NOTIFIED_BY_DEFAULT = frozenset({"mql", "sql"})


class StageCondition(StrictModel):
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


class Stage(StrictModel):
    name: str
    when: tuple[StageCondition, ...] = ()
    #: Entering this stage creates a sales task (the sync turns notifications into tasks); unset: mql and sql do.
    notify: bool | None = None

    @property
    def notifies(self) -> bool:
        return self.notify if self.notify is not None else self.name in NOTIFIED_BY_DEFAULT


class ReengagedModel(StrictModel):
    """A customer whose engagement reaches ``engagement_at_least`` after ``quiet_days`` without engaging."""

    engagement_at_least: Number
    quiet_days: PositiveNumber


class LifecycleModel(StrictModel):
    #: Without engaging activity for this many days, a contact drops to the highest stage it still qualifies for.
    quiet_days: PositiveNumber | None = None
    never_backwards: bool = False
    reengaged: ReengagedModel | None = None
