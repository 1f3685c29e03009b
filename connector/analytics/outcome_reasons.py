"""The reasons most common among won contacts versus lost ones, from the stored top reasons.

The store keeps each contact's current top reasons (`contact_score.reasons`), not their history, so this compares
won and lost contacts as they are now: it describes them, it does not foretell (the AUC and lift do that).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from connector.analytics.funnel import Journeys
from connector.analytics.measures import MIN_PER_CLASS
from connector.analytics.store_reads import read_columns
from connector.store.tables import ContactScore, OutcomeContact

SHOWN_PER_SIDE = 8
#: A reason as `connector.scoring.reasons.phrase` writes it: "Pricing page x3 +15", "VP title +20".
_REASON = re.compile(r"^(?P<label>.*?)(?: x\d+)? [+-]\S+$")


@dataclass(frozen=True)
class ReasonShare:
    reason: str
    won: int
    lost: int
    won_share: float
    lost_share: float


@dataclass(frozen=True)
class ReasonComparison:
    won_contacts: int
    lost_contacts: int
    reasons: tuple[ReasonShare, ...]
    note: str | None


def reason_label(reason: str) -> str:
    """The rule's label without the repeat count and points, so "Pricing page x3 +15" and "x2 +10" are one."""
    match = _REASON.match(reason)
    return match.group("label") if match else reason


def compare_reasons(connection: Connection, journeys: Journeys) -> ReasonComparison:
    query = select(ContactScore.contact_id, ContactScore.reasons).where(
        ContactScore.contact_id.in_(select(OutcomeContact.contact_id))
    )
    ids, reasons = read_columns(connection, query)
    ids = np.asarray(ids, dtype=np.int64)
    live = np.isin(ids, journeys.contact_ids)
    where = journeys.positions(ids[live])
    won = journeys.has("won")[where]
    lost = journeys.lost[where] & ~won
    kept = [_as_list(reasons[index]) for index in np.flatnonzero(live)]
    won_counts = _label_counts(each for each, flag in zip(kept, won, strict=True) if flag)
    lost_counts = _label_counts(each for each, flag in zip(kept, lost, strict=True) if flag)
    won_total, lost_total = int(won.sum()), int(lost.sum())
    note = None
    if won_total < MIN_PER_CLASS or lost_total < MIN_PER_CLASS:
        note = (
            f"too few outcomes: needs at least {MIN_PER_CLASS} won and {MIN_PER_CLASS} lost contacts; "
            f"has {won_total} won and {lost_total} lost"
        )
        return ReasonComparison(won_total, lost_total, (), note)
    shown = [label for label, _ in won_counts.most_common(SHOWN_PER_SIDE)]
    shown += [label for label, _ in lost_counts.most_common(SHOWN_PER_SIDE) if label not in shown]
    rows = [
        ReasonShare(label, won_counts[label], lost_counts[label], won_counts[label] / won_total,
                    lost_counts[label] / lost_total)
        for label in shown
    ]  # fmt: skip
    rows.sort(key=lambda row: (-row.won_share, row.lost_share, row.reason))
    return ReasonComparison(won_total, lost_total, tuple(rows), None)


def _as_list(stored: object) -> list:
    """A JSON column as read from the driver: text on SQLite, already decoded by psycopg on PostgreSQL."""
    return (json.loads(stored) if isinstance(stored, str) else stored) or []


def _label_counts(reason_lists: Iterable[list]) -> Counter:
    """How many contacts have each label among their reasons (a contact counts once per label)."""
    counts: Counter = Counter()
    labels: dict[str, str] = {}  # the same few phrases recur across many contacts
    for reasons in reason_lists:
        counts.update({labels.get(text) or labels.setdefault(text, reason_label(text)) for text in map(str, reasons)})
    return counts
