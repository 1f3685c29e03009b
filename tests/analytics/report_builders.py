"""Builders for report tests: score history rows, stage transitions, outcomes and current scores, put in the store
directly so each test states the history it is about and the figures can be worked out by hand."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Engine

from connector.store import session_scope
from connector.store.tables import ContactScore, Outcome, OutcomeContact, ScoreChange, StageTransition, SyncRun
from tests.scoring.builders import StoreBuilder, days_ago


class ReportStore:
    """A store with contacts whose scores, stages and outcomes each test writes down day by day (days before NOW)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._people = StoreBuilder(engine)
        self._outcomes = 0

    def contact(self, **fields) -> int:
        return self._people.contact(**fields)

    def scored(self, contact_id: int, days: float, *, stage: str = "lead", **scores: float) -> None:
        """A score history row: the contact's scores as a run `days` before NOW stored them."""
        values = {"fit": 0.0, "lead": 0.0, "engagement": 0.0, "recency": 0.0, "combined": 0.0, **scores}
        with session_scope(self.engine) as session:
            session.add(
                ScoreChange(contact_id=contact_id, stage=stage, model_version="v1", scored_at=days_ago(days), **values)
            )

    def entered(self, contact_id: int, stage: str, days: float, *, triggered_days: float | None = None) -> None:
        """A stage transition recorded `days` before NOW (the stage held from `triggered_days` when given)."""
        triggered = None if triggered_days is None else days_ago(triggered_days)
        with session_scope(self.engine) as session:
            session.add(
                StageTransition(
                    contact_id=contact_id, to_stage=stage, at=days_ago(days), reason="test", model_version="v1",
                    triggered_at=triggered,
                )
            )  # fmt: skip

    def outcome(
        self, contact_ids: Iterable[int], *, created: float | None, closed: float | None = None, won: bool = False
    ) -> None:
        """An opportunity created and (when `closed` is given) closed won or lost, that many days before NOW."""
        self._outcomes += 1
        with session_scope(self.engine) as session:
            outcome = Outcome(
                source="import", instance="test", object_type="Opportunity", crm_id=f"O{self._outcomes}",
                closed=closed is not None, won=won and closed is not None,
                created_at=None if created is None else days_ago(created),
                closed_at=None if closed is None else days_ago(closed),
            )  # fmt: skip
            session.add(outcome)
            session.flush()
            for contact_id in contact_ids:
                session.add(OutcomeContact(outcome_id=outcome.id, contact_id=contact_id))

    def current(self, contact_id: int, reasons: list[str], *, stage: str = "lead", **scores: float) -> None:
        """The contact's current (live) scores and top reasons."""
        with session_scope(self.engine) as session:
            session.add(
                ContactScore(
                    contact_id=contact_id, stage=stage, reasons=reasons, model_version="v1", scored_at=days_ago(0),
                    **scores,
                )
            )  # fmt: skip

    def run(self, connection: str, days: float, status: str = "succeeded") -> None:
        with session_scope(self.engine) as session:
            session.add(
                SyncRun(connection=connection, started_at=days_ago(days), ended_at=days_ago(days), status=status)
            )
