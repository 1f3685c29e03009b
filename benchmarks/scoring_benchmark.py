"""Import and scoring figures for the issue's performance goals, on SQLite and PostgreSQL.

    python benchmarks/scoring_benchmark.py [--contacts 100000] [--activities 2000000] [--no-postgres]
                                           [--postgres URL]

Generates the data set (benchmarks/dataset.py), imports it with `scorebridge import` (a separate process, timed
from outside), scores it in a separate process (wall time and peak memory of that process), then imports new
activity for 1% of the contacts and times the incremental rescore (three times, an hour apart, each after new
activity for another 1%; the fastest counts). Prints each figure beside its goal.

The full rescore is set beside the read floor measured in the same run (benchmarks/read_floor.py: the activity
columns into numpy through the same driver, in a fresh process too). Floor and full rescore are measured twice,
alternately, and the better of each is compared, so a burst of load on the shared machine hits both alike. The
machine should be otherwise idle: "wall" and "cpu" differ when something else competes for the two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.dataset import DATASET_END, DEFAULT_MODEL, write_dataset, write_increment  # noqa: E402
from benchmarks.sampling import BackgroundSampler  # noqa: E402

POSTGRES_URL = os.environ.get("SCOREBRIDGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
#: The incremental run happens an hour after the full one, when the new activities have arrived.
INCREMENT_HOURS = 1
#: How many incremental runs are measured, each an hour after the one before with new activity for another 1% of
#: the contacts; the fastest is compared with the fastest full rescore, so a burst of load hits both alike.
INCREMENTS = 3
GOALS = {
    "import": "≥ 100,000 activities/s (SQLite)",
    "full": "≤ 5 s wall, ≤ 1 GB peak (SQLite); ≤ 1.2x the read floor (fetchmany floor, same driver)",
    "incremental": "≤ 10% of the full rescore",
}
#: How often the floor and the full rescore are each measured (alternately); the better of each is compared.
REPEATS = 2


@dataclass(frozen=True)
class Timed:
    wall: float
    cpu: float
    peak_mb: float = 0.0
    #: The peak of the process's private memory alone (`RssAnon`), without the store's pages SQLite reads
    #: through its memory map, which `peak_mb` counts too (see `PrivatePeak`).
    private_mb: float = 0.0


@dataclass(frozen=True)
class StoreFigures:
    contacts_import: Timed
    activities_import: Timed
    first_score: Timed
    full_rescore: Timed
    incremental: Timed
    incremental_contacts: int
    #: Best read floor per method ("fetch", and "copy" on PostgreSQL).
    floors: dict[str, Timed]


def run_timed(command: list[str]) -> tuple[Timed, str]:
    """Run a child process; wall time from outside, CPU from the children's resource usage."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu), done.stdout


def import_file(url: str, what: str, path: Path) -> Timed:
    timed, _ = run_timed([sys.executable, "-m", "connector.cli", "import", what, str(path), "--database", url])
    return timed


def score(url: str, model: Path, hours_after_end: int, full: bool) -> tuple[Timed, int]:
    """Score in a fresh process, which reports its own wall time (without start-up) and peak memory."""
    command = [sys.executable, str(Path(__file__).resolve()), "--measure-score", url, "--model", str(model),
               "--hours-after-end", str(hours_after_end)] + (["--full"] if full else [])  # fmt: skip
    _, output = run_timed(command)
    measured = json.loads(output.strip().splitlines()[-1])
    timed = Timed(measured["seconds"], measured["cpu"], measured["peak_mb"], measured["private_mb"])
    return timed, measured["contacts_scored"]


def measure_score(url: str, model_path: Path, hours_after_end: int, full: bool) -> None:
    """Child side of `score`: one scoring run, then a JSON line of figures."""
    from connector.scoring import load_model, score_store
    from connector.store import make_engine

    engine, model = make_engine(url), load_model(model_path)
    as_of = DATASET_END + timedelta(hours=hours_after_end)
    with PrivatePeak() as private:
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = score_store(engine, model, as_of=as_of, full=full)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    figures = {
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": peak_memory_mb(),
        "private_mb": private.peak_mb,
        "contacts_scored": summary.contacts_scored,
    }
    print(json.dumps(figures))


def peak_memory_mb() -> float:
    """This process's own peak resident memory. Linux's `ru_maxrss` carries the parent's peak over a fork and exec
    (the data set generator's 530 MB showed up as the scoring run's), so the peak of this process's own address
    space is read first: `VmHWM` in /proc/self/status (https://man7.org/linux/man-pages/man5/proc.5.html)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux, bytes on macOS
    [kib] = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(kib) / 1024


class PrivatePeak(BackgroundSampler):
    """The highest private (anonymous) resident memory of this process while the block runs, sampled every 10 ms.

    `VmHWM` counts every resident page, including the store's file pages SQLite reads through its memory map (up to
    256 MiB, connector/store/engine.py): those are the kernel's page cache, shared and dropped under pressure
    without writing anything, so they are shown apart. Linux keeps no peak of `RssAnon`, hence the sampling
    (https://man7.org/linux/man-pages/man5/proc_pid_status.5.html); a peak shorter than 10 ms can be missed."""

    def __init__(self) -> None:
        super().__init__()
        self.peak_mb = 0.0

    def _sample(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, _private_mb())
            if self.stopped(0.01):
                return


def _private_mb() -> float:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    return sum(int(line.split()[1]) for line in status.splitlines() if line.startswith("RssAnon:")) / 1024


def read_floors(url: str) -> dict[str, Timed]:
    """The read floors of the store, each measured in a fresh process like the scoring runs: wall and CPU seconds."""
    _, output = run_timed([sys.executable, str(Path(__file__).resolve()), "--measure-floor", url])
    return {method: Timed(*figures) for method, figures in json.loads(output.strip().splitlines()[-1]).items()}


def measure_floor(url: str) -> None:
    """Child side of `read_floors`: each floor once, then a JSON line of (wall, CPU) seconds per method."""
    from benchmarks.read_floor import copy_floor, fetch_floor, joined_floor, packed_floor
    from connector.store import make_engine

    engine = make_engine(url)
    floors = {"fetch": fetch_floor, "packed": packed_floor, "joined": joined_floor}
    if engine.dialect.name == "postgresql":
        floors["copy"] = copy_floor
    figures, first = {}, None
    for method, read_floor in floors.items():
        started = time.process_time()
        floor = read_floor(engine)
        first = first or floor
        if (floor.rows, floor.checksum) != (first.rows, first.checksum):
            raise SystemExit(f"{method} read {floor.rows:,} rows, fetchmany {first.rows:,}: the floors disagree")
        figures[method] = (floor.seconds, time.process_time() - started)
    print(json.dumps(figures))


def maintain(url: str) -> None:
    """On a PostgreSQL server with autovacuum off (as this project's test server runs), do what autovacuum would
    have done by the next run: planning's index lookups (the time columns) rely on fresh statistics and on dead
    index entries being gone, and the rescore queue, emptied by every run, on being small again. Not timed; a
    server with autovacuum on is left alone."""
    from sqlalchemy import text

    from connector.store import make_engine

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if connection.execute(text("SHOW autovacuum")).scalar() == "off":
                connection.execute(text("VACUUM ANALYZE contact, contact_score, activity, rescore_queue"))
    engine.dispose()


def measure_store(url: str, files, increments: list[Path], model: Path) -> StoreFigures:
    from connector.store import make_engine, upgrade_store

    upgrade_store(make_engine(url))
    contacts_import = import_file(url, "contacts", files.contacts)
    activities_import = import_file(url, "activities", files.activities)
    maintain(url)
    first, _ = score(url, model, 0, full=True)
    maintain(url)
    floors, full = floors_and_full_rescore(url, model, REPEATS)
    incrementals = []
    for hour, increment in enumerate(increments, start=INCREMENT_HOURS):
        import_file(url, "activities", increment)
        maintain(url)
        incrementals.append(score(url, model, hour, full=False))
    incremental, rescored = min(incrementals, key=lambda each: each[0].wall)
    return StoreFigures(contacts_import, activities_import, first, full, incremental, rescored, floors)


def floors_and_full_rescore(url: str, model: Path, repeats: int) -> tuple[dict[str, Timed], Timed]:
    """The read floors and the full rescore, measured alternately `repeats` times: the best of each (seconds per
    floor method; the fastest rescore), so a burst of load on the shared machine hits both alike."""
    floors: dict[str, Timed] = {}
    fulls = []
    for _ in range(repeats):
        for method, timed in read_floors(url).items():
            floors[method] = min(timed, floors.get(method, timed), key=lambda each: each.wall)
        fulls.append(score(url, model, 0, full=True)[0])
        print(f"floors {floors}, full rescore {fulls[-1]}", flush=True)
    return floors, min(fulls, key=lambda timed: timed.wall)


@dataclass
class PostgresSchema:
    """A schema of its own for one benchmark run, dropped afterwards."""

    base_url: str
    name: str = f"sb_bench_{uuid.uuid4().hex[:8]}"

    @property
    def url(self) -> str:
        separator = "&" if "?" in self.base_url else "?"
        return f"{self.base_url}{separator}options={quote(f'-csearch_path={self.name}')}"

    def execute(self, sql: str) -> None:
        from sqlalchemy import text

        from connector.store import make_engine

        engine = make_engine(self.base_url)
        with engine.begin() as connection:
            connection.execute(text(sql))
        engine.dispose()


def describe(name: str, figures: StoreFigures, activities: int) -> list[tuple[str, str]]:
    rate = activities / figures.activities_import.wall
    cpu_rate = activities / figures.activities_import.cpu
    ratio = figures.incremental.wall / figures.full_rescore.wall
    return [
        (f"{name}: import {activities:,} activities",
         f"{figures.activities_import.wall:.1f} s wall = {rate:,.0f}/s ({cpu_rate:,.0f}/s of CPU)"),
        (f"{name}: import contacts", f"{figures.contacts_import.wall:.1f} s wall"),
        (f"{name}: first score (no scores yet)",
         f"{figures.first_score.wall:.2f} s wall, {memory(figures.first_score)}"),
        (f"{name}: full rescore",
         f"{figures.full_rescore.wall:.2f} s wall ({figures.full_rescore.cpu:.2f} s CPU), "
         f"{memory(figures.full_rescore)}"),
        (f"{name}: incremental rescore, 1% new activity",
         f"{figures.incremental.wall:.2f} s wall, {figures.incremental_contacts:,} contacts = {ratio:.1%} of full"),
        *[(f"{name}: read floor ({FLOOR_NAMES[method]})", floor_ratio(floor, figures.full_rescore))
          for method, floor in figures.floors.items()],
    ]  # fmt: skip


def memory(timed: Timed) -> str:
    return f"{timed.peak_mb:,.0f} MB peak ({timed.private_mb:,.0f} MB private)"


def floor_ratio(floor: Timed, full: Timed) -> str:
    """The floor and the full rescore's ratio to it, by wall time and by CPU time (CPU holds under load)."""
    return (
        f"{floor.wall:.2f} s wall ({floor.cpu:.2f} s CPU); full rescore = {full.wall / floor.wall:.2f}x wall, "
        f"{full.cpu / floor.cpu:.2f}x CPU"
    )


FLOOR_NAMES = {
    "fetch": "cursor fetchmany -> np.fromiter",
    "packed": "one packed integer per row -> numpy",
    "joined": "packed integers joined into one text per block",
    "copy": "binary COPY TO STDOUT -> numpy view",
}


def print_table(rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print()
    for goal in GOALS.values():
        print(f"goal: {goal}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=2_000_000)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--work", type=Path, help="folder for the data set and the SQLite store (default: a temp dir)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--postgres",
        "--postgres-url",
        dest="postgres_url",
        default=POSTGRES_URL,
        help="server to benchmark in a schema of its own (default: $SCOREBRIDGE_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--measure-score", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--measure-floor", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--hours-after-end", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.measure_score:
        measure_score(options.measure_score, options.model, options.hours_after_end, options.full)
        return
    if options.measure_floor:
        measure_floor(options.measure_floor)
        return
    with tempfile.TemporaryDirectory(prefix="scorebridge-bench-") as temporary:
        run(options, options.work or Path(temporary))


def run(options: argparse.Namespace, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    print(f"generating {options.contacts:,} contacts and {options.activities:,} activities in {work} ...")
    files = write_dataset(work, contacts=options.contacts, activities=options.activities, model_path=options.model)
    increments = [
        write_increment(work, contacts=options.contacts, after=DATASET_END + timedelta(hours=hour), hours=1,
                        seed=8 + hour, model_path=options.model, name=f"increment-{hour + 1}")
        for hour in range(INCREMENTS)
    ]  # fmt: skip
    database = work / "benchmark.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    rows = describe(
        "SQLite", measure_store(f"sqlite:///{database}", files, increments, options.model), files.activity_count
    )
    if not options.no_postgres:
        schema = PostgresSchema(options.postgres_url)
        try:
            schema.execute(f'CREATE SCHEMA "{schema.name}"')
        except Exception as error:  # no server here: the SQLite figures still stand
            skipped = f"skipped: {options.postgres_url} does not answer ({type(error).__name__})"
            print_table([*rows, ("PostgreSQL", skipped)])
            return
        try:
            figures = measure_store(schema.url, files, increments, options.model)
            rows += describe("PostgreSQL", figures, files.activity_count)
        finally:
            schema.execute(f'DROP SCHEMA "{schema.name}" CASCADE')
    print_table(rows)


if __name__ == "__main__":
    main()
