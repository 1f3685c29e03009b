"""Follow-up tasks for sales: queued from stage transitions, delivered to the CRM exactly once.

A task is keyed by what the CRM knows: the record, the stage it entered, and the moment the stage began to hold
(`StageTransition.triggered_at`, computed from the CRM's activities), so a rebuilt store, a restored backup or a
second store for the same org computes the same keys. Before every create the CRM is asked, one look-up per
batch, which keys it already holds, and only the missing tasks are created; a crash or timeout after the CRM
created a task is covered by the same look-up.

Transitions whose moment is older than `tasks.recent_days` (the history a first sync finds in an existing org)
are recorded with status "historic" and never sent. A task's words come from connector/task_text.py (templates)
and connector/task_facts.py (what the store knows); returning-customer tasks are queued by
connector/returning_tasks.py with the same keys and rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connector.config import TaskPolicy
from connector.crm import Bookmark, CrmAdapter, TaskRequest
from connector.store.bookmarks import load_bookmark, save_bookmark
from connector.store.engine import session_scope
from connector.store.tables import Contact, StageTransition, TaskOutbox
from connector.task_facts import TaskAuthor, TaskCause
from connector.task_text import TaskText

TRANSITIONS_STREAM = "stage_transitions"
TASK_BATCH = 200  # the adapters split further to their CRM's own limit (200 Salesforce, 100 HubSpot)
#: TaskOutbox.idempotency_key holds 120 characters, the Salesforce key field 128 (adapters/salesforce/setup.py).
KEY_LENGTH = 120
PENDING, SENT, HISTORIC = "pending", "sent", "historic"


@dataclass(frozen=True)
class Queued:
    """What one pass over new transitions recorded: tasks to send, and older ones recorded but never sent."""

    pending: int = 0
    historic: int = 0


@dataclass(frozen=True)
class Delivery:
    created: int = 0
    #: Already in the CRM: created by a rebuilt or restored store, another store, or a run that crashed after it.
    found: int = 0
    failed: int = 0


def enqueue_tasks(
    session: Session,
    *,
    connection: str,
    source: str,
    notify_stages: Collection[str],
    policy: TaskPolicy,
    now: datetime,
    author: TaskAuthor | None = None,
) -> Queued:
    """Record a task for each new transition of this connection's contacts into a notifying stage; `author` writes
    the text (default: the default templates, with no record link)."""
    author = author or TaskAuthor()
    stages = notify_stages if policy.enabled else ()
    rows = unread_transitions(session, connection, source, TRANSITIONS_STREAM, StageTransition, Contact, stages)
    recorded: dict[str, str] = {}
    for transition, contact in rows:
        if not contact.deleted:
            key = transition_task_key(contact, transition)
            if key not in recorded and session.get(TaskOutbox, (connection, key)) is None:
                moment = transition_moment(contact, transition)
                recorded[key] = PENDING if is_recent(moment, policy, now) else HISTORIC
                cause = TaskCause("stage", transition.to_stage, transition.reason, moment, transition.from_stage)
                row = outbox_row(session, key, connection, contact, cause, policy, now, recorded[key], author)
                session.add(row)
    mark_read(session, connection, source, TRANSITIONS_STREAM, StageTransition, Contact, now)
    statuses = list(recorded.values())
    return Queued(statuses.count(PENDING), statuses.count(HISTORIC))


def unread_transitions(
    session: Session, connection: str, source: str, stream: str, transition, record, to_stages: Collection[str]
) -> list:
    """(transition, record) of this connection's contacts (StageTransition, Contact) or accounts (AccountTransition,
    Account) into one of `to_stages` that the stream's bookmark has not passed yet, oldest first. Only those are
    loaded: a first sync makes a transition for every record, and few of them lead to a task."""
    owner = transition.contact_id if record is Contact else transition.account_id
    return session.execute(
        select(transition, record)
        .join(record, record.id == owner)
        .where(transition.id > _read_up_to(session, connection, stream), transition.to_stage.in_(list(to_stages)))
        .where(record.source == source, record.instance == connection)
        .order_by(transition.id)
    ).all()


def mark_read(session: Session, connection: str, source: str, stream: str, transition, record, now: datetime) -> None:
    """Move the stream's bookmark past every transition of the connection's records (into any stage), in the
    transaction that recorded their tasks: a stage that starts to notify later does not reach back."""
    owner = transition.contact_id if record is Contact else transition.account_id
    last = session.execute(
        select(func.max(transition.id))
        .join(record, record.id == owner)
        .where(record.source == source, record.instance == connection)
    ).scalar()
    if last is not None and last > _read_up_to(session, connection, stream):
        save_bookmark(session, connection, Bookmark(stream, now, f"{last:012d}"), now=now)


def _read_up_to(session: Session, connection: str, stream: str) -> int:
    seen = load_bookmark(session, connection, stream)
    return int(seen.last_id) if seen and seen.last_id else 0


def transition_task_key(contact: Contact, transition: StageTransition) -> str:
    """The idempotency key of the task a stage transition causes: the same in every store that holds the org."""
    moment = transition_moment(contact, transition)
    return task_key(contact.object_type, contact.crm_id, transition.to_stage, moment)


def task_key(object_type: str, crm_id: str, stage: str, moment: datetime) -> str:
    """`Lead:00Q5g00000AbCdEAAZ:mql:20261031120000` (UTC); a digest of it when a long custom name makes it too
    long for the key field. Digits only in the time, so the key reads the same in HubSpot's lower-case search."""
    key = f"{object_type}:{crm_id}:{stage}:{moment:%Y%m%d%H%M%S}"
    return key if len(key) <= KEY_LENGTH else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def transition_moment(contact: Contact, transition: StageTransition) -> datetime:
    """When the stage began to hold: the activity that put the contact there; without one, the record's creation in
    the CRM when the store first sees the contact (it may have held the stage since), else the scoring run."""
    if transition.triggered_at is not None:
        return transition.triggered_at
    if transition.from_stage is None and contact.created_at is not None:
        return min(contact.created_at, transition.at)
    return transition.at


def is_recent(moment: datetime, policy: TaskPolicy, now: datetime) -> bool:
    """Whether what caused a task happened within `tasks.recent_days` (no limit when null)."""
    return policy.recent_days is None or moment >= now - timedelta(days=policy.recent_days)


def outbox_row(
    session: Session,
    key: str,
    connection: str,
    contact: Contact,
    cause: TaskCause,
    policy: TaskPolicy,
    now: datetime,
    status: str,
    author: TaskAuthor,
) -> TaskOutbox:
    """The outbox row of one task; only a task that will be sent gets its text written (history is never read)."""
    due_at = now + timedelta(days=policy.due_in_days)
    text = author.text(session, contact, cause, due_at) if status == PENDING else None
    owner_id = policy.assign_to or contact.owner_id
    payload = task_payload(contact.object_type, contact.crm_id, owner_id, text, due_at)
    return TaskOutbox(
        idempotency_key=key,
        connection=connection,
        contact_id=contact.id,
        reason=cause.reason,
        payload=payload,
        status=status,
        created_at=now,
        kind=cause.kind,
        owner_id=owner_id,
        due_at=due_at,
    )


def task_payload(object_type: str, crm_id: str, owner_id: str | None, text: TaskText | None, due_at: datetime) -> dict:
    """What the outbox keeps to build the TaskRequest from: the record the task is attached to, its owner and words
    (empty for a historic task, which is never sent)."""
    return {
        "object_type": object_type,
        "crm_id": crm_id,
        "owner_id": owner_id,
        "subject": text.subject if text else "",
        "description": text.body if text else "",
        "due_at": due_at.isoformat(),
    }


def pending_tasks(session: Session, connection: str) -> list[TaskOutbox]:
    return list(
        session.execute(
            select(TaskOutbox)
            .where(TaskOutbox.connection == connection, TaskOutbox.status == PENDING)
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


def deliver_tasks(engine: Engine, adapter: CrmAdapter, connection: str) -> Delivery:
    """Create the pending tasks the CRM does not hold yet. Safe to call again after any crash."""
    with session_scope(engine) as session:
        pending = pending_tasks(session, connection)
    created = found = failed = 0
    size = getattr(adapter, "task_batch_size", None) or TASK_BATCH  # optional, see CrmAdapter.create_tasks
    for start in range(0, len(pending), size):
        batch = pending[start : start + size]
        if any(row.attempts for row in batch):  # a create of these may still be under way in the CRM
            getattr(adapter, "settle_task_creates", _nothing_to_settle)()  # optional, see CrmAdapter.find_tasks
        # Asked before every create, not only on retries: the CRM may hold a key from a rebuilt or restored store.
        held = adapter.find_tasks([row.idempotency_key for row in batch])
        to_send = [row for row in batch if row.idempotency_key not in held]
        with session_scope(engine) as session:
            for key, task_id in held.items():
                _mark(session, connection, key, crm_task_id=task_id)
            for row in to_send:
                _mark(session, connection, row.idempotency_key, attempted=True)
        results = adapter.create_tasks([task_request(row) for row in to_send]) if to_send else []
        with session_scope(engine) as session:
            for result in results:
                _mark(
                    session,
                    connection,
                    result.idempotency_key,
                    crm_task_id=result.crm_task_id,
                    error=result.error_message,
                )
        found += len(held)
        created += sum(1 for result in results if result.crm_task_id)
        failed += sum(1 for result in results if not result.crm_task_id)
    return Delivery(created, found, failed)


def _nothing_to_settle() -> None:
    """For a CRM whose creates end with the call that made them."""


def _mark(
    session: Session,
    connection: str,
    key: str,
    *,
    crm_task_id: str | None = None,
    error: str | None = None,
    attempted: bool = False,
) -> None:
    row = session.get(TaskOutbox, (connection, key))
    if attempted:
        row.attempts += 1
    if crm_task_id:
        row.status, row.crm_task_id, row.last_error = SENT, crm_task_id, None
    elif error:
        row.last_error = error
    session.add(row)
