"""Behavior in the model file: the rules that give activities points, and the windows and half-lives of engagement."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, field_validator, model_serializer, model_validator

from connector.scoring.model_types import Match, Number, PositiveNumber, StrictModel


class DecaySettings(StrictModel):
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


class BehaviorModel(StrictModel):
    rules: tuple[BehaviorRule, ...] = ()


class EngagementModel(StrictModel):
    window_days: PositiveNumber = 30
    half_life_days: PositiveNumber | None = None
    #: Per activity type, its own window and half-life (a rule's own beat these).
    by_type: dict[str, DecaySettings] = Field(default_factory=dict)
    #: A contact is "engaged" when its engagement score reaches this.
    engaged_at_least: Number = 1
