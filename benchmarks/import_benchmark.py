"""`scorebridge import activities` speed on SQLite and PostgreSQL, beside PostgreSQL floors measured in the same run.

    python benchmarks/import_benchmark.py [--activities 1000000] [--contacts N/20] [--no-postgres]

Generates the data set (benchmarks/dataset.py), imports the contacts, then times `scorebridge import activities`
as a separate process from outside (start-up, file checks, parsing and the one transaction included) into an
empty store; on PostgreSQL also again with the same file (every row already stored: the de-duplication path).

On PostgreSQL three floors are measured through the same driver on the rows the import stored, read back
beforehand, so none includes parsing the file:
- "bare COPY": COPY of (contact id, kind id, epoch, source id) into an unindexed temporary table, the fastest
  way psycopg gets rows into the server;
- "insert, as activity": that COPY plus one INSERT ... SELECT into an empty copy of `activity` with its indexes
  and foreign keys: what storing the rows costs the server however they are sent;
- "without foreign keys": the same into a copy with the indexes only, to show what the two per-row foreign key
  checks cost (PostgreSQL runs one query per inserted row and key for them).
The machine should be otherwise idle; on a shared one, compare the ratios rather than the absolute figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.dataset import write_dataset  # noqa: E402
from benchmarks.scoring_benchmark import POSTGRES_URL, PostgresSchema, Timed, import_file  # noqa: E402

GOAL = "PostgreSQL import ≥ 100,000 activities/s (COPY); SQLite about 110,000/s as before"
FLOOR_TABLE = "import_floor"
INDEXED_TABLE = "import_floor_indexed"
UNKEYED_TABLE = "import_floor_no_foreign_keys"
TABLES_LIKE_ACTIVITY = (INDEXED_TABLE, UNKEYED_TABLE)
COLUMNS = "contact_id, kind_id, occurred_at, source_id"
COLUMN_TYPES = "contact_id integer, kind_id integer, occurred_at bigint, source_id text"


def rate(rows: int, seconds: float) -> str:
    return f"{seconds:7.2f} s = {rows / seconds:>9,.0f}/s"


def import_figures(url: str, files, again: bool) -> tuple[Timed, Timed | None]:
    """(first import of the activities, the same file again if asked) into a fresh store holding the contacts."""
    from connector.store import make_engine, upgrade_store

    upgrade_store(make_engine(url))
    import_file(url, "contacts", files.contacts)
    first = import_file(url, "activities", files.activities)
    return first, import_file(url, "activities", files.activities) if again else None


def postgres_floors(url: str) -> tuple[int, dict[str, float]]:
    """Seconds of each floor (see the module's docstring) for the rows the import stored; nothing is kept."""
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
        driver.commit()
        seconds = {"bare": _timed(driver, lambda: _copy(driver, rows))}
        for table in TABLES_LIKE_ACTIVITY:
            insert = f"INSERT INTO {table} ({COLUMNS}) SELECT {COLUMNS} FROM {FLOOR_TABLE}"
            seconds[table] = seconds["bare"] + _timed(driver, lambda statement=insert: driver.execute(statement))
            driver.execute(f"DROP TABLE {table}")
            driver.commit()
    engine.dispose()
    return len(rows), seconds


def _timed(driver, work) -> float:
    started = time.perf_counter()
    work()
    driver.commit()
    return time.perf_counter() - started


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
        first, again = import_figures(schema.url, files, again=True)
        stored, floors = postgres_floors(schema.url)
    finally:
        schema.execute(f'DROP SCHEMA "{schema.name}" CASCADE')
    labels = {
        "bare": "PostgreSQL floor: bare COPY, unindexed",
        INDEXED_TABLE: "PostgreSQL floor: COPY + insert, as activity",
        UNKEYED_TABLE: "PostgreSQL floor: same without foreign keys",
    }
    return [
        ("PostgreSQL: import activities", f"{rate(count, first.wall)} ({count / first.cpu:,.0f}/s of client CPU)"),
        ("PostgreSQL: same file again", rate(count, again.wall) if again else "not run"),
        *(
            (labels[name], f"{rate(stored, seconds)}; import = {first.wall / seconds:.2f}x")
            for name, seconds in floors.items()
        ),
    ]


if __name__ == "__main__":
    main()
