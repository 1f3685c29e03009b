"""Customers coming back: when a customer's engagement resumed after a quiet period (the model's lifecycle.reengaged).

One definition serves both uses: the scoring run flags the customer (`ScoreFrame.reengaged`), and the sync keys the
returning-customer task by the moment of the activity that brought the customer back
(`connector/scoring/customer_returns.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from connector.scoring.behavior import SECONDS_PER_DAY, Contributions
from connector.scoring.model import ScoringModel
from connector.scoring.scores import NEVER, ActivityDecay, in_window
from connector.scoring.stages import StageResult

if TYPE_CHECKING:  # frame.py builds on this module
    from connector.scoring.frame import ActivityArrays

CUSTOMER_STAGE = "customer"


def return_moments(
    model: ScoringModel,
    stages: StageResult,
    activities: ActivityArrays,
    contributions: Contributions,
    decay: ActivityDecay,
    as_of: int,
) -> np.ndarray:
    """Per contact, the latest engaging activity in its window that came after `quiet_days` without engaging (a
    customer's first engaging activity ever counts too); NEVER for everyone else and for non-customers."""
    size = len(stages.stage)
    moments = np.full(size, NEVER, dtype=np.int64)
    policy = model.lifecycle.reengaged
    if policy is None or CUSTOMER_STAGE not in model.stage_names:
        return moments
    is_customer = stages.stage == model.stage_names.index(CUSTOMER_STAGE)
    engaging = np.flatnonzero((contributions.nominal > 0) & is_customer[activities.contact_index])
    order = engaging[np.lexsort((activities.occurred_at[engaging], activities.contact_index[engaging]))]
    contact, moment = activities.contact_index[order], activities.occurred_at[order]
    gap = np.full(len(order), np.inf)
    same_contact = contact[1:] == contact[:-1]
    gap[1:][same_contact] = (moment[1:] - moment[:-1])[same_contact]
    window = in_window(moment, as_of, decay.subset(order))
    returning = window & (gap >= policy.quiet_days * SECONDS_PER_DAY)
    np.maximum.at(moments, contact[returning], moment[returning])
    return moments
