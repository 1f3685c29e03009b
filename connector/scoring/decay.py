"""Which engagement window and half-life each activity follows: its rule's, else its type's, else the model's.

A key a narrower level leaves out is inherited from the wider one; `half_life_days: null` there means no decay
(see `DecaySettings`). The levels are resolved once per rule and per activity type, spread over the activity kinds
with array lookups, and read per activity by kind id: no Python loop over kinds or activities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from connector.scoring.behavior import SECONDS_PER_DAY
from connector.scoring.kinds import KindTable
from connector.scoring.model import ScoringModel
from connector.scoring.model_behavior import BehaviorRule, DecaySettings
from connector.scoring.scores import ActivityDecay


@dataclass(frozen=True)
class Decay:
    """One level's resolved window and half-life, in days (half-life infinity: no decay)."""

    window_days: float
    half_life_days: float

    def narrowed(self, settings: DecaySettings | None) -> Decay:
        if settings is None:
            return self
        window = self.window_days if settings.window_days is None else settings.window_days
        half_life = self.half_life_days if settings.half_life_days is None else settings.half_life_days
        return Decay(window, half_life)


def model_decay(model: ScoringModel) -> Decay:
    engagement = model.engagement
    return Decay(engagement.window_days, np.inf if engagement.half_life_days is None else engagement.half_life_days)


def type_decay(model: ScoringModel, activity_type: str) -> Decay:
    return model_decay(model).narrowed(model.engagement.by_type.get(activity_type))


def rule_decay(model: ScoringModel, rule: BehaviorRule) -> Decay:
    return type_decay(model, rule.type).narrowed(rule)


def rule_decays(model: ScoringModel) -> tuple[Decay, ...]:
    """Per behavior rule, what its activities follow; engagement only ever holds activities a rule matched."""
    return tuple(rule_decay(model, rule) for rule in model.behavior.rules)


def has_own_decay(model: ScoringModel) -> bool:
    """Whether any type or rule narrows the model-wide window or half-life."""
    rules = model.behavior.rules
    return bool(model.engagement.by_type) or any(
        rule.window_days is not None or rule.half_life_days is not None for rule in rules
    )


def activity_decay(model: ScoringModel, kinds: KindTable, kind_id: np.ndarray) -> ActivityDecay:
    """Per activity (by its kind id), the window and half-life its engagement points follow."""
    if not has_own_decay(model):
        return ActivityDecay.uniform(model.engagement, len(kind_id))
    window, half_life = _decay_by_kind(model, kinds)
    # the last row is the model's own: kinds beyond the table (created after it was read) follow it
    row = np.minimum(kind_id, len(window) - 1)
    return ActivityDecay(window[row], half_life[row])


def _decay_by_kind(model: ScoringModel, kinds: KindTable) -> tuple[np.ndarray, np.ndarray]:
    """Per kind id plus one row for the model's own: window seconds and half-life days."""
    by_type = _table([type_decay(model, name) for name in model.activity_types] + [model_decay(model)])
    by_kind = by_type[kinds.type_of_kind]  # UNKNOWN_TYPE (-1) reads the model's own row
    if model.behavior.rules:
        by_rule = _table(list(rule_decays(model)))
        matched = kinds.rule_of_kind >= 0
        by_kind[matched] = by_rule[kinds.rule_of_kind[matched]]
    by_kind = np.vstack([by_kind, by_type[-1:]])
    return np.round(by_kind[:, 0] * SECONDS_PER_DAY), by_kind[:, 1].copy()


def _table(levels: list[Decay]) -> np.ndarray:
    return np.array([(level.window_days, level.half_life_days) for level in levels], dtype=np.float64)
