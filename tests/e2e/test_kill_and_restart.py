"""`scorebridge sync` killed with -9 at many points, then started again, ends where an uninterrupted run would.

The sandbox serves from a thread of the test process, so it outlives the killed child. A `KillSwitch` holds the
sandbox's handler right after it has done the chosen request (a write applied, a task created) and before the
answer leaves, kills the child there, and only then lets the handler go on: the widest window there is, taken
deterministically, with no sleeping.
"""

from __future__ import annotations

import random
import subprocess
import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from connector.store import session_scope
from connector.store.tables import Activity, SyncRun
from tests.e2e import crm_state, reference
from tests.e2e.conftest import SandboxWorld, scorebridge_command
from tests.e2e.test_sync_end_to_end import differences, expected_first_tasks, reference_of

RUN_TIMEOUT = 120
WRITE_ROUTES = {"salesforce": "sf.composite.update", "hubspot": "hubspot.objects.batch_update"}
TASK_ROUTES = {"salesforce": "sf.composite.create", "hubspot": "hubspot.objects.batch_create"}


@dataclass(frozen=True)
class KillPoint:
    """Kill the run when the sandbox has served the `nth` request on routes matching `route` ("" for any)."""

    nth: int
    route: str = ""

    def label(self) -> str:
        return f"request {self.nth}" + (f" on {self.route}" if self.route else "")


class KillSwitch:
    """Wraps the sandbox's request counter: at the chosen request, signals `reached` and holds the answer until
    `released` is set (on leaving the block at the latest)."""

    def __init__(self, world: SandboxWorld, point: KillPoint) -> None:
        self._stats = world.sandbox.server.stats
        self._record = self._stats.record
        self._point = point
        self._seen = 0
        self._lock = threading.Lock()
        self.reached = threading.Event()
        self.released = threading.Event()

    def __enter__(self) -> KillSwitch:
        self._stats.record = self._counting  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stats.record = self._record  # type: ignore[method-assign]
        self.released.set()

    def _counting(self, route_name: str, status: int) -> None:
        self._record(route_name, status)
        if route_name == "admin" or (self._point.route and route_name != self._point.route):
            return
        with self._lock:
            self._seen += 1
            hit = self._seen == self._point.nth
        if hit:
            self.reached.set()
            self.released.wait(RUN_TIMEOUT)  # the answer leaves only once the test lets it (the child is dead)


def sync_command(world: SandboxWorld) -> subprocess.Popen:
    return subprocess.Popen(
        scorebridge_command("sync", "--config", str(world.config_file), "--log-format", "json"),
        env=world.subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_killed_at(world: SandboxWorld, point: KillPoint) -> bool:
    """Start a sync and kill -9 it at `point`; False when the run finished before getting there."""
    with KillSwitch(world, point) as switch:
        child = sync_command(world)
        while not switch.reached.wait(0.05):
            if child.poll() is not None:
                assert child.returncode == 0, (
                    f"sync ended {child.returncode} before {point.label()}: {child.stderr.read()}"
                )
                return False
        child.kill()
        child.wait(RUN_TIMEOUT)
    child.stderr.close()
    return True


def run_to_the_end(world: SandboxWorld) -> None:
    child = sync_command(world)
    _, errors = child.communicate(timeout=RUN_TIMEOUT)
    assert child.returncode == 0, errors


def kill_points(crm: str, seed: int) -> list[KillPoint]:
    """The first request, the first task creation (done in the CRM, unknown to the run), the first score writes,
    then two points seeded at random in the short incremental runs that follow.

    Each restart resumes from the last checkpoint, so later runs are shorter: the points go from early to late.
    """
    rng = random.Random(seed)
    writes = [KillPoint(1, TASK_ROUTES[crm]), KillPoint(1, WRITE_ROUTES[crm]), KillPoint(2, WRITE_ROUTES[crm])]
    return [KillPoint(1), *writes, KillPoint(rng.randint(1, 3)), KillPoint(rng.randint(1, 3))]


def last_run_start(store):
    with session_scope(store) as session:
        return session.execute(select(SyncRun.started_at).order_by(SyncRun.id.desc()).limit(1)).scalar()


@pytest.mark.slow
def test_sync_killed_at_many_points_ends_like_an_uninterrupted_run(world, store, tmp_path):
    points = kill_points(world.crm, seed=5)
    killed = [point for point in points if run_killed_at(world, point)]
    run_to_the_end(world)

    assert points[:3] == killed[:3], f"the kills at the first requests, tasks and writes must land: {killed}"
    expected = reference_of(world, tmp_path / "reference", last_run_start(store), "final")
    assert differences(world, expected) == {}, f"after kills at {killed}"
    assert world.tasks() == expected_first_tasks(expected), f"after kills at {killed}"
    duplicates = {key: n for key, n in crm_state.task_keys(world.crm, world.app).items() if n > 1}
    assert duplicates == {}
    reference_activities = _reference_activity_count(world)
    with session_scope(store) as session:
        stored = session.execute(select(func.count()).select_from(Activity)).scalar()
    assert stored == reference_activities


def _reference_activity_count(world: SandboxWorld) -> int:
    if world.crm == "salesforce":
        _, activities = reference.salesforce_rows(world.app.store)
    else:
        _, activities = reference.hubspot_rows(world.app.portal)
    return len({(row["source_id"], row["contact_crm_id"]) for row in activities})
