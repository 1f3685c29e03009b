"""Small builders for scoring tests: contacts and activities inserted the way the importer stores them."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from connector.scoring.model import ScoringModel, load_model
from connector.store import session_scope
from connector.store.tables import Activity, ActivityKind, Contact, ContactScore, RescoreQueue, StageTransition
from tests.conftest import NOW

EXAMPLES = Path(__file__).resolve().parents[2] / "mappings" / "examples"
DEFAULT_MODEL = EXAMPLES.parent / "scoring.yaml"


def example(name: str) -> ScoringModel:
    return load_model(EXAMPLES / f"{name}.yaml")


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


class StoreBuilder:
    """Adds contacts and activities to a store; activity kinds are de-duplicated by fingerprint."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._kinds: dict[str, int] = {}
        self._sequence = 0

    def contact(self, crm_id: str | None = None, **fields) -> int:
        self._sequence += 1
        contact = Contact(
            source="import", instance="test", object_type="Lead", crm_id=crm_id or f"L{self._sequence}", **fields
        )
        with session_scope(self.engine) as session:
            session.add(contact)
            session.flush()
            session.add(RescoreQueue(contact_id=contact.id))  # as the contact writer queues a new contact
            return contact.id

    def activity(self, contact_id: int, type: str, at: datetime, **attributes: str) -> None:
        self._sequence += 1
        kind_id = self._kind(type, attributes)
        with session_scope(self.engine) as session:
            session.add(
                Activity(contact_id=contact_id, kind_id=kind_id, occurred_at=at, source_id=f"A{self._sequence}")
            )
            session.merge(RescoreQueue(contact_id=contact_id))

    def _kind(self, type: str, attributes: dict[str, str]) -> int:
        fingerprint = hashlib.sha256(json.dumps([type, attributes], sort_keys=True).encode()).hexdigest()
        if fingerprint not in self._kinds:
            with session_scope(self.engine) as session:
                kind = ActivityKind(fingerprint=fingerprint, type=type, attributes=attributes)
                session.add(kind)
                session.flush()
                self._kinds[fingerprint] = kind.id
        return self._kinds[fingerprint]


def stored_score(engine: Engine, contact_id: int) -> ContactScore:
    with session_scope(engine) as session:
        return session.get(ContactScore, contact_id)


def transitions_of(engine: Engine, contact_id: int) -> list[StageTransition]:
    with session_scope(engine) as session:
        query = select(StageTransition).where(StageTransition.contact_id == contact_id).order_by(StageTransition.id)
        return list(session.exec(query))
