"""Evaluating a `Match` on one value, or on a whole contact column at once (once per distinct value)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from connector.scoring.model_types import Match


@dataclass(frozen=True)
class TextColumn:
    """A text column factorized: each row's code points into `uniques`, so a rule runs once per distinct value."""

    codes: np.ndarray
    uniques: tuple[str | None, ...]

    @classmethod
    def from_values(cls, values: Sequence[str | None]) -> TextColumn:
        # dict.fromkeys and map run in C: one Python step per distinct value, none per row
        index: dict[str | None, int] = dict.fromkeys(values)  # type: ignore[arg-type]
        for code, value in enumerate(index):
            index[value] = code
        codes = np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
        return cls(codes, tuple(index))

    def missing(self) -> np.ndarray:
        return np.array([is_missing(value) for value in self.uniques], dtype=bool)[self.codes]


Column = TextColumn | np.ndarray


def is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def value_matches(match: Match, value: object) -> bool:
    """Whether one value (text, number, bool or None) passes every test of the condition."""
    if is_missing(value):
        return bool(match.missing)
    if match.missing:
        return False
    if isinstance(value, bool) or isinstance(match.equals, bool):
        return match.equals is None or _as_bool(value) == match.equals
    if isinstance(value, int | float):
        return _number_matches(match, float(value))
    return _text_matches(match, str(value))


def _as_bool(value: object) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in {"true", "1", "yes"}


def _text_matches(match: Match, value: str) -> bool:
    folded = value.strip().casefold()
    if match.equals is not None and folded != _text(match.equals):
        return False
    if match.in_ is not None and folded not in _folded_texts(match.in_):
        return False
    if match.pattern is not None and not match.pattern.search(value):
        return False
    if match.min is not None or match.max is not None:
        number = _parse_number(value)
        return number is not None and _in_range(match, number)
    return True


def _number_matches(match: Match, value: float) -> bool:
    if match.equals is not None and _parse_number(match.equals) != value:
        return False
    if match.in_ is not None and value not in _numbers(match.in_):
        return False
    if match.pattern is not None and not match.pattern.search(f"{value:g}"):
        return False
    return _in_range(match, value)


def _in_range(match: Match, value: float) -> bool:
    return (match.min is None or value >= match.min) and (match.max is None or value <= match.max)


# A rule's `in` list is tested against every distinct value of a column: fold it once, not once per value.
@lru_cache(maxsize=1024)
def _folded_texts(items: tuple[object, ...]) -> frozenset[str]:
    return frozenset(_text(item) for item in items)


@lru_cache(maxsize=1024)
def _numbers(items: tuple[object, ...]) -> frozenset[float | None]:
    return frozenset(_parse_number(item) for item in items)


def _text(item: object) -> str:
    return f"{item:g}" if isinstance(item, float) else str(item).strip().casefold()


def _parse_number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def column_matches(match: Match, column: Column) -> np.ndarray:
    """The condition over a whole column: per distinct value for text, vectorized for numbers and flags."""
    if isinstance(column, TextColumn):
        per_value = np.array([value_matches(match, value) for value in column.uniques], dtype=bool)
        return per_value[column.codes] if len(per_value) else np.zeros(len(column.codes), dtype=bool)
    if column.dtype == bool:
        if match.equals is None:
            return np.full(len(column), not match.missing, dtype=bool)
        return column == _as_bool(match.equals)
    return _numeric_column_matches(match, column)


def _numeric_column_matches(match: Match, column: np.ndarray) -> np.ndarray:
    missing = np.isnan(column)
    if match.missing is not None:
        holds = missing.copy() if match.missing else ~missing
        if match.missing:
            return holds
    else:
        holds = ~missing
    if match.equals is not None:
        holds &= column == _parse_number(match.equals)
    if match.in_ is not None:
        holds &= np.isin(column, [_parse_number(item) for item in match.in_])
    if match.min is not None:
        holds &= column >= match.min
    if match.max is not None:
        holds &= column <= match.max
    return holds


def column_missing(column: Column) -> np.ndarray:
    if isinstance(column, TextColumn):
        return column.missing()
    if column.dtype == bool:
        return np.zeros(len(column), dtype=bool)
    return np.isnan(column)
