"""Account owner tasks: an account entering a stage the model marks `notify: true` gets one task for its owner.

Keyed like a contact's stage task, by what the CRM knows: `Account:0015g00000XyZ:hot:20261202150000`, the account's
CRM id, the stage and the moment the stage began to hold (the latest engaging activity of its contacts), so a crash,
a retry or a rebuilt store never makes it twice (the outbox asks the CRM for the key before every create). The same
`tasks.recent_days` rule as contact tasks, on that moment: a transition whose engagement is older (history a first
sync or a replayed model finds) is recorded as "historic" and never sent.

The task is attached to the account (TaskRequest.object_type is the account object) and names, in the outbox's
`contact_id`, the account's most engaged contact; its words come from connector/account_task_text.py.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlmodel import Session

from connector.account_members import account_members
from connector.account_task_facts import account_task_facts
from connector.account_task_text import account_task_text
from connector.config import TaskPolicy
from connector.outbox import (
    HISTORIC,
    PENDING,
    Queued,
    is_recent,
    mark_read,
    task_key,
    task_payload,
    unread_transitions,
)
from connector.scoring import ScoringModel
from connector.store.tables import Account, AccountScore, AccountTransition, TaskOutbox
from connector.task_facts import TaskAuthor, TaskCause

ACCOUNT = "account"  # TaskOutbox.kind
ACCOUNT_TRANSITIONS_STREAM = "account_transitions"


def account_notify_stages(model: ScoringModel) -> frozenset[str]:
    """The account stages the model marks `notify: true` (`accounts.stages[].notify`); none without `accounts`."""
    stages = getattr(getattr(model, "accounts", None), "stages", None) or ()
    return frozenset(stage.name for stage in stages if getattr(stage, "notify", False))


def enqueue_account_tasks(
    session: Session,
    *,
    connection: str,
    source: str,
    notify_stages: Collection[str],
    policy: TaskPolicy,
    now: datetime,
    author: TaskAuthor,
) -> Queued:
    """Record a task for each new transition of this connection's live accounts into a notifying stage."""
    stages = notify_stages if policy.enabled else ()
    stream = ACCOUNT_TRANSITIONS_STREAM
    rows = unread_transitions(session, connection, source, stream, AccountTransition, Account, stages)
    statuses = []
    for transition, account in rows:
        if _is_live(account):
            status = _record(session, connection, account, transition, policy, now, author)
            statuses += [status] if status else []
    mark_read(session, connection, source, stream, AccountTransition, Account, now)
    return Queued(statuses.count(PENDING), statuses.count(HISTORIC))


def account_task_key(account: Account, transition: AccountTransition, moment: datetime) -> str:
    """`Account:0015g00000XyZ:hot:20261202150000`: the same in every store that holds the org."""
    return task_key(account.object_type, account.crm_id, transition.to_stage, moment)


def account_transition_moment(transition: AccountTransition, last_engaged_at: datetime | None) -> datetime:
    """When the stage began to hold, as the CRM's data says: the latest engaging activity of any of the account's
    contacts (what moves an account up), never after the scoring that saw the change; the scoring's moment when no
    contact ever engaged. The scoring's own moment would differ in a rebuilt store, and would make a first sync
    (or a replayed model) look recent: its transitions would reach sales."""
    if last_engaged_at is not None and last_engaged_at <= transition.at:
        return last_engaged_at
    return transition.at


def _is_live(account: Account) -> bool:
    return not account.deleted and account.merged_into_id is None


def _record(
    session: Session,
    connection: str,
    account: Account,
    transition: AccountTransition,
    policy: TaskPolicy,
    now: datetime,
    author: TaskAuthor,
) -> str | None:
    """Add the transition's outbox row unless its key is held; its status, or None when none was added (a key
    already recorded, or an account with no live contact to name)."""
    score = session.get(AccountScore, account.id)
    moment = account_transition_moment(transition, score.last_engaged_at if score else None)
    key = account_task_key(account, transition, moment)
    members = account_members(session, account.id)
    if not members or session.get(TaskOutbox, (connection, key)) is not None:
        return None
    status = PENDING if is_recent(moment, policy, now) else HISTORIC
    cause = TaskCause(ACCOUNT, transition.to_stage, transition.reason, moment, transition.from_stage)
    due_at = now + timedelta(days=policy.due_in_days)
    text = None
    if status == PENDING:  # history is never read: only a task that will be sent gets its words
        text = account_task_text(account_task_facts(session, account, cause, due_at, author.context()))
    owner_id = policy.assign_to or account.owner_id
    payload = task_payload(account.object_type, account.crm_id, owner_id, text, due_at)
    session.add(
        TaskOutbox(
            idempotency_key=key,
            connection=connection,
            contact_id=members[0].contact.id,
            account_id=account.id,
            reason=transition.reason,
            payload=payload,
            status=status,
            created_at=now,
            kind=ACCOUNT,
            owner_id=owner_id,
            due_at=due_at,
        )
    )
    session.flush()  # the next transition of the same run sees this key
    return status
