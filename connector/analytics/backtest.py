"""Backtests: how a model would have ranked and staged contacts at past moments, judged by what they later bought.

Every moment is a replay (`connector/scoring/replay.py`): scored from scratch on a read-only connection that is
rolled back, from activities up to that moment only. Nothing is stored, so a backtest never changes the live
scores, transitions, task outbox, write ledger or checkpoints, and nothing it computes can reach a CRM. The store
is read once; each moment and each model is replayed from the same arrays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sqlalchemy.engine import Engine

from connector.analytics.cohorts import Cohort, OutcomeHistory, read_outcome_history, require_outcomes
from connector.analytics.measures import auc, lift, precision_recall_at
from connector.scoring.frame import stage_label
from connector.scoring.model import ScoringModel
from connector.scoring.replay import ReplayInputs, read_replay_inputs, replay_read
from connector.scoring.scope import ContactScope
from connector.store.types import from_epoch

TOP_SHARE = 0.1


@dataclass(frozen=True)
class Period:
    """What one model did between the previous moment and `end`, and how its cohort at `end` turned out."""

    end: str
    #: Cohort contacts that reached the MQL stage (or a higher one) since the previous moment.
    mqls: int
    mqls_won: int
    cohort: int
    won: int
    auc: float | None


@dataclass(frozen=True)
class ModelBacktest:
    """One model's figures over every moment: ranking measures pooled over the moments' cohorts."""

    name: str
    version: str
    score: str
    mql_stage: str
    periods: tuple[Period, ...]
    auc: float | None
    lift: float | None
    precision: float | None
    recall: float | None
    stage_counts: dict[str, int]

    @property
    def mqls(self) -> int:
        return sum(period.mqls for period in self.periods)

    @property
    def conversion(self) -> float | None:
        """MQL -> won: the share of new MQLs that won within the horizon."""
        return sum(period.mqls_won for period in self.periods) / self.mqls if self.mqls else None


@dataclass(frozen=True)
class Backtest:
    live: ModelBacktest
    candidate: ModelBacktest
    horizon_days: float
    moments: tuple[str, ...]

    def as_json(self) -> dict:
        return {
            "horizon_days": self.horizon_days,
            "moments": list(self.moments),
            "live": _model_json(self.live),
            "candidate": _model_json(self.candidate),
        }


def backtest(
    engine: Engine,
    live: ScoringModel,
    candidate: ScoringModel,
    moments: Sequence[int],
    horizon_days: float,
    scope: ContactScope | None = None,
    score: str = "combined",
) -> Backtest:
    """Replay both models at every moment (epoch seconds, ascending) and measure them on the same cohorts."""
    (inputs, candidate_inputs), history = read_history(engine, (live, candidate), moments[-1], scope, horizon_days)
    cohorts = [history.cohort(moment) for moment in moments]
    require_outcomes(cohorts, "a backtest")
    when = tuple(from_epoch(moment).isoformat() for moment in moments)
    return Backtest(evaluate(inputs, cohorts, score), evaluate(candidate_inputs, cohorts, score), horizon_days, when)


def read_history(
    engine: Engine, models: Sequence[ScoringModel], until: int, scope: ContactScope | None, horizon_days: float
) -> tuple[list[ReplayInputs], OutcomeHistory]:
    """One read of the store, in one read-only snapshot rolled back after: what replays of each model up to
    `until` need (the activities shared), and the contacts' outcomes."""
    with engine.connect() as connection:
        try:
            first = read_replay_inputs(connection, models[0], from_epoch(until), scope)
            inputs = [first, *(first.for_model(connection, model, scope) for model in models[1:])]
            return inputs, read_outcome_history(connection, first.contacts.ids, horizon_days)
        finally:
            connection.rollback()


def evaluate(
    inputs: ReplayInputs, cohorts: Sequence[Cohort], score: str, model: ScoringModel | None = None
) -> ModelBacktest:
    """Replay `model` (default: the inputs' model) at each cohort's moment and measure it against the outcomes."""
    model = model or inputs.model
    mql = mql_stage_index(model)
    pooled = _Pooled()
    periods, previous, stage = [], None, np.zeros(0, dtype=np.int64)
    for cohort in cohorts:
        frame = replay_read(inputs, cohort.moment, model).frame
        stage, value = frame.stages.stage, frame.scores[score]
        reached = (stage >= mql) & (stage < len(model.stages))
        pooled.add(cohort, value, reached)
        if previous is not None:
            periods.append(_period(cohort, value, reached & ~previous))
        previous = reached
    return ModelBacktest(
        name=model.name,
        version=model.version,
        score=score,
        mql_stage=model.stages[mql].name,
        periods=tuple(periods),
        **pooled.measures(),
        stage_counts=_stage_counts(model, stage),
    )


def mql_stage_index(model: ScoringModel) -> int:
    """The model's MQL stage: the first stage whose entry notifies sales (`notify`), else the one named mql."""
    for index, stage in enumerate(model.stages):
        if stage.notifies:
            return index
    names = model.stage_names
    return names.index("mql") if "mql" in names else len(names) - 1


class _Pooled:
    """Scores, outcomes and MQL flags of every cohort member at every moment, for measures over all of them."""

    def __init__(self) -> None:
        self.scores: list[np.ndarray] = []
        self.won: list[np.ndarray] = []
        self.reached: list[np.ndarray] = []

    def add(self, cohort: Cohort, scores: np.ndarray, reached: np.ndarray) -> None:
        self.scores.append(scores[cohort.members])
        self.won.append(cohort.won_members)
        self.reached.append(reached[cohort.members])

    def measures(self) -> dict[str, float | None]:
        scores, won = np.concatenate(self.scores), np.concatenate(self.won)
        at_mql = precision_recall_at(np.concatenate(self.reached).astype(np.float64), won, 1.0)
        return {
            "auc": auc(scores, won),
            "lift": lift(scores, won, TOP_SHARE),
            "precision": at_mql.precision,
            "recall": at_mql.recall,
        }


def _period(cohort: Cohort, scores: np.ndarray, entered: np.ndarray) -> Period:
    new_mqls = entered & cohort.members
    return Period(
        end=from_epoch(cohort.moment).isoformat(),
        mqls=int(np.count_nonzero(new_mqls)),
        mqls_won=int(np.count_nonzero(new_mqls & cohort.won)),
        cohort=int(np.count_nonzero(cohort.members)),
        won=int(np.count_nonzero(cohort.won_members)),
        auc=auc(scores[cohort.members], cohort.won_members),
    )


def _stage_counts(model: ScoringModel, stage: np.ndarray) -> dict[str, int]:
    counts = Counter(stage.tolist())
    names = [*model.stage_names, stage_label(model, len(model.stages))]
    return {name: counts.get(index, 0) for index, name in enumerate(names)}


def _model_json(result: ModelBacktest) -> dict:
    return {**asdict(result), "mqls": result.mqls, "conversion": result.conversion}
