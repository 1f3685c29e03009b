"""Follow-up of the tasks ScoreBridge created: read back what the reps did, escalate what nobody worked.

Each run reads the state of the sent tasks not yet seen completed (one call per batch of open tasks), records
completions, and escalates once every task still open `follow_up.sla_hours` after the CRM created it:
`manager` queues an escalation task for the owner's manager in the outbox (delivered, exactly once, by the
outbox's own key look-up), `reassign` gives the task itself to the manager. The escalation and the mark that
prevents a second one are written in one transaction; a reassignment is recorded after the CRM confirmed it and,
if a crash comes between, done again to the same owner, which changes nothing. docs/task-followup.md has more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connector.config import FollowUpPolicy
from connector.crm import CrmAdapter, TaskReassignment, TaskState
from connector.outbox import KEY_LENGTH, PENDING, SENT, deliver_tasks
from connector.store.engine import session_scope
from connector.store.tables import TaskOutbox

#: Open tasks read per pass; the adapters split further (Salesforce 200 ids a query, 1,000 a call; HubSpot 100).
STATE_BATCH = 1000
ESCALATION = "escalation"
#: `crm_status` of a task the CRM no longer holds (a rep deleted it): never read or escalated again.
GONE = "(deleted)"
SUBJECT_LIMIT = 255


@dataclass
class FollowUp:
    """What one follow-up pass saw and did."""

    checked: int = 0
    completed: int = 0
    escalated: int = 0
    gone: int = 0
    #: Escalation tasks (manager) created in the CRM by this pass, and those found there already.
    created: int = 0
    found: int = 0
    #: Overdue tasks nobody could be named for (no manager and no `escalate_to`), and CRM refusals: one line each.
    problems: list[str] = field(default_factory=list)
    #: In a dry run: what would be sent, in the shape of the outbox's task payloads.
    planned: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class _Overdue:
    """An open task past the SLA, as just read: the owner it was given, and the one the CRM shows now."""

    key: str
    crm_task_id: str
    owner_id: str | None
    current_owner: str | None
    crm_status: str | None


def follow_up_tasks(
    engine: Engine,
    adapter: CrmAdapter,
    connection: str,
    policy: FollowUpPolicy,
    *,
    now: datetime,
    dry_run: bool = False,
) -> FollowUp:
    """Read the open tasks' states, record completions, escalate the overdue once. With `dry_run` nothing is
    stored and nothing is sent: `planned` says what would be."""
    result = FollowUp()
    if policy.sla_hours is None:
        return result
    with session_scope(engine) as session:
        open_tasks = _open_tasks(session, connection, now)
    overdue: list[_Overdue] = []
    for start in range(0, len(open_tasks), STATE_BATCH):
        batch = open_tasks[start : start + STATE_BATCH]
        states = adapter.task_states([task_id for _, task_id in batch])  # no transaction open while the CRM answers
        with session_scope(engine) as session:
            keys = [key for key, _ in batch]
            rows = session.execute(
                select(TaskOutbox).where(TaskOutbox.connection == connection, TaskOutbox.idempotency_key.in_(keys))
            ).scalars()
            overdue += _record_states(rows, states, policy, now, result)
            if dry_run:
                session.rollback()
    if overdue and policy.escalates:
        _escalate(engine, adapter, connection, policy, overdue, now=now, dry_run=dry_run, result=result)
    return result


def _open_tasks(session: Session, connection: str, now: datetime) -> list[tuple[str, str]]:
    """(key, CRM task id) of the sent tasks not seen completed or deleted, queued before this run (a task sent a
    moment ago has not been worked yet: it is read next run). The store keeps whole seconds, so the tasks of a run
    that started within this run's second count as this run's: read next run too."""
    rows = session.execute(
        select(TaskOutbox.idempotency_key, TaskOutbox.crm_task_id)
        .where(
            TaskOutbox.connection == connection,
            TaskOutbox.status == SENT,
            TaskOutbox.crm_task_id.is_not(None),
            TaskOutbox.completed_at.is_(None),
            or_(TaskOutbox.crm_status.is_(None), TaskOutbox.crm_status != GONE),
            TaskOutbox.created_at < now,
        )
        .order_by(TaskOutbox.created_at, TaskOutbox.idempotency_key)
    ).all()
    return [(key, task_id) for key, task_id in rows]


def _record_states(
    rows: Iterable[TaskOutbox], states: dict[str, TaskState], policy: FollowUpPolicy, now: datetime, result: FollowUp
) -> list[_Overdue]:
    """Store what the CRM said of each task; return the ones still open past the SLA and never escalated."""
    overdue = []
    for row in rows:
        state = states.get(row.crm_task_id)
        first_read = row.status_checked_at is None
        row.status_checked_at = now
        result.checked += 1
        if state is None:
            row.crm_status = GONE
            result.gone += 1
            continue
        row.crm_status = (state.status or "")[:40] or None
        row.owner_id = _given_owner(row, state, first_read)
        if state.closed:
            row.completed_at = now
            result.completed += 1
        elif _is_overdue(row, state, policy, now):
            overdue.append(_Overdue(row.idempotency_key, row.crm_task_id, row.owner_id, state.owner_id, row.crm_status))
    return overdue


def _given_owner(row: TaskOutbox, state: TaskState, first_read: bool) -> str | None:
    """The owner the CRM gave the task, as the first read shows it: not always the record's owner we asked for (a
    Salesforce queue cannot own a Task, so a queue-owned lead's task goes to `tasks.queue_owner` or the integration
    user). Kept from then on, so that a replayed reassignment names the same manager."""
    if first_read and state.owner_id:
        return state.owner_id
    return row.owner_id or row.payload.get("owner_id") or state.owner_id


def _is_overdue(row: TaskOutbox, state: TaskState, policy: FollowUpPolicy, now: datetime) -> bool:
    if row.kind == ESCALATION or row.escalated_at is not None:
        return False  # an escalation is never escalated, and a task at most once
    created = state.created_at or row.created_at
    return created + timedelta(hours=policy.sla_hours or 0) <= now


def _escalate(
    engine: Engine,
    adapter: CrmAdapter,
    connection: str,
    policy: FollowUpPolicy,
    overdue: list[_Overdue],
    *,
    now: datetime,
    dry_run: bool,
    result: FollowUp,
) -> None:
    targets = _escalation_targets(adapter, policy, overdue, result)
    if policy.escalate == "manager":
        _queue_manager_tasks(engine, connection, policy, targets, now=now, dry_run=dry_run, result=result)
        if not dry_run and targets:
            delivery = deliver_tasks(engine, adapter, connection)
            result.created, result.found = delivery.created, delivery.found
    else:
        _reassign(engine, adapter, connection, targets, now=now, dry_run=dry_run, result=result)


def _escalation_targets(
    adapter: CrmAdapter, policy: FollowUpPolicy, overdue: list[_Overdue], result: FollowUp
) -> dict[_Overdue, str]:
    """Who gets each escalation: the owner's manager, else `escalate_to`; tasks with neither are reported."""
    owners = sorted({task.owner_id for task in overdue if task.owner_id})
    managers = adapter.owner_managers(owners) if owners else {}
    targets = {}
    for task in overdue:
        target = managers.get(task.owner_id or "") or policy.escalate_to
        if target:
            targets[task] = target
        else:
            result.problems.append(
                f"task {task.crm_task_id} is past follow_up.sla_hours but its owner {task.owner_id or '(none)'} "
                "has no manager: set follow_up.escalate_to"
            )
    return targets


def escalation_key(original_key: str) -> str:
    """The idempotency key of the escalation of a task: derived from the original's, so a second pass (or a
    rebuilt store) computes the same one and the outbox's look-up finds the task already made."""
    key = f"escalation:{original_key}"
    return key if len(key) <= KEY_LENGTH else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _queue_manager_tasks(
    engine: Engine,
    connection: str,
    policy: FollowUpPolicy,
    targets: dict[_Overdue, str],
    *,
    now: datetime,
    dry_run: bool,
    result: FollowUp,
) -> None:
    """The escalation task and the original's `escalated_at` in one transaction: both or neither survive a kill."""
    with session_scope(engine) as session:
        for task, manager in targets.items():
            original = session.get(TaskOutbox, (connection, task.key))
            row = _escalation_row(original, task, manager, policy, now)
            if session.get(TaskOutbox, (connection, row.idempotency_key)) is None:
                session.add(row)
            original.escalated_at = now
            result.escalated += 1
            result.planned.append(dict(row.payload))
        if dry_run:
            session.rollback()


def _escalation_row(
    original: TaskOutbox, task: _Overdue, manager: str, policy: FollowUpPolicy, now: datetime
) -> TaskOutbox:
    payload = original.payload
    subject = f"Not worked in {policy.sla_hours:g} h: {payload['subject']}"
    lines = [
        f"This task was given to owner {task.owner_id or '(none)'} on {original.created_at:%Y-%m-%d %H:%M} UTC "
        f"and is still {task.crm_status or 'open'} in the CRM after {policy.sla_hours:g} hours.",
        "",
        "The task:",
        payload["description"],
    ]
    return TaskOutbox(
        idempotency_key=escalation_key(original.idempotency_key),
        connection=original.connection,
        contact_id=original.contact_id,
        account_id=original.account_id,
        reason=f"not worked within {policy.sla_hours:g} hours",
        payload={
            "object_type": payload["object_type"],
            "crm_id": payload["crm_id"],
            "owner_id": manager,
            "subject": subject[:SUBJECT_LIMIT],
            "description": "\n".join(lines),
            "due_at": now.isoformat(),
        },
        status=PENDING,
        created_at=now,
        kind=ESCALATION,
        owner_id=manager,
        due_at=now,
        escalation_of=original.idempotency_key,
    )


def _reassign(
    engine: Engine,
    adapter: CrmAdapter,
    connection: str,
    targets: dict[_Overdue, str],
    *,
    now: datetime,
    dry_run: bool,
    result: FollowUp,
) -> None:
    """Give each overdue task to its manager; recorded only once the CRM confirmed (or already showed) it."""
    needed = [
        TaskReassignment(task.crm_task_id, target) for task, target in targets.items() if task.current_owner != target
    ]
    if dry_run:
        result.planned += [{"object_type": "Task", "crm_id": c.crm_task_id, "owner_id": c.owner_id,
                            "subject": "reassign: not worked within follow_up.sla_hours"} for c in needed]  # fmt: skip
        result.escalated += len(targets)
        return
    outcomes = adapter.reassign_tasks(needed) if needed else []
    refused = {outcome.crm_id: outcome for outcome in outcomes if not outcome.ok}
    with session_scope(engine) as session:
        for task, target in targets.items():
            if task.crm_task_id in refused:
                failure = refused[task.crm_task_id]
                result.problems.append(
                    f"task {task.crm_task_id} not reassigned to {target}: {failure.error_code}: {failure.error_message}"
                )
                continue
            row = session.get(TaskOutbox, (connection, task.key))
            row.escalated_at = now
            result.escalated += 1
