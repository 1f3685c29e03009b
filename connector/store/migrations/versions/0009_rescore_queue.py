"""rescore_queue: the contacts waiting for a rescore, in a narrow table of their own instead of a flag on `contact`

Raising and lowering `contact.needs_rescore` rewrote a wide contact row and its index entry each time: an import
dirtied one contact page per contact with new activity, and the incremental run that scored them dirtied it again
(1,150 pages of SQLite's log to lower 1,300 flags, a dead tuple per contact on PostgreSQL). A queue row is a few
bytes: queueing and taking out 1,300 contacts touches a handful of pages (connector/store/rescore_queue.py).

The flagged contacts move into the queue; the column and its index go. SQLite 3.35+ drops a plain column in place
(https://www.sqlite.org/lang_altertable.html#altertabdropcol); an older SQLite (3.34 on RHEL 9, say) gets the
table copied instead (Alembic's "batch" mode); PostgreSQL only marks the column dropped.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:00:00
"""

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rescore_queue",
        sa.Column("contact_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("contact_id"),
    )
    op.execute("INSERT INTO rescore_queue (contact_id) SELECT id FROM contact WHERE needs_rescore")
    op.drop_index("ix_contact_needs_rescore", table_name="contact")
    if op.get_bind().dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        with op.batch_alter_table("contact", schema=None) as batch_op:
            batch_op.drop_column("needs_rescore")
    else:
        op.execute("ALTER TABLE contact DROP COLUMN needs_rescore")


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needs_rescore", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index("ix_contact_needs_rescore", ["needs_rescore"], unique=False)
    op.execute("UPDATE contact SET needs_rescore = true WHERE id IN (SELECT contact_id FROM rescore_queue)")
    op.drop_table("rescore_queue")
