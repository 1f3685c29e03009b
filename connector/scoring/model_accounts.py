"""The model file's optional `accounts:` section: account fit, engagement rolled up from contacts, the buying group,
the account score and account stages (docs/scoring.md, "Accounts")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from connector.scoring.model_fit import FitModel
from connector.scoring.model_types import Match, Number, StrictModel

#: How contacts' engagement scores make the account's: their sum, the highest, or the mean of the `top` highest.
Aggregate = Literal["sum", "max", "top_mean"]
DEFAULT_TOP = 3
#: The account values a stage condition may test, each with a `Match` (`{engagement: {min: 60}}`).
CONDITION_VALUES = ("fit", "engagement", "score", "grade", "engaged_contacts", "coverage", "recency_days")


class AccountEngagement(StrictModel):
    aggregate: Aggregate = "sum"
    #: For top_mean: how many of the most engaged contacts are averaged.
    top: PositiveInt | None = None

    @model_validator(mode="after")
    def _top_only_with_top_mean(self) -> AccountEngagement:
        if self.top is not None and self.aggregate != "top_mean":
            raise ValueError("top only applies to aggregate: top_mean")
        return self

    @property
    def top_count(self) -> int:
        return self.top or DEFAULT_TOP


class BuyingRole(Match):
    """A role of the buying group, filled by an engaged contact whose `field` passes the test."""

    name: str = Field(min_length=1)
    field: str


class AccountScoreWeights(StrictModel):
    """The account score: fit and engagement weighed."""

    fit: Number = 0.3
    engagement: Number = 0.7


class AccountCondition(StrictModel):
    """One way into an account stage: every test given must hold (the stage's `when` lists the ways in)."""

    fit: Match | None = None
    engagement: Match | None = None
    score: Match | None = None
    grade: Match | None = None
    engaged_contacts: Match | None = None
    #: How many buying-group roles engaged contacts fill.
    coverage: Match | None = None
    #: Roles of the buying group that must all be filled.
    roles: tuple[str, ...] = ()
    #: Days since the latest engaging activity of any contact (missing when none ever engaged).
    recency_days: Match | None = None
    label: str | None = None

    @model_validator(mode="after")
    def _one_test_at_least(self) -> AccountCondition:
        if not self.roles and all(self.value_test(name) is None for name in CONDITION_VALUES):
            raise ValueError(f"an account condition needs at least one of {', '.join(CONDITION_VALUES)}, roles")
        return self

    def value_test(self, name: str) -> Match | None:
        return getattr(self, name)


class AccountStage(StrictModel):
    name: str = Field(min_length=1)
    when: tuple[AccountCondition, ...] = ()
    #: Entering this stage creates a task for the account owner.
    notify: bool = False


class AccountsModel(StrictModel):
    fit: FitModel = FitModel()
    engagement: AccountEngagement = AccountEngagement()
    buying_group: tuple[BuyingRole, ...] = ()
    score: AccountScoreWeights = AccountScoreWeights()
    stages: tuple[AccountStage, ...] = Field(min_length=1)

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(stage.name for stage in self.stages)

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(role.name for role in self.buying_group)
