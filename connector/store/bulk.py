"""Set-based reads and writes straight through the driver: many rows per statement, no ORM objects.

Reads fetch plain tuples in large batches; writes use COPY on PostgreSQL and executemany on SQLite. Table and
column names come from the table definitions (connector/store/tables.py), never typed by hand.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from sqlalchemy import JSON, Column, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

FETCH_ROWS = 500_000
STAGING_TABLE = "scoring_staging"


def placeholder(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def selected_as_text(column: Column, alias: str) -> str:
    """A column as a raw read selects it: JSON as its text on both databases. PostgreSQL's json type keeps the
    text as written, and psycopg would otherwise decode every document (json.loads per row: 0.8 s per 100,000
    contacts), where a caller can decode each distinct text once or compare texts as they are."""
    name = f"{alias}.{column.name}"
    return f"CAST({name} AS TEXT)" if isinstance(column.type, JSON) else name


def raw_rows(connection: Connection, sql: str, params: Sequence[object] = ()) -> Iterator[list[tuple]]:
    """Rows in batches straight from the driver's cursor, skipping SQLAlchemy's row objects for speed."""
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql.replace("?", placeholder(connection)), tuple(params))
        while batch := cursor.fetchmany(FETCH_ROWS):
            yield batch
    finally:
        cursor.close()


def insert_rows(connection: Connection, table: Table | str, columns: Sequence[str], rows: list[tuple]) -> None:
    if not rows:
        return
    name = table if isinstance(table, str) else table.name
    names = ", ".join(columns)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            # COPY is several times faster than psycopg's executemany for 100,000 rows
            with cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join([placeholder(connection)] * len(columns))
            cursor.executemany(f"INSERT INTO {name} ({names}) VALUES ({marks})", rows)
    finally:
        cursor.close()


def upsert_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: list[tuple],
    *,
    left_as_stored: Collection[str] = (),
) -> None:
    """Insert rows, or update every column but the primary key (and `left_as_stored`) where a row with that key
    exists."""
    if not rows:
        return
    keys = [column.name for column in table.primary_key.columns]
    kept = {*keys, *left_as_stored}
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in kept)
    names = ", ".join(columns)
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    if connection.dialect.name != "postgresql":
        marks = ", ".join([placeholder(connection)] * len(columns))
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks}) {conflict}", rows)
        finally:
            cursor.close()
        return
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{STAGING_TABLE}")
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {STAGING_TABLE} AS SELECT {names} FROM {table.name} WITH NO DATA"
    )
    insert_rows(connection, STAGING_TABLE, columns, rows)
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {STAGING_TABLE} {conflict}")


def insert_ignoring_duplicates(connection: Connection, table: Table):
    """INSERT ... ON CONFLICT DO NOTHING in the connection's dialect (both SQLite and PostgreSQL spell it so)."""
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing()
