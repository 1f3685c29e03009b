"""When a generated contact entered each lifecycle stage: the `lifecyclestage` history the sandbox serves through
`propertiesWithHistory`.

A contact climbs HubSpot's default stages in order up to the stage it holds now: lead when created, marketing
qualified at its first hand-raise (a form, a webinar registration, a demo request), sales qualified at the first
sales touch after that, opportunity when its deal was created and customer when that deal was won. A stage with no
such moment is placed evenly between its neighbours, so the history always climbs and never passes `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
HAND_RAISES = frozenset({"form_fill", "webinar_registered", "demo_scheduled"})
SALES_TOUCHES = frozenset({"call", "meeting", "demo_attended"})
STEP = timedelta(seconds=1)


def lifecycle_history(
    final: str, created: datetime, touches: Sequence[Any], deal: Any | None, now: datetime
) -> list[tuple[str, datetime]]:
    """(stage, when entered), oldest first, ending at ``final``; a stage outside the default ladder stands alone."""
    if final not in STAGES[1:]:
        return [(final, created)]
    path = STAGES[1 : STAGES.index(final) + 1]
    known = _moments(created, touches, deal)
    end = min(max([created + timedelta(days=1), *(touch.at for touch in touches)]), now)
    entered: list[tuple[str, datetime]] = []
    for position, stage in enumerate(path):
        previous = entered[-1][1] if entered else created - STEP
        moment = known.get(stage)
        if moment is None or moment <= previous:
            remaining = len(path) - position
            moment = previous + max((end - previous) / (remaining + 1), STEP)
        entered.append((stage, min(moment, now)))
    return entered


def _moments(created: datetime, touches: Sequence[Any], deal: Any | None) -> dict[str, datetime]:
    known = {"lead": created}
    raised = next((touch.at for touch in touches if touch.kind in HAND_RAISES and touch.at >= created), None)
    if raised is not None:
        known["marketingqualifiedlead"] = raised
        sold = next((touch.at for touch in touches if touch.kind in SALES_TOUCHES and touch.at > raised), None)
        if sold is not None:
            known["salesqualifiedlead"] = sold
    if deal is not None:
        known["opportunity"] = deal.created_at
        if deal.won and deal.closed_at is not None:
            known["customer"] = deal.closed_at
    return known
