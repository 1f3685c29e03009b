"""Alembic environment: runs on the connection `upgrade_store` hands over, or on SCOREBRIDGE_DATABASE_URL."""

from alembic import context
from sqlmodel import SQLModel

import connector.store.tables  # noqa: F401  (registers the tables on the metadata)
from connector.store.engine import make_engine
from connector.store.upgrade import migrating

target_metadata = SQLModel.metadata


#: Tables other libraries own in the same database (APScheduler's persistent job store): never ours to migrate.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "table" and name in FOREIGN_TABLES)


def run_migrations(connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=True, include_object=include_object
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:  # run by hand (a developer's `alembic` command): the same lock and single transaction as `upgrade_store`
    with make_engine().connect() as own_connection, migrating(own_connection):
        run_migrations(own_connection)
