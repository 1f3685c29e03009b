"""Alembic migrations: they build the whole store, match the tables, and upgrade a store without losing its data."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, inspect, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from connector.store import upgrade_store
from connector.store.tables import Activity, ActivityKind, Contact
from connector.store.upgrade import MIGRATIONS_DIR

#: A later revision as a developer would write it: altering a table that others point at, which SQLite can only
#: do by copying it into a new table ("batch" mode).
NEXT_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"


def upgrade() -> None:
    with op.batch_alter_table("contact") as batch_op:
        batch_op.add_column(sa.Column("nickname", sa.String(), nullable=True))
        batch_op.alter_column("title", existing_type=sa.String(), type_=sa.String(length=300))
"""


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def seed_one_contact_with_an_activity(engine: Engine) -> None:
    with engine.begin() as connection:
        contact_id = connection.execute(
            insert(Contact).values(
                source="import",
                instance="default",
                object_type="Lead",
                crm_id="L1",
                email="ada@example.com",
                is_customer=False,
                email_opt_out=False,
                extra={},
                deleted=False,
            )
        ).inserted_primary_key[0]
        kind_id = connection.execute(
            insert(ActivityKind).values(fingerprint="f" * 64, type="demo_attended", attributes={})
        ).inserted_primary_key[0]
        connection.execute(
            insert(Activity).values(
                contact_id=contact_id, kind_id=kind_id, source_id="a1", occurred_at=datetime(2026, 3, 1, tzinfo=UTC)
            )
        )


def assert_seed_is_intact(engine: Engine) -> None:
    with engine.connect() as connection:
        joined = select(Contact.email, Activity.source_id).join(Activity, Activity.contact_id == Contact.id)
        assert connection.execute(joined).all() == [("ada@example.com", "a1")]
        assert connection.scalar(select(func.count()).select_from(ActivityKind)) == 1


def test_upgrading_an_empty_store_creates_every_table(empty_engine):
    upgrade_store(empty_engine)

    tables = set(inspect(empty_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_the_newest_migration_matches_the_tables(empty_engine):
    upgrade_store(empty_engine)

    with empty_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    # A table changed in connector/store/tables.py without a new migration shows up here; regenerate with
    # `alembic revision --autogenerate` (see docs/store.md).
    assert differences == []


def test_upgrading_a_current_store_again_keeps_its_data(empty_engine):
    upgrade_store(empty_engine)
    seed_one_contact_with_an_activity(empty_engine)

    upgrade_store(empty_engine)

    assert_seed_is_intact(empty_engine)


def test_a_later_migration_upgrades_a_store_holding_data(empty_engine, tmp_path):
    upgrade_store(empty_engine)
    seed_one_contact_with_an_activity(empty_engine)
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_add_nickname.py").write_text(NEXT_REVISION.format(head=head_revision()))

    upgrade_store(empty_engine, migrations=scripts)

    assert "nickname" in {column["name"] for column in inspect(empty_engine).get_columns("contact")}
    assert_seed_is_intact(empty_engine)
