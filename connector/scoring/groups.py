"""Score groups: per product line or scoring category, a lead and an engagement score (and optionally a stage).

The engine fills `ScoreFrame.group_scores` / `group_stages`; this module turns them into the one JSON document per
contact that the store keeps (`ContactScore.groups`), so a new group needs a model change, not a migration.
"""

from __future__ import annotations

import numpy as np

from connector.scoring.frame import ScoreFrame
from connector.scoring.stages import NO_STAGE

#: Stored like the contact's own scores: rounded, so a decayed value that moved by a hair is not a change.
DECIMALS = 2


def group_documents(frame: ScoreFrame) -> list[dict]:
    """Per contact, ``{group: {"lead": 40.0, "engagement": 12.5, "stage": "mql"}}`` (stage only where the group
    has stages of its own and one holds); an empty dict for every contact when the model has no groups."""
    size = len(frame.engaged)
    documents: list[dict] = [{} for _ in range(size)]
    for group, scores in frame.group_scores.items():
        columns = {name: np.round(values, DECIMALS).tolist() for name, values in scores.items()}
        names = frame.group_stage_names.get(group, ())
        stages = frame.group_stages[group].tolist() if group in frame.group_stages else None
        for position in range(size):
            entry = {name: values[position] for name, values in columns.items()}
            if stages is not None and stages[position] != NO_STAGE:
                entry["stage"] = names[stages[position]]
            documents[position][group] = entry
    return documents
