"""Suggested points: a regularized logistic regression of winning on per-rule evidence, on the model's own scale.

Time split: the regression learns from the cohorts of earlier moments (whose outcome horizon ends before the first
held-out moment, so no training label peeks into the test period) and the suggestion is judged on later moments
it never saw, beside the current model. Coefficients become points by one factor, chosen so that the suggested
points (fit and behaviour together) spread as widely over the training contacts as the current ones do:
thresholds such as "MQL at lead 50" keep roughly their meaning. Nothing is stored or published: the caller writes
a candidate file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Engine

from connector.analytics.backtest import Backtest, evaluate, read_history
from connector.analytics.cohorts import Cohort, require_outcomes
from connector.analytics.evidence import Evidence, evidence_at
from connector.analytics.measures import auc
from connector.analytics.suggested_model import apply_changes
from connector.errors import InputError
from connector.scoring.behavior import SECONDS_PER_DAY
from connector.scoring.model import ScoringModel
from connector.scoring.replay import ReplayInputs, replay_read
from connector.scoring.scope import ContactScope
from connector.store.types import from_epoch

#: Model-wide engagement half-lives tried (None: no decay); half-lives set per activity type or rule are kept.
HALF_LIVES = (None, 7.0, 14.0, 30.0)
#: Half-lives are compared on at most this many of the latest training moments (each is a replay per half-life).
HALF_LIFE_MOMENTS = 3
#: Negatives beyond this many training rows are sampled (every won row is kept): slopes stay unbiased.
MAX_TRAINING_ROWS = 300_000
REGULARIZATION_C = 1.0
HELD_OUT_SHARE = 1 / 3


@dataclass(frozen=True)
class TimeSplit:
    train: tuple[Cohort, ...]
    test: tuple[Cohort, ...]


@dataclass(frozen=True)
class RuleChange:
    """One rule's current and suggested points, and the evidence behind them."""

    key: str
    label: str
    points: float
    suggested: float
    coefficient: float


@dataclass(frozen=True)
class Suggestion:
    model: ScoringModel
    behavior: tuple[RuleChange, ...]
    fit: tuple[RuleChange, ...]
    half_life_days: float | None
    half_life_auc: dict[str, float | None]
    held_out: Backtest
    training_rows: int


def split_in_time(cohorts: Sequence[Cohort], horizon_days: float) -> TimeSplit:
    """Later moments held out; earlier ones trained on only when their horizon ends before the first held out."""
    held = max(1, round(len(cohorts) * HELD_OUT_SHARE))
    test = tuple(cohorts[-held:])
    horizon = horizon_days * SECONDS_PER_DAY
    train = tuple(cohort for cohort in cohorts[:-held] if cohort.moment + horizon <= test[0].moment)
    if not train:
        first, last = (from_epoch(cohorts[i].moment).date().isoformat() for i in (0, -1)) if cohorts else ("-", "-")
        raise InputError(
            f"moments from {first} to {last} are too few to train on earlier ones and test on later ones "
            f"with a {horizon_days:g}-day horizon: widen --from or shorten --every / --within"
        )
    return TimeSplit(train, test)


def suggest(
    engine: Engine,
    current: ScoringModel,
    moments: Sequence[int],
    horizon_days: float,
    scope: ContactScope | None = None,
    score: str = "combined",
) -> Suggestion:
    (inputs,), history = read_history(engine, (current,), moments[-1], scope, horizon_days)
    split = split_in_time([history.cohort(moment) for moment in moments], horizon_days)
    require_outcomes(split.train, "suggested points (training moments)")
    require_outcomes(split.test, "suggested points (held-out moments)")
    evidence = evidence_at(inputs, replay_read(inputs, inputs.until), split.train)
    coefficients = fit_coefficients(evidence)
    behavior, fit = _changes(evidence, coefficients)
    half_life, trials = _best_half_life(inputs, current, behavior, fit, split.train, score)
    suggested = apply_changes(current, behavior, fit, half_life)
    held_out = Backtest(
        evaluate(inputs, split.test, score),
        evaluate(inputs, split.test, score, suggested),
        horizon_days,
        tuple(from_epoch(cohort.moment).isoformat() for cohort in split.test),
    )
    return Suggestion(suggested, behavior, fit, half_life, trials, held_out, len(evidence.won))


def fit_coefficients(evidence: Evidence, seed: int = 0) -> np.ndarray:
    """Per feature, the change in log-odds of winning per unit of evidence (0 for evidence that never varies)."""
    from sklearn.linear_model import LogisticRegression

    rows = _training_rows(evidence.won, seed)
    features, won = evidence.features[rows].astype(np.float64), evidence.won[rows]
    spread = features.std(axis=0)
    varies = spread > 0
    standardized = (features[:, varies] - features[:, varies].mean(axis=0)) / spread[varies]
    regression = LogisticRegression(C=REGULARIZATION_C, max_iter=500).fit(standardized, won)
    coefficients = np.zeros(features.shape[1])
    coefficients[varies] = regression.coef_[0] / spread[varies]
    return coefficients


def _training_rows(won: np.ndarray, seed: int) -> np.ndarray:
    """Every won row, and the others sampled down to MAX_TRAINING_ROWS in all (case-control sampling)."""
    if len(won) <= MAX_TRAINING_ROWS:
        return np.arange(len(won))
    positives, negatives = np.flatnonzero(won), np.flatnonzero(~won)
    keep = max(MAX_TRAINING_ROWS - len(positives), 0)
    sampled = np.random.default_rng(seed).choice(negatives, size=min(keep, len(negatives)), replace=False)
    return np.sort(np.concatenate([positives, sampled]))


def _changes(evidence: Evidence, coefficients: np.ndarray) -> tuple[tuple[RuleChange, ...], tuple[RuleChange, ...]]:
    width = len(evidence.behavior_rules)
    points = _on_scale(evidence.features, np.concatenate([evidence.behavior_points, evidence.fit_points]), coefficients)
    behavior_points, fit_points = points[:width], points[width:]
    behavior = tuple(
        RuleChange(f"behavior.rules[{index}]", rule.name, rule.points, float(new), float(beta))
        for index, (rule, new, beta) in enumerate(
            zip(evidence.behavior_rules, behavior_points, coefficients[:width], strict=True)
        )
    )
    fit = tuple(
        RuleChange(f"fit.fields.{ref.field}.rules[{ref.index}]", ref.label, ref.rule.points, float(new), float(beta))
        for ref, new, beta in zip(evidence.fit_rules, fit_points, coefficients[width:], strict=True)
    )
    return behavior, fit


def _on_scale(features: np.ndarray, points: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """Coefficients times one factor, the one that gives the suggested points (fit and behaviour together) the
    spread the current points have over the training rows, rounded to whole points; the current points where the
    evidence says nothing (no spread at all). One factor keeps the regression's weighing of fit against behaviour:
    a rule that barely predicts gets few points, whichever score it belongs to."""
    current = features.astype(np.float64) @ points
    suggested = features.astype(np.float64) @ coefficients
    if not len(features) or suggested.std() == 0:
        return points.copy()
    scaled = np.round(coefficients * (current.std() / suggested.std()))
    silent = features.std(axis=0) == 0  # nobody (or everybody) had it: the outcomes say nothing about the rule
    scaled[silent] = points[silent]
    return scaled


def _best_half_life(
    inputs: ReplayInputs,
    current: ScoringModel,
    behavior: Sequence[RuleChange],
    fit: Sequence[RuleChange],
    train: Sequence[Cohort],
    score: str,
) -> tuple[float | None, dict[str, float | None]]:
    """The half-life whose `score` ranks the latest training cohorts best with the suggested points; the model's
    own when the score does not depend on engagement."""
    own = current.engagement.half_life_days
    if not _uses_engagement(current, score):
        return own, {}
    cohorts = list(train)[-HALF_LIFE_MOMENTS:]
    trials = {
        half_life: _pooled_auc(inputs, apply_changes(current, behavior, fit, half_life), cohorts, score)
        for half_life in dict.fromkeys((own, *HALF_LIVES))
    }
    best = max(trials, key=lambda half_life: -1.0 if trials[half_life] is None else trials[half_life])
    return best, {_half_life_name(half_life): value for half_life, value in trials.items()}


def _half_life_name(half_life: float | None) -> str:
    return "none" if half_life is None else f"{half_life:g}"


def _uses_engagement(model: ScoringModel, score: str) -> bool:
    if score == "engagement":
        return True
    return score == "combined" and bool(model.scores.combined.get("engagement"))


def _pooled_auc(inputs: ReplayInputs, model: ScoringModel, cohorts: Sequence[Cohort], score: str) -> float | None:
    scores, won = [], []
    for cohort in cohorts:
        values = replay_read(inputs, cohort.moment, model).frame.scores[score]
        scores.append(values[cohort.members])
        won.append(cohort.won_members)
    return auc(np.concatenate(scores), np.concatenate(won))
