"""Fit (explicit) scoring: rules on contact fields with per-field caps, disqualifiers and grade letters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from connector.scoring.conditions import Column, column_matches, column_missing
from connector.scoring.model import FitModel, FitRule

NOT_DISQUALIFIED = -1


@dataclass(frozen=True)
class FitRuleRef:
    field: str
    index: int
    rule: FitRule

    @property
    def label(self) -> str:
        return self.rule.label or f"{self.field} {self.rule.describe()}"


@dataclass(frozen=True)
class FitResult:
    scores: np.ndarray
    #: One row per rule in `rules`: the points each contact got from it before the field cap.
    rule_points: np.ndarray
    rules: tuple[FitRuleRef, ...]
    #: Index into the model's disqualifiers of the first that holds, or NOT_DISQUALIFIED.
    disqualified_by: np.ndarray
    grades: np.ndarray | None
    #: Field name -> contacts whose empty value made that field's rules be skipped.
    skipped: Mapping[str, int]


def fit_rules(fit: FitModel) -> tuple[FitRuleRef, ...]:
    return tuple(
        FitRuleRef(field, index, rule) for field, spec in fit.fields.items() for index, rule in enumerate(spec.rules)
    )


def score_fit(fit: FitModel, columns: Mapping[str, Column], size: int) -> FitResult:
    rules = fit_rules(fit)
    rule_points = np.zeros((len(rules), size), dtype=np.float64)
    for row, ref in enumerate(rules):
        rule_points[row] = np.where(column_matches(ref.rule, columns[ref.field]), ref.rule.points, 0.0)
    scores = np.zeros(size, dtype=np.float64)
    for field, spec in fit.fields.items():
        rows = [row for row, ref in enumerate(rules) if ref.field == field]
        field_total = rule_points[rows].sum(axis=0)
        scores += np.minimum(field_total, spec.cap) if spec.cap is not None else field_total
    return FitResult(
        scores=scores,
        rule_points=rule_points,
        rules=rules,
        disqualified_by=_disqualified_by(fit, columns, size),
        grades=grade_letters(fit, scores),
        skipped=_skipped_for_missing(fit, columns),
    )


def _disqualified_by(fit: FitModel, columns: Mapping[str, Column], size: int) -> np.ndarray:
    first = np.full(size, NOT_DISQUALIFIED, dtype=np.int64)
    for index, rule in enumerate(fit.disqualifiers):
        holds = column_matches(rule, columns[rule.field]) & (first == NOT_DISQUALIFIED)
        first[holds] = index
    return first


def grade_letters(fit: FitModel, scores: np.ndarray) -> np.ndarray | None:
    """The letter of each fit score (`fit.grades`: lowest fit per letter, A first; below the last: F)."""
    if not fit.grades:
        return None
    letters = list(fit.grades)
    conditions = [scores >= fit.grades[letter] for letter in letters]
    return np.select(conditions, letters, default="F")


def _skipped_for_missing(fit: FitModel, columns: Mapping[str, Column]) -> dict[str, int]:
    skipped = {}
    for field, spec in fit.fields.items():
        if all(rule.missing for rule in spec.rules):
            continue
        count = int(column_missing(columns[field]).sum())
        if count:
            skipped[field] = count
    return skipped
