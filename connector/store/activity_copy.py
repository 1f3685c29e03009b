"""Activities into PostgreSQL through COPY: rows streamed into a temporary table, then stored by one statement.

psycopg's executemany sends one INSERT per row (pipelined, but each still planned and executed on its own), which
held a PostgreSQL import to 20,000-35,000 activities a second. COPY streams rows with no per-row statement
(https://www.postgresql.org/docs/current/sql-copy.html, https://www.psycopg.org/psycopg3/docs/basic/copy.html),
but it cannot skip or update rows that are stored already, so it fills a temporary table, and one
INSERT ... SELECT ... ON CONFLICT per `FLUSH_ROWS` rows stores them, with what the executemany path guarantees:
- an activity is keyed by (contact, source id): a row stored already gets the kind and time it has now (a webinar
  registration that became an attendance), an unchanged one is left alone;
- of two rows with the same key, the later one in the file wins (one statement cannot update a row twice, see
  https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT, so the staged rows are first reduced
  to the last of each key);
- the contacts of inserted or changed rows get ``needs_rescore``;
- everything happens in the caller's transaction, so a failure leaves nothing written. The temporary table is
  dropped at commit (or vanishes at rollback).
Kinds, contact ids and the rows' validity are worked out before staging, as on the executemany path. A load that
is large next to the table stages every row, and `finish` stores them with `activity`'s keys and indexes set
aside and rebuilt after (activity_bulk_load.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from connector.store.activity_bulk_load import BULK_MEMORY, lock_for_a_bulk_load, set_aside, worth_a_bulk_load
from connector.store.activity_writer import ACTIVITY_TABLE, ActivityWriter
from connector.store.counts import UpsertCounts

STAGING_TABLE = "activity_import"
#: Staged rows per set-based INSERT: large enough that its fixed costs vanish, small enough that the sort that
#: keeps the last row of each key stays in `SORT_MEMORY` and the temporary table stays small.
FLUSH_ROWS = 100_000
#: work_mem for this transaction only: the de-duplicating sort of `FLUSH_ROWS` staged rows in memory, not on disk
#: (https://www.postgresql.org/docs/current/runtime-config-resource.html#GUC-WORK-MEM).
SORT_MEMORY = "64MB"

_CREATE_STAGING = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING_TABLE} (
    contact_id integer NOT NULL,
    kind_id integer NOT NULL,
    occurred_at bigint NOT NULL,
    source_id text COLLATE "C" NOT NULL,
    line bigint GENERATED ALWAYS AS IDENTITY
) ON COMMIT DROP
"""
_COPY = f"COPY pg_temp.{STAGING_TABLE} (contact_id, kind_id, occurred_at, source_id) FROM STDIN"
# "line" numbers the staged rows in arrival order, so DISTINCT ON keeps the last row of each key. The
# byte-wise "C" collation makes the sort on source ids cheap; any total order serves to find duplicates.
_STORE = f"""
WITH incoming AS (
    SELECT DISTINCT ON (contact_id, source_id) contact_id, kind_id, occurred_at, source_id
    FROM pg_temp.{STAGING_TABLE}
    ORDER BY contact_id, source_id, line DESC
), stored AS (
    INSERT INTO activity AS a (contact_id, kind_id, occurred_at, source_id)
    SELECT contact_id, kind_id, occurred_at, source_id FROM incoming
    ON CONFLICT (contact_id, source_id) DO UPDATE
        SET kind_id = excluded.kind_id, occurred_at = excluded.occurred_at
        WHERE (a.kind_id, a.occurred_at) IS DISTINCT FROM (excluded.kind_id, excluded.occurred_at)
    RETURNING a.id, a.contact_id
), flagged AS (
    UPDATE contact SET needs_rescore = true
    WHERE id IN (SELECT contact_id FROM stored) AND NOT needs_rescore
)
SELECT count(*) FILTER (WHERE id > %(highest_before)s), count(*) FILTER (WHERE id <= %(highest_before)s)
FROM stored
"""
# The bulk path's one statement over every staged row (activity_bulk_load.py): the table has no unique index to
# arbitrate ON CONFLICT, so stored rows are found by joins, which is safe because the bulk path's lock keeps every
# other writer out. Both data-modifying parts see the table as it was (one snapshot), and touch different rows.
# Staged ids sort byte-wise ("C"); they are compared with stored ones in the column's own collation.
_STORE_ALONE = f"""
WITH incoming AS (
    SELECT DISTINCT ON (contact_id, source_id) contact_id, kind_id, occurred_at, source_id
    FROM pg_temp.{STAGING_TABLE}
    ORDER BY contact_id, source_id, line DESC
), changed AS (
    UPDATE activity AS a SET kind_id = i.kind_id, occurred_at = i.occurred_at
    FROM incoming AS i
    WHERE a.contact_id = i.contact_id AND a.source_id = i.source_id COLLATE "default"
        AND (a.kind_id, a.occurred_at) IS DISTINCT FROM (i.kind_id, i.occurred_at)
    RETURNING a.contact_id
), added AS (
    INSERT INTO activity (contact_id, kind_id, occurred_at, source_id)
    SELECT contact_id, kind_id, occurred_at, source_id FROM incoming AS i
    WHERE NOT EXISTS (
        SELECT FROM activity AS a WHERE a.contact_id = i.contact_id AND a.source_id = i.source_id COLLATE "default"
    )
    RETURNING contact_id
), flagged AS (
    UPDATE contact SET needs_rescore = true
    WHERE id IN (SELECT contact_id FROM added UNION ALL SELECT contact_id FROM changed) AND NOT needs_rescore
)
SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM changed)
"""
#: Staged rows looked up to estimate how many are new: enough for a share to within a few percent, few enough to
#: cost nothing next to the import (a file imported again would otherwise be looked up twice, row by row).
NEW_ROWS_SAMPLE = 20_000
# Of a sample of pages of the staged rows (https://www.postgresql.org/docs/current/sql-select.html#SQL-FROM,
# TABLESAMPLE), how many rows and how many not stored yet; it only decides which way to store them.
_SAMPLE_NEW = f"""
SELECT count(*), count(*) FILTER (WHERE a.id IS NULL)
FROM pg_temp.{STAGING_TABLE} AS i TABLESAMPLE SYSTEM (%(percent)s)
LEFT JOIN activity AS a ON a.contact_id = i.contact_id AND a.source_id = i.source_id COLLATE "default"
"""


class CopyActivityWriter(ActivityWriter):
    """`ActivityWriter` for PostgreSQL imports: resolved rows are staged by COPY and stored by `flush`.

    What `write` and `insert_resolved` return counts rows read and skipped; inserted, updated and unchanged rows
    are counted by `flush` (and `finish`), once they are stored.
    """

    def __init__(self, connection: Connection, source: str, instance: str, expected_rows: int = 0) -> None:
        super().__init__(connection, source, instance)
        self._staged = 0
        self._staging_ready = False
        #: A bulk candidate stages every row, and `finish` decides how to store them. Decided before anything
        #: else happens in the transaction: see `lock_for_a_bulk_load`.
        self._bulk_candidate = worth_a_bulk_load(connection, expected_rows)
        if self._bulk_candidate:
            lock_for_a_bulk_load(connection)

    def _insert_new(self, params: Sequence[tuple[int, int, int, str]]) -> tuple[int, int]:
        self._stage(params)
        return 0, 0

    def insert_resolved(self, params: Sequence[tuple[int, int, int, str]], skipped: int = 0) -> UpsertCounts:
        counts = super().insert_resolved(params, skipped)
        # Staged rows are not "unchanged" yet: `flush` says what became of them.
        staged = UpsertCounts(read=counts.read, skipped=counts.skipped)
        return staged + self.flush() if self._staged >= FLUSH_ROWS and not self._bulk_candidate else staged

    def finish(self) -> UpsertCounts:
        """Store what is staged; a bulk candidate whose staged rows are mostly new takes the bulk path: one pass
        into a table with no index or key to maintain, which are rebuilt after (activity_bulk_load.py)."""
        if not (self._bulk_candidate and self._staged):
            return self.flush()
        if not worth_a_bulk_load(self._connection, self._new_rows_estimate()):
            return self.flush()
        set_aside_now = set_aside(self._connection)
        counts = self._stored(*self._connection.exec_driver_sql(_STORE_ALONE).one())
        set_aside_now.restore(self._connection)
        return counts

    def flush(self) -> UpsertCounts:
        """Store the staged rows; counts what became of them."""
        if not self._staged:
            return UpsertCounts()
        a = ACTIVITY_TABLE.c
        highest_before = self._connection.execute(select(func.coalesce(func.max(a.id), 0))).scalar_one()
        # Ids only grow, so rows above the old highest id are the ones inserted now (see activity_writer.py).
        inserted, updated = self._connection.exec_driver_sql(_STORE, {"highest_before": highest_before}).one()
        return self._stored(inserted, updated)

    def _new_rows_estimate(self) -> int:
        percent = min(100.0, 100.0 * NEW_ROWS_SAMPLE / self._staged)
        sampled, new = self._connection.exec_driver_sql(_SAMPLE_NEW, {"percent": percent}).one()
        return new * self._staged // sampled if sampled else 0

    def _stored(self, inserted: int, updated: int) -> UpsertCounts:
        self._connection.exec_driver_sql(f"TRUNCATE pg_temp.{STAGING_TABLE}")
        staged, self._staged = self._staged, 0
        return UpsertCounts(inserted=inserted, updated=updated, unchanged=staged - inserted - updated)

    def _stage(self, params: Sequence[tuple[int, int, int, str]]) -> None:
        if not params:
            return
        if not self._staging_ready:
            self._connection.exec_driver_sql(_CREATE_STAGING)
            memory = BULK_MEMORY if self._bulk_candidate else SORT_MEMORY
            self._connection.exec_driver_sql(f"SET LOCAL work_mem = '{memory}'")
            self._staging_ready = True
        cursor = self._connection.connection.driver_connection.cursor()
        try:
            with cursor.copy(_COPY) as copy:
                for row in params:
                    copy.write_row(row)
        finally:
            cursor.close()
        self._staged += len(params)


def activity_writer_for(connection: Connection, source: str, instance: str, expected_rows: int = 0) -> ActivityWriter:
    """The COPY writer on PostgreSQL; executemany on SQLite, where it is as fast (no network, no per-row plan).

    ``expected_rows``, about how many rows the load brings, lets a large one take the bulk path on PostgreSQL.
    """
    if connection.dialect.name == "postgresql":
        return CopyActivityWriter(connection, source, instance, expected_rows)
    return ActivityWriter(connection, source, instance)
