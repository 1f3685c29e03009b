"""contact_score.digest: a fingerprint of each stored score row, so a rescore compares one integer per contact

A full rescore mostly recomputes what is stored already; comparing whole rows cost a Python row per contact on
both sides and the reasons of every contact phrased (connector/scoring/digest.py). A nullable column: rows written
before it have none and are rewritten, with their fingerprint, by the next run that scores them (their values are
unchanged, so no history row or transition comes of it). SQLite and PostgreSQL both add a nullable column without
rewriting the table.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_score", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_score", schema=None) as batch_op:
        batch_op.drop_column("digest")
