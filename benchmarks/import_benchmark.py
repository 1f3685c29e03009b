"""`scorebridge import activities` speed on SQLite and PostgreSQL, beside PostgreSQL floors measured in the same run.

    python benchmarks/import_benchmark.py [--activities 1000000] [--contacts N/20] [--no-postgres]

Generates the data set (benchmarks/dataset.py), imports the contacts, then times `scorebridge import activities`
as a separate process from outside (start-up, file checks, parsing and the one transaction included) into an
empty store; on PostgreSQL also again with the same file (every row already stored: the de-duplication path).

On PostgreSQL four floors are measured through the same driver on the rows the import stored, read back
beforehand, so none includes parsing the file:
- "bare COPY": COPY of (contact id, kind id, epoch, source id) into an unindexed temporary table, the fastest
  way psycopg gets rows into the server;
- "insert, as activity": that COPY plus one INSERT ... SELECT into an empty copy of `activity` with its indexes
  and foreign keys: what storing the rows costs the server however they are sent, row by row;
- "without foreign keys": the same into a copy with the indexes only, to show what the two per-row foreign key
  checks cost (PostgreSQL runs one query per inserted row and key for them);
- "load, then index": that COPY plus one INSERT ... SELECT into a copy with no index or constraint, then the
  constraints and indexes of `activity` added: the least that PostgreSQL's bulk-load advice can cost, and what a
  large import does (connector/store/activity_bulk_load.py).
Beside wall times, CPU seconds: the import process's (with its parser), and the server's for the import's
backend and for each floor (benchmarks/server_cpu.py, when the server runs on this machine). On a shared machine
wall times move with the load, CPU times much less: compare those and the ratios.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.dataset import write_dataset  # noqa: E402
from benchmarks.scoring_benchmark import POSTGRES_URL, PostgresSchema, import_file  # noqa: E402
from benchmarks.server_cpu import ServerCpu, backend_cpu, with_application_name  # noqa: E402

GOAL = "PostgreSQL import ≥ 100,000 activities/s (COPY); SQLite about 110,000/s as before"
FLOOR_TABLE = "import_floor"
INDEXED_TABLE = "import_floor_indexed"
UNKEYED_TABLE = "import_floor_no_foreign_keys"
BARE_TABLE = "import_floor_load_then_index"
TABLES_LIKE_ACTIVITY = (INDEXED_TABLE, UNKEYED_TABLE)
#: What the import's server backend calls itself, so `ServerCpu` can find it.
IMPORT_APPLICATION = "scorebridge-import-benchmark"
COLUMNS = "contact_id, kind_id, occurred_at, source_id"
COLUMN_TYPES = "contact_id integer, kind_id integer, occurred_at bigint, source_id text"


def rate(rows: int, seconds: float) -> str:
    return f"{seconds:7.2f} s = {rows / seconds:>9,.0f}/s"


@dataclass(frozen=True)
class Measured:
    wall: float
    #: Client CPU seconds (the import process with its parser; 0 for the floors, whose client is this process).
    cpu: float
    #: Server CPU seconds; None when the server's processes cannot be read from here.
    server_cpu: float | None


def import_figures(url: str, files, again: bool, admin_url: str | None = None) -> tuple[Measured, Measured | None]:
    """(first import of the activities, the same file again if asked) into a fresh store holding the contacts.

    With ``admin_url`` (PostgreSQL), the server's CPU for each import is measured too.
    """
    from connector.store import make_engine, upgrade_store

    upgrade_store(make_engine(url))
    import_file(url, "contacts", files.contacts)
    first = _import_activities(url, files.activities, admin_url)
    return first, _import_activities(url, files.activities, admin_url) if again else None


def _import_activities(url: str, path: Path, admin_url: str | None) -> Measured:
    if admin_url is None:
        timed = import_file(url, "activities", path)
        return Measured(timed.wall, timed.cpu, None)
    with ServerCpu(admin_url, IMPORT_APPLICATION) as server:
        timed = import_file(with_application_name(url, IMPORT_APPLICATION), "activities", path)
    return Measured(timed.wall, timed.cpu, server.seconds or None)


def postgres_floors(url: str) -> tuple[int, dict[str, Measured]]:
    """Wall and server CPU of each floor (see the module's docstring) for the rows the import stored; nothing is
    kept."""
    from connector.store import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        rows = driver.execute(f"SELECT {COLUMNS} FROM activity").fetchall()
        driver.execute(f"CREATE TEMPORARY TABLE {FLOOR_TABLE} ({COLUMN_TYPES})")
        for table in TABLES_LIKE_ACTIVITY:
            driver.execute(f"CREATE TABLE {table} (LIKE activity INCLUDING ALL)")  # indexes, not foreign keys
        for name, target in (("contact_id", "contact"), ("kind_id", "activity_kind")):
            driver.execute(f"ALTER TABLE {INDEXED_TABLE} ADD FOREIGN KEY ({name}) REFERENCES {target} (id)")
        driver.execute(f"CREATE TABLE {BARE_TABLE} (LIKE activity INCLUDING DEFAULTS)")
        driver.commit()
        bare = _timed(driver, lambda: _copy(driver, rows))
        measured = {"bare": bare}
        for table in (*TABLES_LIKE_ACTIVITY, BARE_TABLE):
            insert = f"INSERT INTO {table} ({COLUMNS}) SELECT {COLUMNS} FROM {FLOOR_TABLE}"
            then = _index_like_activity(driver, table) if table == BARE_TABLE else None
            measured[table] = _plus(bare, _timed(driver, lambda statement=insert: driver.execute(statement), then))
            driver.execute(f"DROP TABLE {table}")
            driver.commit()
    engine.dispose()
    return len(rows), measured


def _index_like_activity(driver, table: str):
    """The constraints and plain indexes of `activity`, as statements for ``table``."""
    constraints = driver.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'activity'::regclass"
        " AND contype IN ('p', 'u', 'f') ORDER BY contype = 'f'"
    ).fetchall()
    indexes = driver.execute(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'activity'::regclass AND indexrelid NOT IN"
        " (SELECT conindid FROM pg_constraint WHERE conrelid = 'activity'::regclass)"
    ).fetchall()
    statements = [f"ALTER TABLE {table} ADD {definition}" for (definition,) in constraints]
    statements += [re.sub(r"^CREATE INDEX \S+ ON \S+", f"CREATE INDEX ON {table}", sql) for (sql,) in indexes]
    return lambda: [driver.execute(statement) for statement in statements]


def _timed(driver, work, then=None) -> Measured:
    pid = driver.info.backend_pid
    started, server_started = time.perf_counter(), backend_cpu(pid)
    work()
    if then is not None:
        then()
    driver.commit()
    server = backend_cpu(pid)
    server_cpu = None if server is None or server_started is None else server - server_started
    return Measured(time.perf_counter() - started, 0.0, server_cpu)


def _plus(first: Measured, second: Measured) -> Measured:
    both_known = first.server_cpu is not None and second.server_cpu is not None
    return Measured(first.wall + second.wall, 0.0, first.server_cpu + second.server_cpu if both_known else None)


def _copy(driver, rows: list[tuple]) -> None:
    with driver.cursor() as cursor, cursor.copy(f"COPY {FLOOR_TABLE} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, help="default: one per 20 activities")
    parser.add_argument("--work", type=Path, help="folder for the data set and the SQLite store (default: a temp dir)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scorebridge-import-bench-") as temporary:
        run(options, options.work or Path(temporary))


def run(options: argparse.Namespace, work: Path) -> None:
    contacts = options.contacts or max(1, options.activities // 20)
    print(f"generating {contacts:,} contacts and {options.activities:,} activities in {work} ...", flush=True)
    files = write_dataset(work, contacts=contacts, activities=options.activities)
    count = files.activity_count
    database = work / "import-benchmark.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    first, _ = import_figures(f"sqlite:///{database}", files, again=False)
    lines = [("SQLite: import activities", f"{rate(count, first.wall)} ({count / first.cpu:,.0f}/s of CPU)")]
    if not options.no_postgres:
        lines += postgres_lines(options.postgres_url, files, count)
    width = max(len(label) for label, _ in lines)
    print(f"{count:,} activities of {contacts:,} contacts, wall time from outside the import process")
    for label, value in lines:
        print(f"{label:<{width}}  {value}")
    print(f"goal: {GOAL}")


def postgres_lines(base_url: str, files, count: int) -> list[tuple[str, str]]:
    schema = PostgresSchema(base_url)
    try:
        schema.execute(f'CREATE SCHEMA "{schema.name}"')
    except Exception as error:  # no server here: the SQLite figures still stand
        return [("PostgreSQL", f"skipped: {base_url} does not answer ({type(error).__name__})")]
    try:
        first, again = import_figures(schema.url, files, again=True, admin_url=base_url)
        stored, floors = postgres_floors(schema.url)
    finally:
        schema.execute(f'DROP SCHEMA "{schema.name}" CASCADE')
    labels = {
        "bare": "PostgreSQL floor: bare COPY, unindexed",
        INDEXED_TABLE: "PostgreSQL floor: COPY + insert, as activity",
        UNKEYED_TABLE: "PostgreSQL floor: same without foreign keys",
        BARE_TABLE: "PostgreSQL floor: load, then index and key",
    }
    return [
        ("PostgreSQL: import activities", f"{rate(count, first.wall)}; CPU {_cpu(first)}"),
        ("PostgreSQL: same file again", f"{rate(count, again.wall)}; CPU {_cpu(again)}" if again else "not run"),
        *(
            (
                labels[name],
                f"{rate(stored, floor.wall)}; server CPU {_seconds(floor.server_cpu)}; "
                f"import = {first.wall / floor.wall:.2f}x wall",
            )
            for name, floor in floors.items()
        ),
    ]


def _cpu(measured: Measured) -> str:
    return f"client {measured.cpu:.1f} s + server {_seconds(measured.server_cpu)}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


if __name__ == "__main__":
    main()
