"""How well each score ranked the contacts that went on to win: AUC and top-decile lift, with no leakage.

The scores are those in force `won_within_days` before the report's moment (each contact's latest score history
row at or before then); a contact counts as won when one of its won outcomes closed in the days after. Contacts
not scored by then, or already won by then, are left out. So the figure says how well the scores of that day
foretold the wins that followed, and nothing that happened later can have raised them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from connector.analytics.funnel import DAY_SECONDS, Journeys
from connector.analytics.measures import MIN_PER_CLASS, auc, enough_outcomes, lift
from connector.analytics.score_history import MEASURED_SCORES, ScoreHistory
from connector.store.types import from_epoch

TOP_SHARE = 0.1


@dataclass(frozen=True)
class ScoreRanking:
    score: str
    auc: float | None
    #: Won rate of the top 10% by this score over the won rate of all measured contacts.
    top_decile_lift: float | None


@dataclass(frozen=True)
class Ranking:
    won_within_days: int
    scored_by: datetime
    contacts: int
    won: int
    scores: tuple[ScoreRanking, ...]
    #: Why there are no figures ("too few outcomes ..."), else None.
    note: str | None


def rank_scores(history: ScoreHistory, journeys: Journeys, until: int, won_within_days: int) -> Ranking:
    scored_by = until - won_within_days * DAY_SECONDS
    rows = history.snapshot(scored_by)
    won_at = journeys.reached["won"][journeys.positions(history.contact_ids[rows])]
    measured = ~(won_at <= scored_by)  # NaN (never won) compares False: kept
    rows, won_at = rows[measured], won_at[measured]
    positive = won_at <= until
    note = None if enough_outcomes(positive) else _too_few(positive, won_within_days, from_epoch(scored_by))
    scores = tuple(
        ScoreRanking(
            name,
            None if note else auc(history.scores[name][rows], positive),
            None if note else lift(history.scores[name][rows], positive, TOP_SHARE),
        )
        for name in MEASURED_SCORES
    )
    won = int(np.count_nonzero(positive))
    return Ranking(won_within_days, from_epoch(scored_by), len(rows), won, scores, note)


def _too_few(positive: np.ndarray, days: int, scored_by: datetime) -> str:
    won = int(np.count_nonzero(positive))
    return (
        f"too few outcomes: needs at least {MIN_PER_CLASS} contacts won and {MIN_PER_CLASS} not won within {days} "
        f"days of being scored (scores of {scored_by:%Y-%m-%d}); has {won} won of {len(positive)} scored"
    )
