"""Follow-up tasks for sales: queued from stage transitions, delivered to the CRM exactly once.

A task is keyed by the transition that caused it. Before sending, the outbox row is marked as attempted and
committed; a row found attempted on a later run may already exist in the CRM (a crash or timeout after the
CRM created it), so the CRM is asked by key before creating it again.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connector.config import TaskPolicy
from connector.crm import Bookmark, CrmAdapter, TaskRequest
from connector.store.bookmarks import load_bookmark, save_bookmark
from connector.store.engine import session_scope
from connector.store.tables import Activity, ActivityKind, Contact, ContactScore, StageTransition, TaskOutbox

TRANSITIONS_STREAM = "stage_transitions"
TOUCHPOINTS_LISTED = 10
TASK_BATCH = 200  # the adapters split further to their CRM's own limit (200 Salesforce, 100 HubSpot)


def enqueue_tasks(
    session: Session,
    *,
    connection: str,
    source: str,
    notify_stages: Collection[str],
    policy: TaskPolicy,
    now: datetime,
) -> int:
    """Queue a task for each new transition of this connection's contacts into a notifying stage."""
    seen = load_bookmark(session, connection, TRANSITIONS_STREAM)
    after_id = int(seen.last_id) if seen and seen.last_id else 0
    rows = session.execute(
        select(StageTransition, Contact)
        .join(Contact, Contact.id == StageTransition.contact_id)
        .where(StageTransition.id > after_id, Contact.source == source, Contact.instance == connection)
        .order_by(StageTransition.id)
    ).all()
    queued = 0
    for transition, contact in rows:
        if policy.enabled and transition.to_stage in notify_stages and not contact.deleted:
            key = transition_task_key(connection, transition.id)
            if session.get(TaskOutbox, key) is None:
                session.add(_outbox_row(session, key, connection, contact, transition, policy, now))
                queued += 1
    if rows:
        last = max(transition.id for transition, _ in rows)
        save_bookmark(session, connection, Bookmark(TRANSITIONS_STREAM, now, f"{last:012d}"), now=now)
    return queued


def transition_task_key(connection: str, transition_id: int) -> str:
    """The idempotency key of the task a stage transition causes: one task per transition, ever."""
    return f"{connection}:transition:{transition_id}"


def _outbox_row(
    session: Session,
    key: str,
    connection: str,
    contact: Contact,
    transition: StageTransition,
    policy: TaskPolicy,
    now: datetime,
) -> TaskOutbox:
    score = session.get(ContactScore, contact.id)
    name = " ".join(part for part in (contact.first_name, contact.last_name) if part) or contact.email or contact.crm_id
    stage = transition.to_stage.upper()
    subject = f"ScoreBridge: {name} became {stage}" + (f" (lead score {round(score.lead)})" if score else "")
    lines = [f"{name} moved from {transition.from_stage or 'new'} to {transition.to_stage}: {transition.reason}."]
    if score and score.reasons:
        lines.append("Top reasons: " + "; ".join(str(reason) for reason in score.reasons[:3]) + ".")
    lines.append("Recent touchpoints:")
    lines.extend(f"- {line}" for line in _recent_touchpoints(session, contact.id))
    due_at = now + timedelta(days=policy.due_in_days)
    payload = {
        "object_type": contact.object_type,
        "crm_id": contact.crm_id,
        "owner_id": policy.assign_to or contact.owner_id,
        "subject": subject[:255],
        "description": "\n".join(lines),
        "due_at": due_at.isoformat(),
    }
    return TaskOutbox(
        idempotency_key=key,
        connection=connection,
        contact_id=contact.id,
        reason=transition.reason,
        payload=payload,
        created_at=now,
    )


def _recent_touchpoints(session: Session, contact_id: int) -> list[str]:
    rows = session.execute(
        select(Activity.occurred_at, ActivityKind.type, ActivityKind.attributes)
        .join(ActivityKind, ActivityKind.id == Activity.kind_id)
        .where(Activity.contact_id == contact_id)
        .order_by(Activity.occurred_at.desc())
        .limit(TOUCHPOINTS_LISTED)
    ).all()
    lines = []
    for occurred_at, kind, attributes in rows:
        detail = ", ".join(f"{key} {value}" for key, value in sorted(attributes.items()))
        lines.append(f"{occurred_at:%Y-%m-%d %H:%M} UTC {kind}" + (f" ({detail})" if detail else ""))
    return lines or ["none recorded"]


def pending_tasks(session: Session, connection: str) -> list[TaskOutbox]:
    return list(
        session.execute(
            select(TaskOutbox)
            .where(TaskOutbox.connection == connection, TaskOutbox.status == "pending")
            .order_by(TaskOutbox.created_at, TaskOutbox.idempotency_key)
        ).scalars()
    )


def task_request(row: TaskOutbox) -> TaskRequest:
    payload = row.payload
    return TaskRequest(
        idempotency_key=row.idempotency_key,
        object_type=payload["object_type"],
        crm_id=payload["crm_id"],
        owner_id=payload["owner_id"],
        subject=payload["subject"],
        description=payload["description"],
        due_at=datetime.fromisoformat(payload["due_at"]),
    )


def deliver_tasks(engine: Engine, adapter: CrmAdapter, connection: str) -> tuple[int, int]:
    """Create pending tasks in the CRM; returns (created or found, failed). Safe to call again after any crash."""
    with session_scope(engine) as session:
        pending = pending_tasks(session, connection)
    created = failed = 0
    for start in range(0, len(pending), TASK_BATCH):
        batch = pending[start : start + TASK_BATCH]
        found = _already_created(adapter, batch)
        to_send = [row for row in batch if row.idempotency_key not in found]
        with session_scope(engine) as session:
            for row in batch:
                _mark(session, row.idempotency_key, crm_task_id=found.get(row.idempotency_key), attempted=True)
        results = adapter.create_tasks([task_request(row) for row in to_send]) if to_send else []
        with session_scope(engine) as session:
            for result in results:
                _mark(session, result.idempotency_key, crm_task_id=result.crm_task_id, error=result.error_message)
        created += len(found) + sum(1 for result in results if result.crm_task_id)
        failed += sum(1 for result in results if not result.crm_task_id)
    return created, failed


def _already_created(adapter: CrmAdapter, batch: list[TaskOutbox]) -> dict[str, str]:
    """Ask the CRM about rows a previous attempt may have created: a crash may have come after the CRM's answer."""
    retried = [row.idempotency_key for row in batch if row.attempts > 0]
    return adapter.find_tasks(retried) if retried else {}


def _mark(
    session: Session,
    key: str,
    *,
    crm_task_id: str | None = None,
    error: str | None = None,
    attempted: bool = False,
) -> None:
    row = session.get(TaskOutbox, key)
    if attempted:
        row.attempts += 1
    if crm_task_id:
        row.status, row.crm_task_id, row.last_error = "sent", crm_task_id, None
    elif error:
        row.last_error = error
    session.add(row)
