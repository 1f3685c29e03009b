"""Reads of the store that store and import tests assert on: which contacts wait for scoring, how many rows."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Boolean, Column, MetaData, Table, delete, func, select
from sqlalchemy.engine import Engine

from connector.store import upgrade_store
from connector.store.tables import Contact, RescoreQueue
from connector.store.upgrade import MIGRATIONS_DIR


def queued(engine: Engine) -> set[str]:
    """The CRM ids of the contacts in the rescore queue."""
    with engine.connect() as connection:
        return set(connection.scalars(select(Contact.crm_id).join(RescoreQueue, RescoreQueue.contact_id == Contact.id)))


def empty_rescore_queue(engine: Engine) -> None:
    """As if every contact had been scored since its last change."""
    with engine.begin() as connection:
        connection.execute(delete(RescoreQueue))


def count(engine: Engine, table) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table))


def contact_table_before_0009() -> Table:
    """`contact` as revisions 0001-0008 made it, with the `needs_rescore` flag that migration 0009 turned into the
    rescore queue: for seeding a store at an older revision."""
    columns = [column._copy() for column in Contact.__table__.columns]
    return Table("contact", MetaData(), *columns, Column("needs_rescore", Boolean, nullable=False))


def store_at_revision(engine: Engine, tmp_path: Path, revision: str) -> None:
    """Upgrade the store only as far as `revision` (such as "0008"), with a copy of the migrations that ends there."""
    scripts = tmp_path / f"migrations-{revision}"
    later = [path.name for path in (MIGRATIONS_DIR / "versions").glob("*.py") if path.name[:4] > revision]
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__", *later))
    upgrade_store(engine, migrations=scripts)
