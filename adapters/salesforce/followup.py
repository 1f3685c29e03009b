"""Reading back the Tasks ScoreBridge created, the owners' managers, and handing Tasks to another owner.

States and managers are SOQL on Id: up to 200 ids per query (each quoted 18-character id grows to about 26 bytes
URL-encoded, so a query stays far below the 16,384 bytes Salesforce allows a request's URI and headers,
https://help.salesforce.com/s/articleView?id=000386264), five queries per Composite call: 1,000 tasks a call.
Task.IsClosed is true once the Status is one the org marks closed (Completed in a new org); User.ManagerId is the
user's manager (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_user.htm).
A reassignment is an sObject Collections update of Task.OwnerId, 200 a call, as score writes are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from adapters.salesforce import soql
from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.composite import Query, first_pages, pages_from
from adapters.salesforce.normalize import parse_timestamp
from adapters.salesforce.write import write_scores
from connector.crm import ScoreWrite, TaskReassignment, TaskState, WriteResult

IDS_PER_QUERY = 200
STATE_FIELDS = ("Id", "Status", "IsClosed", "OwnerId", "CreatedDate")
#: The logical target a reassignment writes, and the Task field it goes to.
OWNER_TARGETS = {"Task": {"owner": "OwnerId"}}


def task_states(client: SalesforceClient, crm_task_ids: Sequence[str]) -> dict[str, TaskState]:
    """Task id (as given) -> state; Tasks deleted since are left out."""
    asked = {task_id[:15]: task_id for task_id in crm_task_ids}  # 15- or 18-character ids: the first 15 identify
    states = {}
    for row in _rows_by_id(client, "Task", STATE_FIELDS, list(asked.values()), "read-back of task states"):
        task_id = asked.get(str(row["Id"])[:15])
        if task_id is not None:
            states[task_id] = TaskState(
                task_id, row.get("Status"), bool(row.get("IsClosed")), row.get("OwnerId"),
                parse_timestamp(row.get("CreatedDate")),
            )  # fmt: skip
    return states


def owner_managers(client: SalesforceClient, owner_ids: Sequence[str]) -> dict[str, str]:
    """User id (as given) -> its ManagerId, for the users that have one. Owners that are queues have none."""
    users = [owner for owner in dict.fromkeys(owner_ids) if owner.startswith("005")]
    asked = {owner[:15]: owner for owner in users}
    managers = {}
    for row in _rows_by_id(client, "User", ("Id", "ManagerId"), users, "look-up of the owners' managers"):
        owner = asked.get(str(row["Id"])[:15])
        if owner is not None and row.get("ManagerId"):
            managers[owner] = str(row["ManagerId"])
    return managers


def reassign_tasks(client: SalesforceClient, changes: Sequence[TaskReassignment]) -> list[WriteResult]:
    """Task.OwnerId set for each change; one result per change, in order (`crm_id` the task id)."""
    writes = [ScoreWrite("Task", change.crm_task_id, {"owner": change.owner_id}) for change in changes]
    return write_scores(client, writes, OWNER_TARGETS)


def _rows_by_id(
    client: SalesforceClient, object_name: str, fields: Sequence[str], ids: Sequence[str], what: str
) -> Iterator[Mapping[str, Any]]:
    queries = [
        Query(soql.select(object_name, fields, [soql.in_condition("Id", chunk)]), what)
        for chunk in soql.chunked(list(ids), IDS_PER_QUERY)
    ]
    for first in first_pages(client, queries):
        for page in pages_from(client, first, what=what):
            yield from page
