"""When each re-engaged customer came back, read from the store for the sync's returning-customer tasks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy.engine import Connection

from connector.scoring.frame import score_frame
from connector.scoring.model import ScoringModel
from connector.scoring.returning import return_moments
from connector.scoring.scores import NEVER
from connector.scoring.snapshot import load_targets, read_activities, read_contacts, read_kinds, read_previous


def returning_moments(
    connection: Connection, model: ScoringModel, contact_ids: Sequence[int], as_of: int
) -> dict[int, int]:
    """Contact id -> epoch seconds of the activity that brought each of these (re-engaged) customers back, scored
    as the run at `as_of` scored them; read-only (a temporary table of targets, dropped with the transaction's end
    or by the next targeted read)."""
    if not contact_ids:
        return {}
    load_targets(connection, np.array(sorted(contact_ids), dtype=np.int64))
    contacts = read_contacts(connection, model, True, as_of)
    activities = read_activities(connection, contacts, as_of, True)
    _stored, previous = read_previous(connection, model, contacts, True)
    frame = score_frame(model, read_kinds(connection, model), contacts, activities, as_of, previous)
    moments = return_moments(model, frame.stages, activities, frame.contributions, frame.decay, as_of)
    return {int(cid): int(at) for cid, at in zip(contacts.ids.tolist(), moments.tolist(), strict=True) if at != NEVER}
