"""Faults during a whole run: the run ends with a clear status, and the next run (faults cleared) completes the work.

"Completes the work" is checked against the independent reference of test_sync_end_to_end: the CRM ends with the
values a run without faults would have written, one task per contact that entered a notifying stage, no duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e import crm_state
from tests.e2e.test_sync_end_to_end import differences, expected_first_tasks, reference_of

WRITE_ROUTES = {"salesforce": "sf.composite.update", "hubspot": "hubspot.objects.batch_update"}
TASK_ROUTES = {"salesforce": "sf.composite.create", "hubspot": "hubspot.objects.batch_create"}


@dataclass(frozen=True)
class FaultCase:
    name: str
    kind: str
    values: dict[str, Any] = field(default_factory=dict)
    #: statuses the faulty run may end with; any other status, or a failure without a message, is a bug
    statuses: tuple[str, ...] = ("succeeded",)
    route: str | None = None  # "write" or "tasks": aim the fault at that CRM's route
    #: the run may "succeed" only if its report warns that writes were left for the next run
    success_needs_warning: bool = False

    def inject(self, world) -> None:
        values = dict(self.values)
        if self.route == "write":
            values["route"] = WRITE_ROUTES[world.crm]
        elif self.route == "tasks":
            values["route"] = TASK_ROUTES[world.crm]
        world.fault(self.kind, **values)


CASES = [
    FaultCase("a short 429 storm is waited out", "rate_limit", {"count": 3}),
    # HubSpot's adapter fails the run; Salesforce's marks the batches NOT_SENT and the run ends with a warning.
    FaultCase(
        "429 on every write fails or warns",
        "rate_limit",
        {"count": -1},
        ("failed", "limit_reached", "succeeded"),
        "write",
        success_needs_warning=True,
    ),
    FaultCase("a few 503s are retried", "status", {"status": 503, "count": 2}),
    FaultCase(
        "500 on every task creation fails clearly",
        "status",
        {"status": 500, "count": -1},
        ("succeeded", "failed"),
        "tasks",
    ),
    FaultCase("connection resets are retried", "reset", {"count": 2}),
    FaultCase("a share of each write batch is rejected", "reject_share", {"share": 0.3, "count": -1}),
    FaultCase("an expired session is renewed", "expire_sessions"),
    FaultCase("the daily API limit stops the run", "daily_limit", statuses=("limit_reached",)),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_fault_ends_the_run_clearly_and_the_next_run_completes_the_work(world, store, tmp_path, case):
    case.inject(world)

    faulty = world.sync(store)

    assert faulty.status in case.statuses, f"{faulty.status}: {faulty.message}"
    if faulty.status != "succeeded":
        assert faulty.message, "a run that did not succeed must say why"
    elif case.success_needs_warning:
        assert any("not confirmed" in warning for warning in faulty.warnings), faulty.warnings
    world.clear_faults()
    recovered = world.sync(store)
    assert recovered.status == "succeeded", recovered.message
    expected = reference_of(world, tmp_path / "reference", recovered.started_at, "recovered")
    assert differences(world, expected) == {}
    assert world.tasks() == expected_first_tasks(expected)
    assert max(crm_state.task_keys(world.crm, world.app).values()) == 1


def test_rejected_writes_are_reported_as_failed_and_resent_by_the_next_run(world, store):
    world.fault("reject_share", share=0.3, count=-1)

    faulty = world.sync(store)

    assert faulty.counts["write_failed"] > 0
    assert faulty.counts["written"] + faulty.counts["write_failed"] == faulty.counts["writes_changed"]
    assert any("not confirmed" in warning for warning in faulty.warnings)
    world.clear_faults()
    recovered = world.sync(store)
    assert recovered.counts["written"] >= faulty.counts["write_failed"]
    assert recovered.counts.get("write_failed", 0) == 0


def test_retries_wait_without_sleeping_and_count_the_429s(world, store):
    world.fault("rate_limit", count=3)

    report = world.sync(store)

    assert report.status == "succeeded", report.message
    assert report.counts["rate_limited"] >= 3
    assert len(world.time.sleeps) >= 3
