"""Two runs of one connection at once, and `scorebridge sync --dry-run`, through the real command."""

from __future__ import annotations

import re
import subprocess
import threading

from sqlalchemy import func, select

from connector.store import session_scope
from connector.store.tables import SyncRun
from tests.e2e import crm_state
from tests.e2e.conftest import scorebridge_command

COMMAND_TIMEOUT = 120
WRITE_ROUTES = (
    "sf.composite.update",
    "sf.composite.create",
    "hubspot.objects.batch_update",
    "hubspot.objects.batch_create",
)


class HeldAtFirstPhase:
    """A progress display that holds the run inside its lock at its first phase until released."""

    def __init__(self) -> None:
        self.inside = threading.Event()
        self.release = threading.Event()

    def phase(self, name: str, total: int | None = None) -> None:
        self.inside.set()
        assert self.release.wait(COMMAND_TIMEOUT), "the test never released the first run"

    def advance(self, count: int) -> None:
        pass


def test_a_second_run_of_the_same_connection_says_locked_and_touches_nothing(world, store):
    held = HeldAtFirstPhase()
    outcome = {}
    first = threading.Thread(target=lambda: outcome.update(report=world.sync(store, progress=held)))
    first.start()
    try:
        assert held.inside.wait(COMMAND_TIMEOUT)
        second_adapter = world.adapter()
        from connector.sync import run_sync

        second = run_sync(store, world.config, world.connection, second_adapter)
        command = subprocess.run(
            scorebridge_command("sync", "--config", str(world.config_file)),
            env=world.subprocess_env(),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
    finally:
        held.release.set()
        first.join(COMMAND_TIMEOUT)

    assert second.status == "locked" and "another run" in second.message
    assert second.run_id is None
    assert second_adapter.usage().calls == 0
    assert command.returncode != 0
    assert "locked" in command.stdout + command.stderr
    assert outcome["report"].status == "succeeded"
    with session_scope(store) as session:
        assert session.execute(select(func.count()).select_from(SyncRun)).scalar() == 1


def test_dry_run_writes_nothing_and_prints_the_writes_and_tasks_a_real_run_makes(world, store):
    world.sandbox.server.stats.reset()

    command = subprocess.run(
        scorebridge_command("sync", "--dry-run", "--config", str(world.config_file)),
        env=world.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )

    assert command.returncode == 0, command.stderr
    by_route = world.sandbox.server.stats.snapshot()["by_route"]
    assert not {route for route in WRITE_ROUTES if by_route.get(route)}
    assert all(value is None for values in world.scores().values() for value in values.values())
    assert not world.tasks(kinds=None)
    found = re.search(r"would write (\d+) record\(s\) and create (\d+) task\(s\)", command.stdout)
    assert found, command.stdout
    writes, tasks = int(found[1]), int(found[2])
    assert "task for" in command.stdout
    real = world.sync(store)
    written = real.counts["written"] + real.counts.get("account_written", 0)  # people and their accounts
    assert (written, real.counts["tasks_created"]) == (writes, tasks)
    assert sum(crm_state.task_keys(world.crm, world.app).values()) == tasks
