"""The write half of connector/crm.py's contract, run against every registered CRM with its stand-in: write
results in order with per-record errors, task idempotency across a crash between create and record, and usage
and limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connector.crm import ScoreWrite, TaskRequest
from connector.errors import LimitReachedError
from tests.contract.conftest import START
from tests.contract.drivers import task_keys, written


def test_write_results_come_back_in_order_with_per_record_errors(world):
    good_a, good_b, gone = world.add_contacts(3)
    world.delete(gone)
    missing = world.driver.unknown_id(world.app)
    kind = world.driver.contact_type
    writes = [
        ScoreWrite(kind, good_a, {"fit": 41, "stage": "MQL"}),
        ScoreWrite(kind, missing, {"fit": 50}),
        ScoreWrite(kind, good_b, {"fit": 62}),
        ScoreWrite(kind, gone, {"fit": 70}),
    ]
    results = world.adapter().write_scores(writes)
    assert [r.crm_id for r in results] == [good_a, missing, good_b, gone]
    assert [r.ok for r in results] == [True, False, True, False]
    assert all(r.error_code for r in results if not r.ok)
    assert written(world.name, world.app, good_a)["fit"] == 41
    assert written(world.name, world.app, good_b)["fit"] == 62


def test_a_rejected_share_fails_alone_and_the_rest_is_written(world):
    ids = world.add_contacts(8)
    world.fault("reject_share", share=0.25, count=1)
    results = world.adapter().write_scores([ScoreWrite(world.driver.contact_type, i, {"fit": 33}) for i in ids])
    assert [r.crm_id for r in results] == ids
    failed = [r.crm_id for r in results if not r.ok]
    assert len(failed) == 2 and all(r.error_code for r in results if not r.ok)
    assert all(written(world.name, world.app, i)["fit"] == 33 for i in ids if i not in failed)


def _task(world, key: str, crm_id: str) -> TaskRequest:
    return TaskRequest(
        key, world.driver.contact_type, crm_id, None, f"Follow up {key}", "Scored MQL", START + timedelta(days=1)
    )


def test_tasks_created_before_a_crash_are_found_by_key_and_never_made_twice(world):
    people = world.add_contacts(3)
    tasks = [_task(world, f"contract:{n}", crm_id) for n, crm_id in enumerate(people)]
    created = world.adapter().create_tasks(tasks[:2])  # ... and the process dies before the outbox records them
    assert [r.idempotency_key for r in created] == ["contract:0", "contract:1"]
    assert all(r.crm_task_id and r.error_code is None for r in created)
    restarted = world.adapter()
    found = restarted.find_tasks([t.idempotency_key for t in tasks])
    assert found == {r.idempotency_key: r.crm_task_id for r in created}
    missing = [t for t in tasks if t.idempotency_key not in found]
    assert [r.crm_task_id is not None for r in restarted.create_tasks(missing)] == [True]
    assert task_keys(world.name, world.app) == {"contract:0": 1, "contract:1": 1, "contract:2": 1}


def test_usage_counts_the_calls_made_and_the_allocation_reported(world):
    adapter = world.adapter()
    assert adapter.usage().calls == 0
    world.add_contacts(3)
    list(adapter.pull_contacts(None))
    usage = adapter.usage()
    assert usage.calls >= 1
    assert usage.daily_limit is not None and usage.daily_used is not None
    adapter.write_scores([])
    assert adapter.usage().calls >= usage.calls


def test_a_used_up_daily_allocation_stops_a_pull_with_limit_reached(world):
    world.add_contacts(3)
    world.fault("daily_limit")
    with pytest.raises(LimitReachedError):
        list(world.adapter().pull_contacts(None))
