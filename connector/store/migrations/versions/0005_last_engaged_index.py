"""index contact_score.last_engaged_at: incremental planning looks up recency-band crossings by it

Planning asks, once per recency band and quiet period, which contacts' last engagement crossed that age since the
last run; without an index each question scanned every score row, so planning grew with the store. An index only:
no row changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 14:55:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_score_last_engaged_at"), ["last_engaged_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contact_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_score_last_engaged_at"))
