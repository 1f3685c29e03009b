"""accounts: companies, which contacts belong to them, their scores, stage changes and write ledger

New tables and one nullable column (task_outbox.account_id, for the account owner's tasks): an existing store keeps
every row.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 16:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import connector.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("instance", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("object_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("crm_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("industry", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("annual_revenue", sa.Float(), nullable=True),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("owner_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("is_customer", sa.Boolean(), nullable=False),
        sa.Column("created_at", connector.store.types.UTCEpoch(), nullable=True),
        sa.Column("modified_at", connector.store.types.UTCEpoch(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "instance", "object_type", "crm_id", name="uq_account_crm"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_domain"), ["domain"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_name"), ["name"], unique=False)

    op.create_table(
        "account_contact",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("matched_by", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
        ),
        sa.PrimaryKeyConstraint("account_id", "contact_id"),
    )
    with op.batch_alter_table("account_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_contact_contact_id"), ["contact_id"], unique=False)

    op.create_table(
        "account_score",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("fit", sa.Float(), nullable=False),
        sa.Column("engagement", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("engaged_contacts", sa.Integer(), nullable=False),
        sa.Column("coverage", sa.JSON(), nullable=False),
        sa.Column("last_engaged_at", connector.store.types.UTCEpoch(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("model_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scored_at", connector.store.types.UTCEpoch(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "account_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("to_stage", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("at", connector.store.types.UTCEpoch(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("model_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account_transition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_transition_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_transition_at"), ["at"], unique=False)

    op.create_table(
        "account_write_ledger",
        sa.Column("connection", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_values", sa.JSON(), nullable=False),
        sa.Column("confirmed_at", connector.store.types.UTCEpoch(), nullable=True),
        sa.Column("pending_values", sa.JSON(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("connection", "account_id"),
    )
    with op.batch_alter_table("task_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_task_outbox_account_id", "account", ["account_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("task_outbox", schema=None) as batch_op:
        batch_op.drop_constraint("fk_task_outbox_account_id", type_="foreignkey")
        batch_op.drop_column("account_id")

    op.drop_table("account_write_ledger")
    with op.batch_alter_table("account_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_transition_at"))
        batch_op.drop_index(batch_op.f("ix_account_transition_account_id"))

    op.drop_table("account_transition")
    op.drop_table("account_score")
    with op.batch_alter_table("account_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_contact_contact_id"))

    op.drop_table("account_contact")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_name"))
        batch_op.drop_index(batch_op.f("ix_account_domain"))

    op.drop_table("account")
