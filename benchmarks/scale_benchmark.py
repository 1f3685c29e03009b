"""The full rescore at scale: time and peak memory of the scoring process beside the read floor of the same store.

    python benchmarks/scale_benchmark.py [--contacts 1000000] [--activities 20000000] [--work DIR]
                                         [--postgres URL] [--repeats 1]

Generates the data set (benchmarks/dataset.py) in --work, unless it already holds one of that size, and imports it
with `scorebridge import` (the fast paths: executemany on SQLite, COPY on PostgreSQL) into a SQLite store in
--work, or with --postgres into a schema of its own on that server, dropped afterwards. Then, each in a fresh
process so the import's memory is not counted: the first scoring, the read floor (benchmarks/read_floor.py) and
the full rescore, floor and rescore alternately --repeats times, the better of each kept; then new activity for 1%
of the contacts is imported and the incremental rescore an hour later timed (`--no-incremental` skips it; it moves
the store's last scoring an hour on, so a store measured again needs `--no-incremental`). Peak memory is the
scoring process's own (`VmHWM`, see `peak_memory_mb` in scoring_benchmark.py). Heavy at the default size: about
1.5 GB of CSV and a 3 GB store.
`--store URL` measures a store already imported that way (no data set, no import); with `--scored`, one already
scored too (no first scoring).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.dataset import DEFAULT_MODEL, write_dataset, write_increment  # noqa: E402
from benchmarks.scoring_benchmark import (  # noqa: E402
    FLOOR_NAMES,
    INCREMENT_HOURS,
    PostgresSchema,
    Timed,
    floor_ratio,
    floors_and_full_rescore,
    import_file,
    maintain,
    memory,
    score,
)

GOAL = "full rescore ≤ 1 GB peak, time linear in activities, ≤ 1.2x the read floor"
SIZE_FILE = "dataset.json"


@dataclass(frozen=True)
class ScaleFigures:
    imported: Timed | None
    first: Timed | None
    full: Timed
    floors: dict[str, Timed]
    #: The incremental rescore after 1% new activity and how many contacts it scored; None when skipped.
    incremental: tuple[Timed, int] | None = None


def dataset(work: Path, contacts: int, activities: int):
    """The data set files in `work`, written only when it holds none of this size."""
    marker = work / SIZE_FILE
    size = {"contacts": contacts, "activities": activities}
    if marker.exists() and json.loads(marker.read_text()) == size:
        print(f"reusing the data set in {work}")
        return work / "contacts.csv", work / "activities.csv"
    print(f"generating {contacts:,} contacts and {activities:,} activities in {work} ...", flush=True)
    files = write_dataset(work, contacts=contacts, activities=activities)
    marker.write_text(json.dumps(size))
    return files.contacts, files.activities


def imported(url: str, contacts: Path, activities: Path) -> Timed:
    from connector.store import make_engine, upgrade_store

    upgrade_store(make_engine(url))
    import_file(url, "contacts", contacts)
    timed = import_file(url, "activities", activities)
    print(f"imported in {timed.wall:.0f} s", flush=True)
    return timed


def measure(
    url: str,
    repeats: int,
    import_time: Timed | None = None,
    scored: bool = False,
    increment_contacts: int | None = None,
) -> ScaleFigures:
    """The figures of one store; with `increment_contacts` (the store's contact count), the incremental run too."""
    first = None
    if not scored:
        maintain(url)
        first, _ = score(url, DEFAULT_MODEL, 0, full=True)
        print(f"first scoring {first.wall:.1f} s, {memory(first)}", flush=True)
    maintain(url)
    floors, full = floors_and_full_rescore(url, DEFAULT_MODEL, repeats)
    incremental = None
    if increment_contacts:
        with tempfile.TemporaryDirectory(prefix="scorebridge-increment-") as folder:
            import_file(url, "activities", write_increment(Path(folder), contacts=increment_contacts))
        maintain(url)
        incremental = score(url, DEFAULT_MODEL, INCREMENT_HOURS, full=False)
    return ScaleFigures(import_time, first, full, floors, incremental)


def describe(name: str, figures: ScaleFigures, activities: int) -> list[tuple[str, str]]:
    per_million = figures.full.wall / (activities / 1e6)
    rows = (
        []
        if figures.imported is None
        else [
            (
                f"{name}: import activities",
                f"{figures.imported.wall:.0f} s = {activities / figures.imported.wall:,.0f}/s",
            )
        ]
    )
    if figures.first is not None:
        first = figures.first
        rows.append((f"{name}: first scoring", f"{first.wall:.1f} s wall ({first.cpu:.1f} s CPU), {memory(first)}"))
    rows += [
        (f"{name}: full rescore",
         f"{figures.full.wall:.1f} s wall ({figures.full.cpu:.1f} s CPU), {memory(figures.full)}, "
         f"{per_million:.2f} s per million activities"),
    ]  # fmt: skip
    if figures.incremental is not None:
        timed, contacts = figures.incremental
        rows.append(
            (f"{name}: incremental rescore, 1% new activity",
             f"{timed.wall:.2f} s wall, {contacts:,} contacts = {timed.wall / figures.full.wall:.1%} of full")
        )  # fmt: skip
    for method, floor in figures.floors.items():
        rows.append((f"{name}: read floor ({FLOOR_NAMES[method]})", floor_ratio(floor, figures.full)))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=20_000_000)
    parser.add_argument("--work", type=Path, help="folder for the data set and the SQLite store (default: temporary)")
    parser.add_argument("--postgres", metavar="URL", help="measure on this server (a schema of its own), not SQLite")
    parser.add_argument("--repeats", type=int, default=1, help="floor and full rescore measured this many times")
    parser.add_argument("--store", metavar="URL", help="measure this store, already imported (--activities: its size)")
    parser.add_argument("--scored", action="store_true", help="with --store: it is scored already, skip the first")
    parser.add_argument("--no-incremental", action="store_true", help="skip the incremental rescore")
    options = parser.parse_args(argv)
    increment = None if options.no_incremental else options.contacts
    if options.store:
        figures = measure(options.store, options.repeats, scored=options.scored, increment_contacts=increment)
        print_rows(describe("store", figures, options.activities))
        return
    with tempfile.TemporaryDirectory(prefix="scorebridge-scale-") as temporary:
        work = options.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        files = dataset(work, options.contacts, options.activities)
        if options.postgres:
            rows = on_postgres(options.postgres, files, options)
        else:
            database = work / "scale.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{database}"
            figures = measure(url, options.repeats, imported(url, *files), increment_contacts=increment)
            rows = describe("SQLite", figures, options.activities)
    print_rows(rows)


def print_rows(rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print(f"\ngoal: {GOAL}")


def on_postgres(url: str, files, options: argparse.Namespace) -> list[tuple[str, str]]:
    schema = PostgresSchema(url)
    schema.execute(f'CREATE SCHEMA "{schema.name}"')
    try:
        increment = None if options.no_incremental else options.contacts
        figures = measure(schema.url, options.repeats, imported(schema.url, *files), increment_contacts=increment)
        return describe("PostgreSQL", figures, options.activities)
    finally:
        schema.execute(f'DROP SCHEMA "{schema.name}" CASCADE')


if __name__ == "__main__":
    main()
