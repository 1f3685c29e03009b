"""scores as data: score groups and fall-below dates on contact_score, task kinds and follow-up on task_outbox

New columns only, with defaults: an existing store keeps every row. Group scores are one JSON document per
contact, so a group added to the model needs no migration.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 13:45:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import connector.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OUTBOX_TIMES = ("due_at", "completed_at", "status_checked_at", "escalated_at")


def upgrade() -> None:
    with op.batch_alter_table("contact_score", schema=None) as batch_op:
        batch_op.add_column(sa.Column("groups", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("fall_below_at", connector.store.types.UTCEpoch(), nullable=True))
        batch_op.create_index(batch_op.f("ix_contact_score_fall_below_at"), ["fall_below_at"], unique=False)
    with op.batch_alter_table("task_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="stage")
        )
        batch_op.add_column(sa.Column("owner_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("crm_status", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column("escalation_of", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        for name in OUTBOX_TIMES:
            batch_op.add_column(sa.Column(name, connector.store.types.UTCEpoch(), nullable=True))
    with op.batch_alter_table("task_outbox", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("task_outbox", schema=None) as batch_op:
        for name in ("kind", "owner_id", "crm_status", "escalation_of", *OUTBOX_TIMES):
            batch_op.drop_column(name)
    with op.batch_alter_table("contact_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_score_fall_below_at"))
        batch_op.drop_column("fall_below_at")
        batch_op.drop_column("groups")
