"""Returning-customer tasks: a customer who went quiet and engages again gets a task, once per return.

The model's `lifecycle.reengaged` flags such customers when they are scored. The task is keyed like a stage task,
by what the CRM knows: `Contact:0035g00000XyZ:reengaged:20261202150000`, the moment of the activity that brought
the customer back, so every store that holds the org computes the same key and the same return never makes a
second task. The queue reads the flag from the store (not from the scoring run's result), so a run that crashed
after scoring still queues the task next time; and a return older than `tasks.recent_days` is recorded, not sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from connector.config import TaskPolicy
from connector.outbox import HISTORIC, PENDING, Queued, is_recent, outbox_row, task_key
from connector.scoring.customer_returns import returning_moments
from connector.scoring.model import ScoringModel
from connector.store.tables import Activity, ActivityKind, Contact, ContactScore, TaskOutbox
from connector.store.types import from_epoch, to_epoch
from connector.task_facts import TaskAuthor, TaskCause
from connector.touchpoints import touchpoint_text

REENGAGED = "reengaged"


def enqueue_returning_customers(
    session: Session,
    *,
    connection: str,
    source: str,
    model: ScoringModel,
    policy: TaskPolicy,
    now: datetime,
    author: TaskAuthor,
) -> Queued:
    """Record a task for each re-engaged customer of this connection whose return has none yet."""
    if not policy.enabled or model.lifecycle.reengaged is None:
        return Queued()
    rows = session.execute(
        select(Contact, ContactScore.stage)
        .join(ContactScore, ContactScore.contact_id == Contact.id)
        .where(ContactScore.reengaged.is_(True), Contact.source == source, Contact.instance == connection)
        .where(Contact.deleted.is_(False))
        .order_by(Contact.id)
    ).all()
    returns = returning_moments(session.connection(), model, [contact.id for contact, _ in rows], to_epoch(now))
    statuses = []
    for contact, stage in rows:
        if contact.id not in returns:
            continue
        moment = from_epoch(returns[contact.id])
        key = task_key(contact.object_type, contact.crm_id, REENGAGED, moment)
        if session.get(TaskOutbox, (connection, key)) is None:
            statuses.append(PENDING if is_recent(moment, policy, now) else HISTORIC)
            cause = TaskCause(REENGAGED, stage, _reason(session, contact.id, moment, model), moment)
            session.add(outbox_row(session, key, connection, contact, cause, policy, now, statuses[-1], author))
    return Queued(statuses.count(PENDING), statuses.count(HISTORIC))


def _reason(session: Session, contact_id: int, moment: datetime, model: ScoringModel) -> str:
    """`Attended a demo (the first engagement after 90+ quiet days)`: the activity that brought the customer back."""
    returning = session.execute(
        select(ActivityKind.type, ActivityKind.attributes)
        .join(Activity, Activity.kind_id == ActivityKind.id)
        .where(Activity.contact_id == contact_id, Activity.occurred_at == moment)
        .limit(1)
    ).first()
    quiet = f"the first engagement after {model.lifecycle.reengaged.quiet_days:g}+ quiet days"
    return f"{touchpoint_text(returning[0], returning[1] or {})} ({quiet})" if returning else quiet
