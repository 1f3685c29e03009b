"""Per-rule evidence of each contact at a moment: how many activities each behaviour rule counted, which fit rules
held. What the point suggestions regress winning on.

It comes from one replay's frame at the last moment: behaviour caps apply in time order, so what an activity
counted does not depend on later activities, and the evidence at an earlier moment is the same frame cut at that
moment. A behaviour rule's evidence is in activities (points counted / the rule's points, caps included), so
that new points for the rule give a lead score of exactly sum(points x evidence), caps scaled along.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from connector.analytics.cohorts import Cohort
from connector.scoring.fit import FitRuleRef
from connector.scoring.model import ScoringModel
from connector.scoring.model_behavior import BehaviorRule
from connector.scoring.replay import Replay, ReplayInputs


@dataclass(frozen=True)
class Evidence:
    """One row per (moment, cohort member): behaviour rule columns first, then fit rule columns."""

    features: np.ndarray
    won: np.ndarray
    behavior_rules: tuple[BehaviorRule, ...]
    fit_rules: tuple[FitRuleRef, ...]
    behavior_points: np.ndarray
    fit_points: np.ndarray

    @property
    def behavior(self) -> np.ndarray:
        return self.features[:, : len(self.behavior_rules)]

    @property
    def fit(self) -> np.ndarray:
        return self.features[:, len(self.behavior_rules) :]


@dataclass(frozen=True)
class _CountedActivities:
    """The activities a rule matched, in time order, each with the evidence it adds (activities counted)."""

    contact: np.ndarray
    rule: np.ndarray
    occurred_at: np.ndarray
    units: np.ndarray


def evidence_at(inputs: ReplayInputs, replay: Replay, cohorts: Sequence[Cohort]) -> Evidence:
    """The evidence of every cohort's members at its moment (all moments at or before the replay's)."""
    model = inputs.model
    counted = _counted_activities(model, inputs, replay)
    fit_held = (replay.frame.fit.rule_points != 0).T.astype(np.float32)
    rows, won = [], []
    for cohort in cohorts:
        behavior = _behavior_at(counted, cohort.moment, len(model.behavior.rules), len(replay.contact_ids))
        rows.append(np.hstack([behavior[cohort.members], fit_held[cohort.members]]))
        won.append(cohort.won_members)
    fit_rules = replay.frame.fit.rules
    return Evidence(
        features=np.vstack(rows) if rows else np.zeros((0, len(model.behavior.rules) + len(fit_rules)), np.float32),
        won=np.concatenate(won) if won else np.zeros(0, dtype=bool),
        behavior_rules=model.behavior.rules,
        fit_rules=fit_rules,
        behavior_points=np.array([rule.points for rule in model.behavior.rules], dtype=np.float64),
        fit_points=np.array([ref.rule.points for ref in fit_rules], dtype=np.float64),
    )


def _counted_activities(model: ScoringModel, inputs: ReplayInputs, replay: Replay) -> _CountedActivities:
    frame = replay.frame
    matched = np.flatnonzero(frame.rule_index >= 0)
    rule = frame.rule_index[matched]
    points = np.array([each.points for each in model.behavior.rules], dtype=np.float64)[rule]
    # A rule of 0 points counts nothing after caps: its evidence is the number of activities it matched.
    units = np.where(points != 0, frame.contributions.counted[matched] / np.where(points != 0, points, 1.0), 1.0)
    activities = inputs.activities
    order = np.argsort(activities.occurred_at[matched], kind="stable")
    return _CountedActivities(
        activities.contact_index[matched][order], rule[order], activities.occurred_at[matched][order], units[order]
    )


def _behavior_at(counted: _CountedActivities, moment: int, rules: int, size: int) -> np.ndarray:
    cut = int(np.searchsorted(counted.occurred_at, moment, side="right"))
    cell = counted.contact[:cut] * rules + counted.rule[:cut]
    totals = np.bincount(cell, weights=counted.units[:cut], minlength=size * rules)
    return totals.reshape(size, rules).astype(np.float32)
