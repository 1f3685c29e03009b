"""The funnel MQL -> SQL -> opportunity -> won: when each live contact reached each step, and rates per group.

A contact reaches MQL when it first enters any stage from `mql` up to `sql` in the model's order (skipping MQL on
the way to SQL still counts), SQL when it first enters `sql`; the moment is when the stage began to hold (the
transition's `triggered_at`, else when it was recorded). It reaches "opportunity" when the first outcome it
belongs to was created (or closed, when the CRM gave no creation time), and "won" when its first won outcome
closed. Only what happened up to the report's moment counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from connector.analytics.store_reads import epoch_seconds, live_contacts, read_columns
from connector.errors import InputError
from connector.scoring.model import ScoringModel
from connector.store.tables import Contact, Outcome, OutcomeContact, StageTransition

if TYPE_CHECKING:
    from connector.analytics.segments import Segments

STEPS = ("mql", "sql", "opportunity", "won")
#: The model's stage names the funnel starts from.
QUALIFIED_STAGES = ("mql", "sql")
DAY_SECONDS = 86_400
NO_GROUP = "(none)"


@dataclass(frozen=True)
class Step:
    """One step of a funnel row: how many reached it, and how many of the previous step's contacts went on."""

    name: str
    reached: int
    #: Contacts that reached the previous step and this one (None on the first step).
    went_on: int | None = None
    #: went_on / contacts that reached the previous step.
    rate: float | None = None
    #: Median days from the previous step to this one, over `went_on` (a step reached first counts 0 days).
    median_days: float | None = None


@dataclass(frozen=True)
class FunnelRow:
    group: str
    steps: tuple[Step, ...]
    #: Contacts that reached MQL and won.
    mql_won: int

    @property
    def mql_to_won(self) -> float | None:
        """Of the contacts that reached MQL, the share that won."""
        mqls = self.steps[0].reached
        return self.mql_won / mqls if mqls else None


@dataclass(frozen=True)
class Journeys:
    """Per live contact (sorted by id): the epoch second each step was reached (NaN: not reached)."""

    contact_ids: np.ndarray
    reached: Mapping[str, np.ndarray]
    #: When the contact's first MQL-range transition was recorded: the score history holds its score then.
    mql_recorded_at: np.ndarray
    #: Belongs to an outcome that closed lost (up to the report's moment).
    lost: np.ndarray
    fields: Mapping[str, np.ndarray]

    def positions(self, contact_ids: np.ndarray) -> np.ndarray:
        """Where each of these (live) contacts sits in the arrays."""
        return np.searchsorted(self.contact_ids, contact_ids)

    def has(self, step: str) -> np.ndarray:
        return ~np.isnan(self.reached[step])


def read_journeys(connection: Connection, model: ScoringModel, until: int, fields: tuple[str, ...]) -> Journeys:
    """Set-based: one grouped query per source (transitions, outcomes), spread onto the live contacts; `until` in
    epoch seconds."""
    query = select(Contact.id, *[getattr(Contact, name) for name in fields]).where(live_contacts())
    ids, *values = read_columns(connection, query)
    contact_ids = np.asarray(ids, dtype=np.int64)
    order = np.argsort(contact_ids)
    contact_ids = contact_ids[order]
    mql, sql = (_stage_range(model, name) for name in QUALIFIED_STAGES)
    mql_recorded, mql_held = _spread(contact_ids, _stage_reached(connection, mql, until))
    _, sql_held = _spread(contact_ids, _stage_reached(connection, sql, until))
    opportunity, won, lost = _spread(contact_ids, _outcomes(connection, until))
    return Journeys(
        contact_ids,
        {"mql": mql_held, "sql": sql_held, "opportunity": opportunity, "won": won},
        mql_recorded,
        lost > 0,
        {name: np.asarray(column, dtype=object)[order] for name, column in zip(fields, values, strict=True)},
    )


def _stage_range(model: ScoringModel, stage: str) -> list[str]:
    names = list(model.stage_names)
    for needed in QUALIFIED_STAGES:
        if needed not in names:
            raise InputError(
                f"the model {model.name!r} has no stage named {needed!r}: the report's funnel starts at the stages "
                f"named {' and '.join(QUALIFIED_STAGES)}"
            )
    return names[names.index(stage) : names.index(QUALIFIED_STAGES[-1]) + 1]


def _stage_reached(connection: Connection, stages: list[str], until: int):
    at = epoch_seconds(StageTransition.at)
    query = (
        select(
            StageTransition.contact_id,
            func.min(at),
            func.min(func.coalesce(epoch_seconds(StageTransition.triggered_at), at)),
        )
        .where(StageTransition.to_stage.in_(stages), epoch_seconds(StageTransition.at) <= until)
        .group_by(StageTransition.contact_id)
    )
    return read_columns(connection, query)


def _outcomes(connection: Connection, until: int):
    created = func.coalesce(epoch_seconds(Outcome.created_at), epoch_seconds(Outcome.closed_at))
    closed_by_then = Outcome.closed & (epoch_seconds(Outcome.closed_at) <= until)
    query = (
        select(
            OutcomeContact.contact_id,
            func.min(created),
            func.min(case((closed_by_then & Outcome.won, epoch_seconds(Outcome.closed_at)))),
            func.max(case((closed_by_then & ~Outcome.won, 1), else_=0)),
        )
        .join(Outcome, Outcome.id == OutcomeContact.outcome_id)
        .where(Outcome.deleted.is_(False), created <= until)
        .group_by(OutcomeContact.contact_id)
    )
    return read_columns(connection, query)


def _spread(contact_ids: np.ndarray, columns: list[tuple]) -> list[np.ndarray]:
    """Per-contact values of a grouped query, aligned on `contact_ids` (NaN where the query had no row)."""
    ids = np.asarray(columns[0], dtype=np.int64)
    where = np.searchsorted(contact_ids, ids)
    live = where < len(contact_ids)
    live[live] = contact_ids[where[live]] == ids[live]  # deleted and merged contacts are not in contact_ids
    spread = []
    for column in columns[1:]:
        values = np.full(len(contact_ids), np.nan)
        values[where[live]] = np.asarray(column, dtype=np.float64)[live]  # None (SQL NULL) becomes NaN
        spread.append(values)
    return spread


def funnel_row(group: str, moments: Mapping[str, np.ndarray]) -> FunnelRow:
    """The funnel of the contacts whose step moments these are (`Journeys.reached`, or a selection of it)."""
    steps = [Step(STEPS[0], int(np.count_nonzero(~np.isnan(moments[STEPS[0]]))))]
    for previous, step in itertools.pairwise(STEPS):
        steps.append(_step(step, moments[previous], moments[step]))
    won_after_mql = ~np.isnan(moments["mql"]) & ~np.isnan(moments["won"])
    return FunnelRow(group, tuple(steps), int(np.count_nonzero(won_after_mql)))


def _step(name: str, before: np.ndarray, at: np.ndarray) -> Step:
    came, here = ~np.isnan(before), ~np.isnan(at)
    both = came & here
    went_on, base = int(np.count_nonzero(both)), int(np.count_nonzero(came))
    days = np.maximum(at[both] - before[both], 0) / DAY_SECONDS
    return Step(
        name,
        int(np.count_nonzero(here)),
        went_on,
        went_on / base if base else None,
        float(np.median(days)) if went_on else None,
    )


def funnel_by(journeys: Journeys, segments: Segments) -> tuple[FunnelRow, ...]:
    """One row per label of the contacts that reached MQL or an opportunity (a None label leaves a contact out).

    Rows come in the segments' order when they have one, else largest MQL count first."""
    labels = segments.labels
    active = (journeys.has("mql") | journeys.has("opportunity")) & np.asarray([label is not None for label in labels])
    text = np.asarray([str(label) for label in labels[active]], dtype=object)
    names, group = np.unique(text, return_inverse=True) if len(text) else (np.zeros(0, dtype=object), text)
    members = np.argsort(group, kind="stable")  # contacts grouped: group g is members[starts[g]:starts[g + 1]]
    starts = np.searchsorted(group[members], np.arange(len(names) + 1))
    moments = {step: at[active][members] for step, at in journeys.reached.items()}
    rows = {
        str(name): funnel_row(str(name), {step: at[starts[g] : starts[g + 1]] for step, at in moments.items()})
        for g, name in enumerate(names)
    }
    if segments.order is not None:
        return tuple(rows[name] for name in segments.order if name in rows)
    return tuple(sorted(rows.values(), key=lambda row: (-row.steps[0].reached, -row.steps[2].reached, row.group)))
