"""Score groups in the model file: named groups and groups per value of an activity attribute."""

from __future__ import annotations

from pydantic import Field, model_validator

from connector.scoring.model_stages import Stage
from connector.scoring.model_types import StrictModel


class ScoreGroup(StrictModel):
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
