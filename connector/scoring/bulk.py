"""Set-based writes: many rows in one statement, through the driver; COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from connector.scoring.snapshot import placeholder

STAGING_TABLE = "scoring_staging"


def insert_rows(connection: Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    if not rows:
        return
    names = ", ".join(columns)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            # COPY is several times faster than psycopg's executemany for 100,000 rows
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join([placeholder(connection)] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    finally:
        cursor.close()


def upsert_rows(connection: Connection, table: str, key: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows, or update every column but `key` where a row with that key exists."""
    if not rows:
        return
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name != key)
    names = ", ".join(columns)
    conflict = f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    if connection.dialect.name != "postgresql":
        marks = ", ".join([placeholder(connection)] * len(columns))
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}", rows)
        finally:
            cursor.close()
        return
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{STAGING_TABLE}")
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {STAGING_TABLE} AS SELECT {names} FROM {table} WITH NO DATA")
    insert_rows(connection, STAGING_TABLE, columns, rows)
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT {names} FROM {STAGING_TABLE} {conflict}")
