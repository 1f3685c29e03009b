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
- the contacts of inserted or changed rows are queued for a rescore (rescore_queue.py);
- everything happens in the caller's transaction, so a failure leaves nothing written. The temporary table is
  dropped at commit (or vanishes at rollback).
Kinds, contact ids and the rows' validity are worked out before staging, as on the executemany path. A large file's
parsing process sends its rows as COPY text already (`copy_text`), so this process only forwards them. A load that
is large next to the table stages every row, and `finish` stores them with `activity`'s keys and indexes set
aside and rebuilt after (activity_bulk_load.py); into an empty table, the rows skip the staging table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from connector.store.activity_bulk_load import (
    BULK_MEMORY,
    LoadIntoEmptyTable,
    lock_for_a_bulk_load,
    set_aside,
    worth_a_bulk_load,
)
from connector.store.activity_writer import ACTIVITY_TABLE, ActivityWriter
from connector.store.counts import UpsertCounts

if TYPE_CHECKING:
    from psycopg import Copy

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
# A bulk load into an empty table (activity_bulk_load.LoadIntoEmptyTable); `id` takes its default, the sequence.
_COPY_INTO_ACTIVITY = f"COPY {ACTIVITY_TABLE.name} (contact_id, kind_id, occurred_at, source_id) FROM STDIN"
#: JIT compilation of these statements' expressions costs up to 0.5 s and saves nothing here: the rows are few
#: per statement or the work is sorting and writing (https://www.postgresql.org/docs/current/jit-decision.html).
NO_JIT = "SET LOCAL jit = off"
#: What COPY's text format must escape in a value: the backslash itself, newline, carriage return and the column
#: delimiter, tab (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format"). A line never holds just
#: "\." (end of data): it starts with a contact id.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_LINE = "{}\t{}\t{}\t{}\n".format
# "line" numbers the staged rows in arrival order, so DISTINCT ON keeps the last row of each key. The
# byte-wise "C" collation makes the sort on source ids cheap; any total order serves to find duplicates.
_DEDUPLICATED = f"""
    SELECT DISTINCT ON (contact_id, source_id) contact_id, kind_id, occurred_at, source_id
    FROM pg_temp.{STAGING_TABLE}
    ORDER BY contact_id, source_id, line DESC
"""
# When the parser has shown that no two staged rows share a key (background.KeyHashes), the bulk statement skips
# DISTINCT ON's sort of every staged row, which has nothing to remove. The ON CONFLICT statement keeps it even then:
# probing the unique index in key order costs less than in file order.
_AS_STAGED = f"SELECT contact_id, kind_id, occurred_at, source_id FROM pg_temp.{STAGING_TABLE}"
_STORE = f"""
WITH incoming AS ({_DEDUPLICATED}), stored AS (
    INSERT INTO activity AS a (contact_id, kind_id, occurred_at, source_id)
    SELECT contact_id, kind_id, occurred_at, source_id FROM incoming
    ON CONFLICT (contact_id, source_id) DO UPDATE
        SET kind_id = excluded.kind_id, occurred_at = excluded.occurred_at
        WHERE (a.kind_id, a.occurred_at) IS DISTINCT FROM (excluded.kind_id, excluded.occurred_at)
    RETURNING a.id, a.contact_id
), queued AS (
    INSERT INTO rescore_queue (contact_id) SELECT DISTINCT contact_id FROM stored WHERE true ON CONFLICT DO NOTHING
)
SELECT count(*) FILTER (WHERE id > %(highest_before)s), count(*) FILTER (WHERE id <= %(highest_before)s)
FROM stored
"""
# The bulk path's one statement over every staged row (activity_bulk_load.py): the table has no unique index to
# arbitrate ON CONFLICT, so stored rows are found by joins, which is safe because the bulk path's lock keeps every
# other writer out. Both data-modifying parts see the table as it was (one snapshot), and touch different rows.
# Staged ids sort byte-wise ("C"); they are compared with stored ones in the column's own collation.
_STORE_ALONE = """
WITH incoming AS ({incoming}), changed AS (
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
), queued AS (
    INSERT INTO rescore_queue (contact_id)
    SELECT contact_id FROM added UNION SELECT contact_id FROM changed
    ON CONFLICT DO NOTHING
)
SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM changed)
"""
#: The bulk statement by whether the staged keys are known to be unique.
_STORE_ALONE_BY_UNIQUE_KEYS = {
    unique: _STORE_ALONE.format(incoming=_AS_STAGED if unique else _DEDUPLICATED) for unique in (0, 1)
}
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
        #: Set when the rows go straight into an empty `activity`, not through the staging table.
        self._load_into_empty: LoadIntoEmptyTable | None = None
        if self._bulk_candidate:
            lock_for_a_bulk_load(connection)
            if LoadIntoEmptyTable.possible(connection):
                self._load_into_empty = LoadIntoEmptyTable(connection)

    def _insert_new(self, params: Sequence[tuple[int, int, int, str]]) -> tuple[int, int]:
        self._stage(params)
        return 0, 0

    def insert_resolved(self, params: Sequence[tuple[int, int, int, str]], skipped: int = 0) -> UpsertCounts:
        counts = super().insert_resolved(params, skipped)
        return self._staged_now(counts.read, counts.skipped)

    def stage_copy_text(self, text: str, rows: int, skipped: int = 0) -> UpsertCounts:
        """Stage ``rows`` rows given as COPY text (`copy_text`), whose ids are known and source ids storable; as
        `insert_resolved` does with tuples, but the driver only forwards the text
        (https://www.psycopg.org/psycopg3/docs/basic/copy.html#writing-data-row-by-row, "block by block")."""
        if rows:
            self._copy_in(lambda copy: copy.write(text), rows)
        return self._staged_now(rows + skipped, skipped)

    def _staged_now(self, read: int, skipped: int) -> UpsertCounts:
        # Staged rows are not "unchanged" yet: `flush` says what became of them.
        staged = UpsertCounts(read=read, skipped=skipped)
        return staged + self.flush() if self._staged >= FLUSH_ROWS and not self._bulk_candidate else staged

    def finish(self, unique_keys: bool = False) -> UpsertCounts:
        """Store what is staged; a bulk candidate whose staged rows are mostly new takes the bulk path: one pass
        into a table with no index or key to maintain, which are rebuilt after (activity_bulk_load.py).

        ``unique_keys``: no two rows staged during the whole import share (contact, source id), so nothing needs
        de-duplicating."""
        if self._load_into_empty is not None:
            loaded, self._staged = self._staged, 0
            inserted, dropped = self._load_into_empty.finish(loaded, unique_keys)
            return UpsertCounts(inserted=inserted, unchanged=dropped)
        if not (self._bulk_candidate and self._staged):
            return self.flush()
        if not worth_a_bulk_load(self._connection, self._new_rows_estimate()):
            return self.flush()
        set_aside_now = set_aside(self._connection)
        counts = self._stored(*self._connection.exec_driver_sql(_STORE_ALONE_BY_UNIQUE_KEYS[unique_keys]).one())
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
        if params:
            self._copy_in(lambda copy: _write_rows(copy, params), len(params))

    def _copy_in(self, send: Callable[[Copy], None], rows: int) -> None:
        """One COPY into the staging table (or `activity`, when empty: see `finish`), whose data ``send`` writes."""
        if not self._staging_ready:
            if self._load_into_empty is None:
                self._connection.exec_driver_sql(_CREATE_STAGING)
            memory = BULK_MEMORY if self._bulk_candidate else SORT_MEMORY
            self._connection.exec_driver_sql(f"SET LOCAL work_mem = '{memory}'")
            self._connection.exec_driver_sql(NO_JIT)
            self._staging_ready = True
        cursor = self._connection.connection.driver_connection.cursor()
        try:
            with cursor.copy(_COPY if self._load_into_empty is None else _COPY_INTO_ACTIVITY) as copy:
                send(copy)
        finally:
            cursor.close()
        self._staged += rows


def _write_rows(copy: Copy, rows: Sequence[tuple[int, int, int, str]]) -> None:
    for row in rows:
        copy.write_row(row)


def copy_text(
    contact_ids: Sequence[int], kind_ids: Sequence[int], occurred_at: Sequence[int], source_ids: Sequence[str]
) -> str:
    """Rows for `CopyActivityWriter.stage_copy_text`: one line each in COPY's text format, tab between columns
    (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format"); the source ids are escaped, the other
    columns are integers."""
    if any(special in "".join(source_ids) for special in "\\\t\n\r"):
        source_ids = [source_id.translate(_COPY_ESCAPES) for source_id in source_ids]
    return "".join(map(_COPY_LINE, contact_ids, kind_ids, occurred_at, source_ids))


def activity_writer_for(connection: Connection, source: str, instance: str, expected_rows: int = 0) -> ActivityWriter:
    """The COPY writer on PostgreSQL; executemany on SQLite, where it is as fast (no network, no per-row plan).

    ``expected_rows``, about how many rows the load brings, lets a large one take the bulk path on PostgreSQL.
    """
    if connection.dialect.name == "postgresql":
        return CopyActivityWriter(connection, source, instance, expected_rows)
    return ActivityWriter(connection, source, instance)
