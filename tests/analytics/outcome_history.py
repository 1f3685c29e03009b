"""A synthetic year in a store where attending a demo predicts winning and opening e-mails does not.

About a third of the people attend a demo and most of those win a deal a few weeks later; everyone opens e-mails
at random, and a few people without a demo win anyway. Built straight in the store (contacts, activities,
outcomes and their contact links), the way the syncs and `scorebridge import` leave them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy.engine import Engine

from connector.scoring.model import ScoringModel, parse_model
from connector.store import make_engine, session_scope, upgrade_store
from connector.store.tables import Activity, ActivityKind, Contact, Outcome, OutcomeContact
from tests.conftest import NOW


def days_before_now(days: float) -> datetime:
    return NOW - timedelta(days=days)


def weighing_raw(demo: float, open_: float, name: str) -> dict:
    """A model whose only behaviour rules are a demo and an e-mail open, with these points; MQL at lead 30."""
    return {
        "name": name,
        "activity_types": ["email_open", "demo_attended"],
        "behavior": {
            "rules": [
                {"type": "demo_attended", "points": demo, "label": "Demo attended"},
                {"type": "email_open", "points": open_, "label": "Email opened"},
            ]
        },
        "stages": [{"name": "prospect"}, {"name": "mql", "when": [{"score": "lead", "at_least": 30}], "notify": True}],
    }


def weighing(demo: float, open_: float, name: str) -> ScoringModel:
    return parse_model(weighing_raw(demo, open_, name))


def model_file(path: Path, raw: dict) -> Path:
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def store_with_history(folder: Path) -> str:
    """A SQLite store made as the commands make one (migrations), holding the synthetic year; its URL."""
    url = f"sqlite:///{folder / 'store.db'}"
    engine = make_engine(url)
    upgrade_store(engine)
    build_history(engine)
    engine.dispose()
    return url


@dataclass(frozen=True)
class History:
    people: int
    won: int


def build_history(engine: Engine, people: int = 120, seed: int = 3) -> History:
    rng = random.Random(seed)
    won = 0
    with session_scope(engine) as session:
        kinds = {}
        for kind_type in ("email_open", "demo_attended"):
            kind = ActivityKind(fingerprint=kind_type, type=kind_type, attributes={})
            session.add(kind)
            session.flush()
            kinds[kind_type] = kind.id
        for number in range(people):
            contact = Contact(
                source="import", instance="test", object_type="Lead", crm_id=f"P{number}",
                email=f"p{number}@example.com", created_at=days_before_now(400),
            )  # fmt: skip
            session.add(contact)
            session.flush()
            for index in range(rng.randint(0, 12)):
                at = days_before_now(rng.uniform(1, 365))
                session.add(_activity(contact.id, kinds["email_open"], at, f"o{number}-{index}"))
            closed = _won_at(rng, session, contact.id, kinds["demo_attended"], number)
            if closed is not None:
                won += 1
                _add_outcome(session, contact.id, number, closed, won=True)
            elif rng.random() < 0.5:
                _add_outcome(session, contact.id, number, days_before_now(rng.uniform(1, 365)), won=False)
    return History(people, won)


def _won_at(rng: random.Random, session, contact_id: int, demo_kind: int, number: int) -> datetime | None:
    """A demo for a third of the people, and a win weeks after it for most of them; a rare win without one."""
    if rng.random() < 0.35:
        demo = days_before_now(rng.uniform(100, 340))
        session.add(_activity(contact_id, demo_kind, demo, f"d{number}"))
        return demo + timedelta(days=rng.uniform(5, 40)) if rng.random() < 0.8 else None
    return days_before_now(rng.uniform(1, 365)) if rng.random() < 0.05 else None


def _activity(contact_id: int, kind_id: int, at: datetime, source_id: str) -> Activity:
    return Activity(contact_id=contact_id, kind_id=kind_id, occurred_at=at, source_id=source_id)


def _add_outcome(session, contact_id: int, number: int, closed: datetime, *, won: bool) -> None:
    outcome = Outcome(
        source="import", instance="test", object_type="Opportunity", crm_id=f"O{number}", closed=True, won=won,
        stage="Closed Won" if won else "Closed Lost", created_at=closed - timedelta(days=30), closed_at=closed,
    )  # fmt: skip
    session.add(outcome)
    session.flush()
    session.add(OutcomeContact(outcome_id=outcome.id, contact_id=contact_id, role="Decision Maker", is_primary=True))
