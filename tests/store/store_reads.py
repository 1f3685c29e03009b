"""Reads of the store that store and import tests assert on: which contacts wait for scoring, how many rows."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from connector.store.tables import Contact


def flagged(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(select(Contact.crm_id).where(Contact.needs_rescore.is_(True))))


def count(engine: Engine, table) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table))
