"""A store rebuilt from scratch, or an older store file put back, finds the tasks the CRM holds and adds none."""

from __future__ import annotations

import shutil

from connector.store import make_engine, upgrade_store
from tests.e2e import crm_state
from tests.e2e.activity import add_activity
from tests.e2e.conftest import SandboxWorld


def duplicated_keys(world: SandboxWorld) -> dict[str, int]:
    return {key: count for key, count in crm_state.task_keys(world.crm, world.app).items() if count > 1}


def _sync_with_new_tasks(world: SandboxWorld, store) -> None:
    """A first sync (the population's history: its tasks are historic), then one that creates tasks."""
    assert world.sync(store).status == "succeeded"
    add_activity(world, share=0.3)
    second = world.sync(store)
    assert second.status == "succeeded", second.message
    assert second.counts["tasks_created"] > 0, str(second.counts)


def test_a_store_rebuilt_from_scratch_creates_no_task_the_crm_holds(world, store, tmp_path):
    _sync_with_new_tasks(world, store)
    tasks = world.tasks()
    rebuilt = make_engine(f"sqlite:///{tmp_path / 'rebuilt.db'}")
    upgrade_store(rebuilt)

    again = world.sync(rebuilt)

    assert again.status == "succeeded", again.message
    assert again.counts.get("tasks_created", 0) == 0 and again.counts["tasks_found"] > 0
    assert world.tasks() == tasks
    assert duplicated_keys(world) == {}
    rebuilt.dispose()


def test_an_older_store_file_put_back_creates_no_duplicate(world, store):
    store_file = world.workdir / "store.db"
    assert world.sync(store).status == "succeeded"
    store.dispose()
    shutil.copy(store_file, world.workdir / "backup.db")
    add_activity(world, share=0.3)
    assert world.sync(store).counts["tasks_created"] > 0
    store.dispose()
    tasks = world.tasks()

    shutil.copy(world.workdir / "backup.db", store_file)  # the documented rollback
    restored = world.sync(store)

    assert restored.status == "succeeded", restored.message
    assert restored.counts.get("tasks_created", 0) == 0
    assert world.tasks() == tasks
    assert duplicated_keys(world) == {}
