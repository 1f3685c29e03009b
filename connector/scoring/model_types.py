"""The building blocks of the model file's schema: the strict pydantic base, numbers, and `Match` (one value's test)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, Strict, field_validator, model_validator

#: Points and thresholds must be written as numbers: "5" or "ten" in the file is an error, not a guess.
Number = Annotated[float, Strict()]
PositiveNumber = Annotated[float, Strict(), Field(gt=0)]


class StrictModel(BaseModel):
    """Every key of the model file is known (a typo is an error), and a loaded model never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Match(StrictModel):
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
