"""Builders for report tests: score history rows, stage transitions, outcomes and current scores, put in the store
directly so each test states the history it is about and the figures can be worked out by hand."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

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
        self._pending: list | None = None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Score rows, transitions and current scores added inside are written in one transaction at the end."""
        self._pending = []
        yield
        with session_scope(self.engine) as session:
            session.add_all(self._pending)
        self._pending = None

    def _add(self, row) -> None:
        if self._pending is not None:
            self._pending.append(row)
            return
        with session_scope(self.engine) as session:
            session.add(row)

    def contact(self, **fields) -> int:
        return self._people.contact(**fields)

    def scored(self, contact_id: int, days: float, *, stage: str = "lead", **scores: float) -> None:
        """A score history row: the contact's scores as a run `days` before NOW stored them."""
        values = {"fit": 0.0, "lead": 0.0, "engagement": 0.0, "recency": 0.0, "combined": 0.0, **scores}
        self._add(
            ScoreChange(contact_id=contact_id, stage=stage, model_version="v1", scored_at=days_ago(days), **values)
        )

    def entered(self, contact_id: int, stage: str, days: float, *, triggered_days: float | None = None) -> None:
        """A stage transition recorded `days` before NOW (the stage held from `triggered_days` when given)."""
        triggered = None if triggered_days is None else days_ago(triggered_days)
        self._add(
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
        self._add(
            ContactScore(
                contact_id=contact_id, stage=stage, reasons=reasons, model_version="v1", scored_at=days_ago(0), **scores
            )
        )

    def run(self, connection: str, days: float, status: str = "succeeded") -> None:
        with session_scope(self.engine) as session:
            session.add(
                SyncRun(connection=connection, started_at=days_ago(days), ended_at=days_ago(days), status=status)
            )


SOURCES = ("Organic Search", "Paid Search", "Referrals", "Offline Sources", None)
OWNERS = ("005A1", "005B2", "005C3", "005D4")
WARM_REASONS = ("Demo attended +25", "Pricing page x3 +15", "Webinar attended +15", "VP title +20")
COLD_REASONS = ("Careers page x2 -6", "Free email address -10", "Page view x3 +3", "Email opened +1")


def sample_store(store: ReportStore, contacts: int = 160, seed: int = 3) -> None:
    """A store that looks like a few months of syncs: scores every two weeks, MQLs and SQLs, deals that warmer
    contacts win more often, current reasons and runs. Seeded, so every run draws the same page."""
    import random

    rng = random.Random(seed)
    people = [store.contact(lead_source=rng.choice(SOURCES), owner_id=rng.choice(OWNERS)) for _ in range(contacts)]
    with store.batch():
        for contact in people:
            _sample_contact(store, contact, rng)
    for days, status in ((2, "succeeded"), (1, "failed"), (0.5, "succeeded")):
        store.run("acme-salesforce", days, status)


def _sample_contact(store: ReportStore, contact: int, rng) -> None:
    warmth = rng.random()
    fit = round(rng.uniform(0, 60))
    for days in range(140, -1, -14):
        engagement = max(0.0, round(30 * warmth + rng.gauss(0, 6) - days / 20, 1))
        lead = round(80 * warmth * (1 - days / 200) + rng.uniform(0, 10))
        store.scored(contact, days, fit=fit, lead=lead, engagement=engagement,
                     combined=round(0.4 * fit + 0.4 * engagement + 0.2 * lead, 2))  # fmt: skip
    if warmth > 0.35:
        store.entered(contact, "mql", rng.randint(60, 130))
    if warmth > 0.6:
        store.entered(contact, "sql", rng.randint(20, 60))
    if rng.random() < 0.2 + 0.6 * warmth:
        created = rng.randint(20, 100)
        closed = created - rng.randint(5, 40)
        wins = rng.random() < warmth
        store.outcome([contact], created=created, closed=closed if closed > 0 else None, won=wins)
    reasons = rng.sample(WARM_REASONS if rng.random() < warmth else COLD_REASONS, 2)
    store.current(contact, reasons, fit=fit)
