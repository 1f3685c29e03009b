"""Simulated reps in the HubSpot stand-in: they complete tasks.

`scorebridge sandbox fault reps_work:share=0.3` (or `apply_fault`) makes the reps complete that share of the open
tasks; tests complete a given task with `complete_task`, and make tasks look left alone for hours with `age_tasks`.
A completed task gets hs_task_status COMPLETED and hs_task_completion_date, as the "Mark as complete" button sets.
Owners report to nobody: HubSpot has no manager field, which is why `follow_up.escalate_to` exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from adapters.sandbox.hubspot.objects import CREATED_PROPERTIES
from adapters.sandbox.hubspot.portal import Portal
from adapters.sandbox.hubspot.wire import iso
from adapters.sandbox.reps import works_on

COMPLETED = "COMPLETED"


def open_task_ids(portal: Portal) -> list[str]:
    with portal.lock:
        tasks = portal.objects.active("tasks")
        return [str(task.id) for task in tasks if task.properties.get("hs_task_status") != COMPLETED]


def complete_task(portal: Portal, task_id: str) -> None:
    with portal.lock:
        task = portal.objects.get("tasks", task_id)
        now = portal.clock()
        portal.objects.update(task, {"hs_task_status": COMPLETED, "hs_task_completion_date": iso(now)}, now)


def complete_share(portal: Portal, share: float) -> list[str]:
    """The reps complete `share` of the open tasks (a fixed draw per task id); returns the ids completed."""
    chosen = [task_id for task_id in open_task_ids(portal) if works_on(task_id, share)]
    for task_id in chosen:
        complete_task(portal, task_id)
    return chosen


def age_tasks(portal: Portal, hours: float, task_ids: Iterable[str] | None = None) -> None:
    """Move the creation of the given (default: every open) task back by `hours`: a task created that long ago."""
    with portal.lock:
        for task_id in task_ids if task_ids is not None else open_task_ids(portal):
            task = portal.objects.get("tasks", task_id)
            task.created_at -= timedelta(hours=hours)
            for name in CREATED_PROPERTIES:
                task.properties[name] = iso(task.created_at)
