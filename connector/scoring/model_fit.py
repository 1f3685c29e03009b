"""Fit in the model file: points per rule on a record's fields, disqualifiers and grade letters.

The same shape serves the contact's `fit` and the account's `accounts.fit`; each is checked against its own fields.
"""

from __future__ import annotations

from pydantic import Field

from connector.scoring.model_types import Match, Number, PositiveNumber, StrictModel


class FitRule(Match):
    points: Number
    label: str | None = None


class FieldFit(StrictModel):
    """The rules on one field; their sum is clipped to ``cap`` when given."""

    cap: PositiveNumber | None = None
    rules: tuple[FitRule, ...] = Field(min_length=1)


class Disqualifier(Match):
    field: str
    label: str | None = None


class FitModel(StrictModel):
    fields: dict[str, FieldFit] = Field(default_factory=dict)
    disqualifiers: tuple[Disqualifier, ...] = ()
    #: Lowest fit score for each grade letter, A highest; below the last one the grade is F.
    grades: dict[str, Number] | None = None
