"""From per-activity contributions to per-contact scores: lead, engagement (window, decay), recency, combined."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from connector.scoring.behavior import SECONDS_PER_DAY
from connector.scoring.model import RecencyModel, ScoreSettings
from connector.scoring.model_behavior import EngagementModel

NEVER = -1
#: Scores are stored rounded to this many decimals, so a decayed value that moved by a hair is not a change.
DECIMALS = 2


def lead_scores(contact_index: np.ndarray, counted: np.ndarray, size: int) -> np.ndarray:
    """The all-time sum of counted points per contact."""
    return np.bincount(contact_index, weights=counted, minlength=size).astype(np.float64)


@dataclass(frozen=True)
class ActivityDecay:
    """Per activity, the engagement window (seconds) and half-life (days; infinity: no decay) its points follow.

    Aligned with the activity arrays, so a rule or activity type may carry its own; `as_of` may be one moment or
    one per activity (the fall-below search evaluates each contact at its own moment).
    """

    window_seconds: np.ndarray
    half_life_days: np.ndarray

    @classmethod
    def uniform(cls, engagement: EngagementModel, size: int) -> ActivityDecay:
        half_life = np.inf if engagement.half_life_days is None else engagement.half_life_days
        return cls(
            np.full(size, round(engagement.window_days * SECONDS_PER_DAY), dtype=np.float64),
            np.full(size, half_life, dtype=np.float64),
        )

    @cached_property
    def decays(self) -> bool:
        """Whether any activity's points decay (a finite half-life)."""
        return bool(np.isfinite(self.half_life_days).any())

    def subset(self, positions: np.ndarray) -> ActivityDecay:
        return ActivityDecay(self.window_seconds[positions], self.half_life_days[positions])


def in_window(occurred_at: np.ndarray, as_of: int | np.ndarray, decay: ActivityDecay) -> np.ndarray:
    """Whether each activity lies in (as_of - its window, as_of]."""
    return (occurred_at > as_of - decay.window_seconds) & (occurred_at <= as_of)


def decay_weights(occurred_at: np.ndarray, as_of: int | np.ndarray, decay: ActivityDecay) -> np.ndarray:
    """0.5 ** (age in days / half-life); 1 where the half-life is infinite."""
    if not np.isfinite(decay.half_life_days).any():  # nothing decays: skip the power over every activity
        return np.ones(np.broadcast(occurred_at, as_of).shape)
    age_days = (as_of - occurred_at) / SECONDS_PER_DAY
    return np.power(0.5, age_days / decay.half_life_days)


def engagement_contributions(
    occurred_at: np.ndarray, counted: np.ndarray, as_of: int | np.ndarray, decay: ActivityDecay
) -> np.ndarray:
    """Each activity's share of the engagement score: its counted points inside its window, decayed."""
    inside = in_window(occurred_at, as_of, decay)
    return np.where(inside, counted * decay_weights(occurred_at, as_of, decay), 0)


def last_engaged(contact_index: np.ndarray, nominal: np.ndarray, occurred_at: np.ndarray, size: int) -> np.ndarray:
    """Per contact, the time of the latest activity whose rule gives positive points; NEVER when none."""
    latest = np.full(size, NEVER, dtype=np.int64)
    engaging = nominal > 0
    np.maximum.at(latest, contact_index[engaging], occurred_at[engaging])
    return latest


def recency_scores(latest: np.ndarray, as_of: int | np.ndarray, recency: RecencyModel) -> np.ndarray:
    """Points of the first band (narrowest first) that the days since the last engaging activity fall within."""
    scores = np.zeros(len(latest), dtype=np.float64)
    age = as_of - latest
    assigned = latest == NEVER
    for band in recency.bands:
        inside = ~assigned & (age <= band.within_days * SECONDS_PER_DAY)
        scores[inside] = band.points
        assigned |= inside
    return scores


def finished_scores(raw: dict[str, np.ndarray], settings: ScoreSettings) -> dict[str, np.ndarray]:
    """From the raw parts (fit, lead, engagement, recency) to the scores stages test: floors, then combined."""
    scores = apply_floors(raw, settings)
    scores["combined"] = combined_score(scores, settings, len(raw["fit"]))
    return apply_floors(scores, settings)


def apply_floors(scores: dict[str, np.ndarray], settings: ScoreSettings) -> dict[str, np.ndarray]:
    return {
        name: np.maximum(values, settings.floors[name]) if name in settings.floors else values
        for name, values in scores.items()
    }


def combined_score(scores: dict[str, np.ndarray], settings: ScoreSettings, size: int) -> np.ndarray:
    """The weighted sum of the named parts; without weights, fit + lead."""
    weights = settings.combined or {"fit": 1.0, "lead": 1.0}
    total = np.zeros(size, dtype=np.float64)
    for name, weight in weights.items():
        total += weight * scores[name]
    return total
