"""score writes without what nothing reads: two indexes, and the score history's foreign key to `contact`

An incremental run rewrites the score row of each contact it rescores and adds a history row. Each of these cost a
scattered page per contact that no query ever read:
- `ix_contact_score_last_engaged_at`: planning now finds recency-band crossings through the activities of that
  moment, checked against the stored row by key (connector/scoring/planning.py);
- `ix_score_change_contact_id`: the history is read by time for every contact at once, never by contact;
- the history's foreign key: PostgreSQL checks a referencing row by locking the contact row it names (FOR KEY
  SHARE), which writes the contact's page, so every history row dirtied a contact page too (130 of 1,160 ms of an
  incremental run at a million contacts). Contacts are never deleted (`contact.deleted` marks them), and the one
  writer of history rows writes them for contacts it has just read, so the constraint guarded nothing.
SQLite drops a foreign key only by copying the table (Alembic's "batch" mode), once; PostgreSQL drops it in place.

Without the `last_engaged_at` index a rescored row's update on PostgreSQL can be HOT (no index entry written: the
key and `fall_below_at` seldom change) when its page has room for the new version, so `contact_score` gets a
fillfactor of 85 (https://www.postgresql.org/docs/current/storage-hot.html): 12,094 of 12,126 updates HOT, the
score write 230 to 165 ms at a million contacts. It applies to pages written from now on; `VACUUM FULL
contact_score` rewrites a large existing table with it (docs/scaling.md).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 00:00:00
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: The name SQLite's unnamed foreign key gets in batch mode, so it can be dropped
#: (https://alembic.sqlalchemy.org/en/latest/batch.html#dropping-unnamed-or-named-foreign-key-constraints).
_NAMED = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    op.drop_index("ix_contact_score_last_engaged_at", table_name="contact_score")
    op.drop_index("ix_score_change_contact_id", table_name="score_change")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("score_change", naming_convention=_NAMED) as batch_op:
            batch_op.drop_constraint("fk_score_change_contact_id_contact", type_="foreignkey")
    else:
        op.drop_constraint("score_change_contact_id_fkey", "score_change", type_="foreignkey")
        op.execute("ALTER TABLE contact_score SET (fillfactor = 85)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE contact_score RESET (fillfactor)")
    with op.batch_alter_table("score_change") as batch_op:
        batch_op.create_foreign_key("score_change_contact_id_fkey", "contact", ["contact_id"], ["id"])
    op.create_index("ix_score_change_contact_id", "score_change", ["contact_id"], unique=False)
    op.create_index("ix_contact_score_last_engaged_at", "contact_score", ["last_engaged_at"], unique=False)
