"""End-to-end fixtures: a sandbox CRM filled with a generated population, a connector config for it, and a store.

The sandbox runs in a thread of the test process, so it outlives any `scorebridge` child process a test kills.
Adapters built here get a fake clock and sleep: retries and rate-limit waits are recorded, never slept.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine

from adapters.registry import CRMS, AdapterOptions, crm_named
from adapters.sandbox.http import Fault
from adapters.sandbox.launch import RunningSandbox, ServeOptions, inject_fault, start_sandbox
from adapters.sandbox.population import Population, generate_population
from connector.config import ConnectionConfig, ConnectorConfig, TaskPolicy, load_config
from connector.crm import CrmAdapter
from connector.store import make_engine, upgrade_store
from connector.sync import SyncReport, run_sync
from tests.e2e import crm_state

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "mappings" / "scoring.yaml"
MAPPINGS = {kind.name: REPO / "mappings" / f"{kind.name}.yaml" for kind in CRMS}
#: Small enough for CI, big enough that every stage, task and activity kind turns up.
PEOPLE = 240
SEED = 7


class FakeTime:
    """A monotonic clock that a recorded sleep moves forward: rate limiters and retries run without waiting."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


@dataclass
class SandboxWorld:
    """One CRM sandbox with its population, and a connector pointed at it."""

    crm: str
    sandbox: RunningSandbox
    population: Population
    workdir: Path
    config: ConnectorConfig
    config_file: Path
    env: dict[str, str]
    time: FakeTime = field(default_factory=FakeTime)

    @property
    def connection(self) -> ConnectionConfig:
        return self.config.connections[0]

    @property
    def app(self) -> Any:
        return self.sandbox.app

    def adapter(self, mapping: Path | None = None) -> CrmAdapter:
        """An adapter for the sandbox, with the shipped mapping unless another is given."""
        options = AdapterOptions(environ=self.env, sleep=self.time.sleep, monotonic=self.time.monotonic)
        return crm_named(self.crm).adapter(self.connection.settings, mapping or MAPPINGS[self.crm], options)

    def with_default_task_policy(self) -> None:
        """Tasks only for transitions of the last `tasks.recent_days` (7), as a connector file without `tasks:`."""
        connection = self.connection.model_copy(update={"tasks": TaskPolicy()})
        self.config = self.config.model_copy(update={"connections": [connection]})

    def sync(self, engine: Engine, mapping: Path | None = None, **options: Any) -> SyncReport:
        """One sync run, with the shipped mapping or the one given (named in the connector config too)."""
        if mapping is None:
            return run_sync(engine, self.config, self.connection, self.adapter(), **options)
        connection = self.connection.model_copy(update={"mapping": mapping})
        config = self.config.model_copy(update={"connections": [connection]})
        return run_sync(engine, config, connection, self.adapter(mapping), **options)

    def fault(self, kind: str, **values: Any) -> None:
        inject_fault(self.sandbox.server, Fault(kind=kind, **values))

    def clear_faults(self) -> None:
        self.sandbox.server.faults.clear()
        self.app.apply_fault(Fault(kind="clear"))

    def requests_served(self) -> int:
        return self.sandbox.server.stats.snapshot()["total"]

    def scores(self) -> dict[str, dict[str, Any]]:
        return crm_state.written_scores(self.crm, self.app)

    def tasks(self, kinds: frozenset[str] | None = frozenset({"stage"})) -> dict[str, int]:
        """crm_id -> ScoreBridge tasks naming it: stage tasks unless `kinds` says otherwise (None: all)."""
        return crm_state.task_counts(self.crm, self.app, kinds)

    def subprocess_env(self) -> dict[str, str]:
        return {**os.environ, **self.env, "PYTHONPATH": str(REPO), "NO_COLOR": "1", "COLUMNS": "200"}


def scorebridge_command(*args: str) -> list[str]:
    """The `scorebridge` console command, run with the interpreter of this test session."""
    return [sys.executable, "-c", "from connector.cli import main; main()", *args]


def _connection_settings(crm: str, info: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The `settings:` block for the sandbox, and the environment variables holding its secrets."""
    env: dict[str, str] = {}

    def secret_in_env(name: str, value: str) -> dict[str, str]:
        variable = "E2E_" + name.upper().replace("-", "_")
        env[variable] = value
        return {"env": variable}

    settings = crm_named(crm).stand_in.connection_settings(info, secret_in_env)
    if crm == "salesforce":
        settings["max_wait_seconds"] = 1.0  # subprocess runs really sleep: keep their backoff short
    return settings, env


def write_connector_file(workdir: Path, crm: str, settings: dict[str, Any], database_url: str) -> Path:
    document = {
        "database_url": database_url,
        "model": str(MODEL),
        "connections": [
            {
                "name": f"e2e-{crm}",
                "crm": crm,
                "mapping": str(MAPPINGS[crm]),
                "schedule": {"interval_minutes": 0.02},
                # The whole history becomes tasks (not only this week's), so that every run creates some and the
                # fault and kill tests reach task creation; test_sync_end_to_end checks the default on its own.
                "tasks": {"recent_days": None},
                "settings": settings,
            }
        ],
    }
    path = workdir / "connector.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _count_daily_usage_only(app: Any) -> None:
    """HubSpot limits on, so the daily allocation counts and can run out, with bursts too high to matter.

    With `rate_limit=None` the stand-in counts nothing, and a `daily_limit` fault would change nothing.
    """
    app.limiter.limits = dataclasses.replace(
        app.limiter.limits, enabled=True, per_ten_seconds=1_000_000, searches_per_second=1_000_000
    )


def open_world(crm: str, workdir: Path, *, people: int = PEOPLE, **options: Any) -> SandboxWorld:
    """Start a sandbox with a fresh population, write the connector file, and create the CRM's fields."""
    workdir.mkdir(parents=True, exist_ok=True)
    # A minute in the past, so that activity added later (tests/e2e/activity.py) has room after the population's
    # "now" and still falls within the adapters' lookback (300 s HubSpot, 600 s Salesforce).
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=60)
    population = generate_population(people, seed=SEED, now=now, days=365)
    sandbox = start_sandbox(ServeOptions(crm=crm, workdir=workdir, rate_limit=None, **options))
    sandbox.app.load_population(population)
    if crm == "hubspot":
        _count_daily_usage_only(sandbox.app)
    settings, env = _connection_settings(crm, sandbox.info)
    config_file = write_connector_file(workdir, crm, settings, f"sqlite:///{workdir / 'store.db'}")
    world = SandboxWorld(crm, sandbox, population, workdir, load_config(config_file), config_file, env)
    world.adapter().setup()
    return world


@pytest.fixture(params=[kind.name for kind in CRMS])
def world(request, tmp_path) -> Iterator[SandboxWorld]:
    """Each CRM sandbox in turn, with PEOPLE generated people and the ScoreBridge fields set up."""
    opened = open_world(request.param, tmp_path / request.param)
    yield opened
    opened.sandbox.server.stop()


@pytest.fixture
def store(world) -> Iterator[Engine]:
    """The SQLite store the connector file names, migrated as `scorebridge sync` would."""
    engine = make_engine(world.config.database_url)
    upgrade_store(engine)
    yield engine
    engine.dispose()
