"""Simulated reps in the Salesforce stand-in: they complete Tasks, and their Users report to a sales director.

`scorebridge sandbox fault reps_work:share=0.3` (or `apply_fault`) makes the reps complete that share of the open
Tasks; tests complete a given Task with `complete_task`, and make Tasks look left alone for hours with `age_tasks`.
A completed Task gets Status "Completed", which sets IsClosed, as in a new org's Task Status picklist.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from adapters.sandbox.reps import works_on
from adapters.sandbox.salesforce.records import RecordStore
from adapters.sandbox.salesforce.values import format_datetime, parse_datetime

COMPLETED = "Completed"
DIRECTOR = {
    "Username": "sales.director@acme-demo.com",
    "Email": "sales.director@acme-demo.com",
    "FirstName": "Dana",
    "LastName": "Director",
    "Alias": "ddire",
    "Title": "Sales Director",
}


def open_task_ids(store: RecordStore) -> list[str]:
    return [row["Id"] for row in store.rows("Task") if not row["IsClosed"]]


def complete_task(store: RecordStore, task_id: str) -> None:
    """The Task's owner marks it done, as in the UI (an API-user update: LastModifiedDate and SystemModstamp move)."""
    store.update("Task", task_id, {"Status": COMPLETED})


def complete_share(store: RecordStore, share: float) -> list[str]:
    """The reps complete `share` of the open Tasks (a fixed draw per Task id); returns the ids completed."""
    chosen = [task_id for task_id in open_task_ids(store) if works_on(task_id, share)]
    for task_id in chosen:
        complete_task(store, task_id)
    return chosen


def age_tasks(store: RecordStore, hours: float, task_ids: Iterable[str] | None = None) -> None:
    """Move the CreatedDate of the given (default: every open) Task back by `hours`: a Task created that long ago."""
    for task_id in task_ids if task_ids is not None else open_task_ids(store):
        created = parse_datetime(store.get(task_id)["CreatedDate"])
        earlier = format_datetime(created - timedelta(hours=hours))
        store.update("Task", task_id, {"CreatedDate": earlier}, trusted=True)


def add_director(store: RecordStore, user_ids: Iterable[str], start: datetime) -> str:
    """A sales director every given User reports to (User.ManagerId); the director reports to nobody."""
    stamp = format_datetime(start)
    director = store.insert("User", {**DIRECTOR, "CreatedDate": stamp, "LastModifiedDate": stamp}, canonical=True)
    for user_id in user_ids:
        store.update("User", user_id, {"ManagerId": director}, trusted=True)
    return director
