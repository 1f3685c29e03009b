"""A large PostgreSQL import into `activity`: its keys and indexes set aside for the load and rebuilt after it,
inside the import's one transaction.

PostgreSQL checks a foreign key with one query per inserted row, and maintains every index row by row; for a load
that is large next to the table, its documentation advises dropping both and re-creating them afterwards
(https://www.postgresql.org/docs/current/populate.html#POPULATE-RM-FKEYS and #POPULATE-RM-INDEXES): one set-based
check per key (one anti-join over the table) and one sorted build per index cost less than a million single checks
and inserts. Measured at 1,000,000 rows into an empty store: 4.0-4.5 s of server CPU in all, against 18.3 s row by row
(docs/store.md, "Importing activities into PostgreSQL").

The constraints (primary key, unique (contact, source id), both foreign keys) are re-added with full checks before
the import commits: a row that broke one fails the whole import, and nothing is written. DDL is transactional in
PostgreSQL, so a failure anywhere rolls back the drops too
(https://www.postgresql.org/docs/current/sql-altertable.html).
Without the unique index the rows are stored by joins instead of ``ON CONFLICT`` (activity_copy.py), which the
lock makes safe.

Into an empty table (a store's first import) nothing needs joining: every row is new. The keys and indexes are
then set aside before the load, the rows are copied straight into `activity` while the file is still being parsed,
and what is left at the end is keeping the last row of each key (only when the file repeats one), queueing the
contacts for a rescore and the rebuild (`LoadIntoEmptyTable`). That spares the server a second copy of every row
(staging table, then INSERT ... SELECT with its anti-join): 1.5-2.5 s of a million-row import.

The cost: dropping a foreign key takes an ACCESS EXCLUSIVE lock on both tables it joins (`activity`, `contact`,
`activity_kind`), held until the import commits, so other store users (scoring, a sync, reports) wait for a bulk
import, as every other writer does on SQLite. That is why only large loads take this path (`worth_a_bulk_load`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from connector.store.activity_writer import ACTIVITY_TABLE, KIND_TABLE
from connector.store.contact_ids import CONTACT_TABLE
from connector.store.rescore_queue import RESCORE_QUEUE

#: Below this many rows an import keeps the keys and indexes: a few seconds of per-row work at most, and no lock
#: that makes scoring or a sync wait.
BULK_MIN_ROWS = 100_000
#: A load of at least this share of the rows stored already takes the bulk path. Rebuilding the keys and indexes
#: costs about 2 s of server CPU per million stored rows; storing row by row with them in place about 14 s per
#: million loaded ones (benchmarks/import_benchmark.py's floors), so break-even is near 1/7; a quarter leaves room
#: for the lock, which makes everyone else wait.
BULK_SHARE = 0.25
#: work_mem and maintenance_work_mem of a bulk import's transaction only: the de-duplicating sort and joins of the
#: staged rows, the index builds and the key checks in memory, not in temporary files
#: (https://www.postgresql.org/docs/current/populate.html#POPULATE-WORK-MEM).
BULK_MEMORY = "256MB"

_ACTIVITY = ACTIVITY_TABLE.name
_LAST_ID = f"SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('{_ACTIVITY}', 'id')), 0)"
# Primary key and unique constraints first, foreign keys last: that is the order they are re-added in.
_CONSTRAINTS = f"""
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = '{_ACTIVITY}'::regclass AND contype IN ('p', 'u', 'f') ORDER BY contype = 'f', conname
"""
# Under the bulk load's lock, so no other writer can add a row before this import's.
_IS_EMPTY = f"SELECT NOT EXISTS (SELECT FROM {_ACTIVITY})"
# Of the rows loaded with one key, all but the last (ids are handed out in load order, which is file order for
# rows of one contact: see `ActivityWriter.write` and `background._resolved`). The window's sort runs only when the
# file repeats a key.
_DELETE_EARLIER_OF_EACH_KEY = f"""
DELETE FROM {_ACTIVITY} WHERE id IN (
    SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY contact_id, source_id ORDER BY id DESC) AS from_the_last
        FROM {_ACTIVITY}
    ) AS numbered
    WHERE from_the_last > 1
)
"""
# Every row in the table is new: its contacts are queued for a rescore.
_QUEUE_CONTACTS_OF_EVERY_ROW = f"""
INSERT INTO {RESCORE_QUEUE.name} (contact_id) SELECT DISTINCT contact_id FROM {_ACTIVITY} WHERE true
ON CONFLICT DO NOTHING
"""
# Asked once the constraints are gone: what is left are the plain indexes.
_INDEXES = f"""
SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
WHERE indrelid = '{_ACTIVITY}'::regclass ORDER BY 1
"""


def worth_a_bulk_load(connection: Connection, expected_rows: int) -> bool:
    """Whether a load of about ``expected_rows`` new rows should set the keys and indexes aside.

    Asked twice: before the load, of the rows the file holds (is it a candidate: lock and stage everything?), and
    after staging, of the staged rows not stored yet (a file imported again brings none, and rebuilding the
    indexes for it would cost more than checking each row against them).

    The rows stored are counted from above by the last id the table's sequence handed out (ids only grow and are
    never reused): never an underestimate, unlike a planner statistic not refreshed since the last big load, and
    read without locking `activity`, so two imports never both hold a lock they then both need to raise.
    """
    if expected_rows < BULK_MIN_ROWS:
        return False
    stored_at_most = connection.exec_driver_sql(_LAST_ID).scalar_one()
    return expected_rows >= stored_at_most * BULK_SHARE


@dataclass(frozen=True)
class SetAside:
    """What `set_aside` dropped: (name, definition) of each constraint, (name, CREATE INDEX) of each index."""

    constraints: list[tuple[str, str]]
    indexes: list[tuple[str, str]]

    def restore(self, connection: Connection) -> None:
        """Re-add the constraints, each checked in one pass (keys by one anti-join), then rebuild the indexes."""
        connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{BULK_MEMORY}'")
        quote = connection.dialect.identifier_preparer.quote
        for name, definition in self.constraints:
            connection.exec_driver_sql(f"ALTER TABLE {_ACTIVITY} ADD CONSTRAINT {quote(name)} {definition}")
        for _, create_index in self.indexes:
            connection.exec_driver_sql(create_index)


def lock_for_a_bulk_load(connection: Connection) -> None:
    """Take the locks `set_aside` needs, all at once, as the transaction's first statement.

    Dropping a foreign key takes an ACCESS EXCLUSIVE lock on both tables it joins. Raised later from the weaker
    locks an import takes on its way (reading contacts, adding kinds), two imports could each wait for the other;
    taken first, while this transaction holds nothing, it only waits.
    """
    tables = ", ".join(table.name for table in (ACTIVITY_TABLE, CONTACT_TABLE, KIND_TABLE))
    connection.exec_driver_sql(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")


def set_aside(connection: Connection) -> SetAside:
    """Drop every constraint and index of `activity` (after `lock_for_a_bulk_load`)."""
    constraints = [tuple(row) for row in connection.exec_driver_sql(_CONSTRAINTS)]
    quote = connection.dialect.identifier_preparer.quote
    for name, _ in constraints:
        connection.exec_driver_sql(f"ALTER TABLE {_ACTIVITY} DROP CONSTRAINT {quote(name)}")
    indexes = [tuple(row) for row in connection.exec_driver_sql(_INDEXES)]
    for name, _ in indexes:
        connection.exec_driver_sql(f"DROP INDEX {name}")  # regclass text: quoted and qualified as needed
    return SetAside(constraints, indexes)


class LoadIntoEmptyTable:
    """Rows copied straight into `activity`, empty when the load started, with its keys and indexes set aside."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._set_aside = set_aside(connection)

    @staticmethod
    def possible(connection: Connection) -> bool:
        """Whether `activity` is empty (asked under `lock_for_a_bulk_load`)."""
        return bool(connection.exec_driver_sql(_IS_EMPTY).scalar_one())

    def finish(self, loaded: int, unique_keys: bool) -> tuple[int, int]:
        """Keep the last loaded row of each key, queue the contacts for a rescore, rebuild the keys and indexes:
        (rows inserted, rows dropped for a later one of the same key). ``unique_keys`` says the load repeated no
        key."""
        dropped = 0 if unique_keys else self._connection.exec_driver_sql(_DELETE_EARLIER_OF_EACH_KEY).rowcount
        self._connection.exec_driver_sql(_QUEUE_CONTACTS_OF_EVERY_ROW)
        self._set_aside.restore(self._connection)
        return loaded - dropped, dropped
