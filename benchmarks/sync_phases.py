"""Running sync phases against a sandbox and printing what each cost: API calls beside the minimum, time, writes.

Both sync benchmarks drive the product the way `scorebridge sync` does (a fresh adapter from
`connector.cli.build_adapter` per run, `connector.sync.run_sync` on a SQLite store); this module holds what they
share: the store, one measured phase, and the table.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.sandbox.population import Population, generate_population, more_touches
from connector.cli import build_adapter
from connector.config import ConnectionConfig, ConnectorConfig
from connector.store import make_engine, upgrade_store
from connector.sync import SyncReport, run_sync

REPOSITORY = Path(__file__).resolve().parent.parent
SCORING_MODEL = REPOSITORY / "mappings" / "scoring.yaml"
CALLS_GOAL = 1.05
#: A sync with nothing changed may make at most this many API calls (issues 4 and 5: one per stream read), or the
#: phase's own counted minimum when the mapping reads more (the accounts stream: 4 on Salesforce, 5 on HubSpot).
NO_CHANGE_GOAL = 3
#: Sandbox routes that are not API calls in the CRM's own accounting (logins, the admin endpoint).
NOT_API_ROUTES = frozenset({"sf.oauth.token", "admin"})
#: Top-up touches (when more activities are asked for than the generator makes) fall in this last stretch.
TOP_UP_SPAN = timedelta(days=1)


def pages(rows: int, page_size: int) -> int:
    """Calls to read (or write) ``rows`` at ``page_size`` a call; reading nothing still takes one call."""
    return max(1, math.ceil(rows / page_size))


def batches(rows: int, batch_size: int) -> int:
    """Calls to write ``rows`` at ``batch_size`` a call; writing nothing takes none."""
    return math.ceil(rows / batch_size)


@dataclass(frozen=True)
class PhaseFigures:
    """What one sync run cost, as the connector counted it and as the sandbox served it."""

    name: str
    status: str
    api_calls: int
    served: int
    minimum: int
    rate_limited: int
    pulled_contacts: int
    pulled_activities: int
    scored: int
    written: int
    tasks_created: int
    seconds: float
    #: Requests the sandbox served, by its route name (429s included).
    routes: Mapping[str, int] = dataclasses.field(default_factory=dict)
    #: Seconds spent in each step of the run, as `run_sync` announced them.
    steps: Mapping[str, float] = dataclasses.field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.api_calls / self.minimum if self.minimum else float("inf")


class StepClock:
    """A `SyncProgress` that times each step of a run (pull contacts, pull activities, score, tasks, write-back)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._current: str | None = None
        self._started = 0.0
        self.seconds: dict[str, float] = {}

    def phase(self, name: str, total: int | None = None) -> None:
        self.stop()
        self._current, self._started = name, self._clock()

    def advance(self, count: int) -> None:
        pass

    def stop(self) -> None:
        if self._current is not None:
            elapsed = self._clock() - self._started
            self.seconds[self._current] = self.seconds.get(self._current, 0.0) + elapsed
            self._current = None


class SyncBench:
    """One connection to a running sandbox with its own store; each `run` is one measured `run_sync`."""

    def __init__(self, workdir: Path, connection: ConnectionConfig, server: Any) -> None:
        self.config = ConnectorConfig(
            database_url=f"sqlite:///{workdir / 'store.db'}", model=SCORING_MODEL, connections=[connection]
        )
        self.connection = connection
        self.server = server
        self.engine = make_engine(self.config.database_url)
        upgrade_store(self.engine)

    def adapter(self) -> Any:
        return build_adapter(self.config, self.connection)

    def run(self, name: str, minimum: Callable[[SyncReport], int]) -> tuple[PhaseFigures, SyncReport]:
        """One sync with a fresh adapter (as each CLI run has); ``minimum`` turns its report into the floor."""
        self.server.stats.reset()
        steps = StepClock()
        started = time.perf_counter()
        report = run_sync(self.engine, self.config, self.connection, self.adapter(), progress=steps)
        seconds = time.perf_counter() - started
        steps.stop()
        served = self.server.stats.snapshot()
        counts = report.counts
        figures = PhaseFigures(
            name=name,
            status=report.status,
            api_calls=counts.get("api_calls", 0),
            served=sum(n for route, n in served["by_route"].items() if route not in NOT_API_ROUTES),
            minimum=minimum(report),
            rate_limited=int(served["by_status"].get("429", 0)),
            pulled_contacts=counts.get("pulled_contacts", 0),
            pulled_activities=counts.get("pulled_activities", 0),
            scored=counts.get("scored", 0),
            written=counts.get("written", 0),
            tasks_created=counts.get("tasks_created", 0),
            seconds=seconds,
            routes={route: n for route, n in served["by_route"].items() if route not in NOT_API_ROUTES},
            steps=steps.seconds,
        )
        if report.status != "succeeded":
            print(f"  ! {name}: {report.status}: {report.message}")
        return figures, report


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Column:
    title: str
    cell: Callable[[PhaseFigures], str]


def print_table(rows: Sequence[PhaseFigures], columns: Sequence[Column]) -> None:
    cells = [[column.cell(row) for column in columns] for row in rows]
    widths = [max(len(column.title), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    print("  ".join(column.title.ljust(widths[i]) if i == 0 else column.title.rjust(widths[i])
                    for i, column in enumerate(columns)))  # fmt: skip
    print("  ".join("-" * width for width in widths))
    for line in cells:
        print("  ".join(text.ljust(widths[i]) if i == 0 else text.rjust(widths[i]) for i, text in enumerate(line)))


def print_routes(rows: Sequence[PhaseFigures]) -> None:
    """Where each phase's calls and time went: the sandbox's route names, and the steps of the run."""
    print()
    for row in rows:
        spent = ", ".join(f"{route} {count}" for route, count in sorted(row.routes.items(), key=lambda item: -item[1]))
        steps = ", ".join(f"{step} {seconds:.1f}" for step, seconds in row.steps.items())
        print(f"{row.name}: calls: {spent or 'none'}; seconds: {steps}")


def ratio_text(value: float) -> str:
    return "-" if math.isinf(value) else f"{value:.2f}"


#: Columns both benchmarks print; each adds its own after these.
COMMON_COLUMNS = (
    Column("phase", lambda r: r.name),
    Column("calls", lambda r: str(r.api_calls)),
    Column("served", lambda r: str(r.served)),
    Column("minimum", lambda r: str(r.minimum)),
    Column("ratio", lambda r: ratio_text(r.ratio)),
    Column("contacts in", lambda r: str(r.pulled_contacts)),
    Column("activities in", lambda r: str(r.pulled_activities)),
    Column("scored", lambda r: str(r.scored)),
    Column("written", lambda r: str(r.written)),
    Column("tasks", lambda r: str(r.tasks_created)),
    Column("wall s", lambda r: f"{r.seconds:.1f}"),
)


def population_of(contacts: int, activities: int | None, *, seed: int, now: datetime) -> Population:
    """The generated population (about ten touches a person), or one with exactly ``activities`` touches:
    a seeded sample of them when fewer are asked for, topped up with follow-up touches in the last day when more."""
    if activities is None:
        return generate_population(contacts, seed=seed, now=now)
    population = generate_population(contacts, seed=seed, now=now - TOP_UP_SPAN)
    touches = list(population.touches)
    round_seed = seed
    while len(touches) < activities and population.people:
        round_seed += 1
        touches += more_touches(population, share=1.0, seed=round_seed, now=now)
    rng = random.Random(seed)
    keep = sorted(rng.sample(range(len(touches)), activities)) if len(touches) > activities else range(len(touches))
    order = {person.key: number for number, person in enumerate(population.people)}
    chosen = sorted((touches[i] for i in keep), key=lambda touch: (order[touch.person_key], touch.at))
    return dataclasses.replace(population, now=now, touches=tuple(chosen))


Scores = Mapping[str, Mapping[str, object]]


def write_check(phase: str, changed: frozenset[str], before: Scores, after: Scores, confirmed: int) -> str:
    """Which records a sync wrote (their score values moved) beside the ones the benchmark changed; for writes
    outside the changed set, which values moved (recency and engagement move with the clock alone)."""
    written = {key for key, values in after.items() if before.get(key) != values}
    extra, missed = written - changed, changed - written
    moved: Counter[str] = Counter()
    for key in extra:
        old = before.get(key) or {}
        moved.update(name for name, value in after[key].items() if old.get(name) != value)
    verdict = "exactly the changed ones" if not extra and not missed else "not exactly the changed ones"
    line = (
        f"{phase}: changed {len(changed)}; values moved on {len(written)} records ({confirmed} writes confirmed):"
        f" {verdict}; moved but unchanged by us {len(extra)}, changed but not moved {len(missed)}"
    )
    if moved:
        line += " (values that moved on those: " + ", ".join(f"{name} {n}" for name, n in moved.most_common()) + ")"
    return line


def against(label: str, value: float, goal: float, digits: int = 2) -> str:
    """ "calls ratio 1.01 <= 1.05": a figure beside its goal."""
    return f"{label} {value:.{digits}f} {'<=' if value <= goal else '>'} {goal}"


def print_summary(
    rows: Sequence[PhaseFigures], checks: Sequence[str], extra: Callable[[PhaseFigures], list[str]] = lambda _: []
) -> None:
    """The write checks, then each phase's figures beside the goals that apply to it."""
    print()
    for line in checks:
        print("write check:", line)
    for row in rows:
        goals = [against("calls ratio", row.ratio, CALLS_GOAL), *extra(row)]
        if row.name.startswith("no change"):
            goal = max(NO_CHANGE_GOAL, row.minimum)
            goals.append(f"{row.api_calls} calls {'<=' if row.api_calls <= goal else '>'} {goal}")
            goals.append(f"written {row.written}")
        print(f"{row.name}: " + "; ".join(goals))


def listing(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items() if count)
