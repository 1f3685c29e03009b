"""SIGTERM while `scorebridge serve` is in the middle of a run: exit 0, nothing half-written, the next sync finishes."""

from __future__ import annotations

import signal
import socket
import subprocess

import pytest
from sqlalchemy import select

from connector.store import session_scope
from connector.store.tables import SyncRun
from tests.e2e import crm_state
from tests.e2e.conftest import scorebridge_command
from tests.e2e.test_kill_and_restart import WRITE_ROUTES, KillPoint, KillSwitch
from tests.e2e.test_sync_end_to_end import differences, expected_first_tasks, reference_of

EXIT_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_sigterm_during_a_scheduled_run_exits_zero_and_the_next_sync_completes_the_work(world, store, tmp_path):
    with KillSwitch(world, KillPoint(1, WRITE_ROUTES[world.crm])) as held:
        serve = subprocess.Popen(
            scorebridge_command("serve", "--config", str(world.config_file), "--port", str(free_port())),
            env=world.subprocess_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while not held.reached.wait(0.05):
                assert serve.poll() is None, f"serve ended before its first write: {serve.stderr.read()}"
            serve.send_signal(signal.SIGTERM)
        finally:
            held.released.set()  # the write is answered after the signal: the run is mid-step when it arrives
        _, errors = serve.communicate(timeout=EXIT_TIMEOUT)

    assert serve.returncode == 0, errors
    with session_scope(store) as session:
        statuses = [run.status for run in session.execute(select(SyncRun)).scalars()]
    assert statuses and set(statuses) <= {"succeeded", "stopped"}, statuses
    follow_up = world.sync(store)
    assert follow_up.status == "succeeded", follow_up.message
    expected = reference_of(world, tmp_path / "reference", follow_up.started_at, "after-serve")
    assert differences(world, expected) == {}
    assert world.tasks() == expected_first_tasks(expected)
    assert max(crm_state.task_keys(world.crm, world.app).values()) == 1
