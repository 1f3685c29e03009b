"""task keys from the CRM: stage_transition.triggered_at, task_outbox keyed by (connection, idempotency_key)

Task keys now name the CRM record, the stage and the moment the stage began to hold, so a rebuilt or restored
store finds the tasks already in the CRM. Two connections of one store may therefore hold the same key, and the
outbox's primary key becomes (connection, idempotency_key). Existing rows keep their keys and their status.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 09:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import connector.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OUTBOX_COLUMNS = (
    "idempotency_key, connection, contact_id, reason, payload, status, crm_task_id, created_at, attempts, last_error"
)


def upgrade() -> None:
    with op.batch_alter_table("stage_transition", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triggered_at", connector.store.types.UTCEpoch(), nullable=True))
    # A primary key cannot be altered in place on SQLite: build the new table, copy the rows, swap the names.
    _create_outbox("task_outbox_0002", ("connection", "idempotency_key"))
    op.execute(f"INSERT INTO task_outbox_0002 ({OUTBOX_COLUMNS}) SELECT {OUTBOX_COLUMNS} FROM task_outbox")
    _drop_outbox("task_outbox")
    op.rename_table("task_outbox_0002", "task_outbox")
    _index_outbox()


def downgrade() -> None:
    _create_outbox("task_outbox_0001", ("idempotency_key",))
    # Keys shared by two connections cannot both survive a single-column key: keep the first connection's row.
    op.execute(
        f"INSERT INTO task_outbox_0001 ({OUTBOX_COLUMNS}) SELECT {OUTBOX_COLUMNS} FROM task_outbox o "
        "WHERE o.connection = (SELECT MIN(p.connection) FROM task_outbox p WHERE p.idempotency_key = o.idempotency_key)"
    )
    _drop_outbox("task_outbox")
    op.rename_table("task_outbox_0001", "task_outbox")
    _index_outbox()
    with op.batch_alter_table("stage_transition", schema=None) as batch_op:
        batch_op.drop_column("triggered_at")


def _create_outbox(name: str, key: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("connection", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("crm_task_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", connector.store.types.UTCEpoch(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint(*key, name=f"pk_{name}"),
    )


def _drop_outbox(name: str) -> None:
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_task_outbox_connection"))
    op.drop_table(name)


def _index_outbox() -> None:
    with op.batch_alter_table("task_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_outbox_connection"), ["connection"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_outbox_status"), ["status"], unique=False)
