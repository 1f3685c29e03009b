"""outcomes: opportunities / deals and the contacts they belong to

New tables only; an existing store keeps every row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:10:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import connector.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("instance", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("object_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("crm_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("pipeline", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("won", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("created_at", connector.store.types.UTCEpoch(), nullable=True),
        sa.Column("closed_at", connector.store.types.UTCEpoch(), nullable=True),
        sa.Column("lead_source", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("modified_at", connector.store.types.UTCEpoch(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "instance", "object_type", "crm_id", name="uq_outcome_crm"),
    )
    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcome_created_at"), ["created_at"], unique=False)
    op.create_table(
        "outcome_contact",
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["outcome_id"], ["outcome.id"]),
        sa.PrimaryKeyConstraint("outcome_id", "contact_id"),
    )
    with op.batch_alter_table("outcome_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcome_contact_contact_id"), ["contact_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outcome_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_contact_contact_id"))
    op.drop_table("outcome_contact")
    with op.batch_alter_table("outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_created_at"))
    op.drop_table("outcome")
