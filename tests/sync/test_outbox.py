"""Tasks for sales: one per transition into a notifying stage, never duplicated, even across a crash."""

from datetime import UTC, datetime, timedelta

import pytest

from connector.config import TaskPolicy
from connector.crm import TaskRequest
from connector.outbox import Delivery, Queued, deliver_tasks, enqueue_tasks
from connector.store import session_scope
from connector.store.tables import Activity, ActivityKind, Contact, StageTransition, TaskOutbox
from tests.sync.memory_crm import CrashAfterCreate, MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _contact_reaching(
    engine,
    crm_id,
    to_stage,
    *,
    owner="005OWNER",
    triggered_at=NOW - timedelta(days=1),
    from_stage="mql",
    created_at=None,
):
    with session_scope(engine) as session:
        contact = Contact(
            source="salesforce",
            instance="acme",
            object_type="Lead",
            crm_id=crm_id,
            first_name="Sarah",
            last_name="Lee",
            owner_id=owner,
            created_at=created_at,
        )
        session.add(contact)
        kind = ActivityKind(fingerprint=f"demo-{crm_id}", type="demo_attended", attributes={"campaign": "Q4 demo"})
        session.add(kind)
        session.flush()
        session.add(
            Activity(contact_id=contact.id, kind_id=kind.id, occurred_at=NOW - timedelta(days=1), source_id="a1")
        )
        session.add(
            StageTransition(
                contact_id=contact.id,
                from_stage=from_stage,
                to_stage=to_stage,
                at=NOW,
                reason="attended demo on 2026-10-31 (sql trigger)",
                model_version="m1",
                triggered_at=triggered_at,
            )
        )


def _enqueue(engine, policy=TaskPolicy()):
    with session_scope(engine) as session:
        return enqueue_tasks(
            session, connection="acme", source="salesforce", notify_stages={"mql", "sql"}, policy=policy, now=NOW
        )


def test_transition_into_sql_queues_one_task_for_the_owner(engine):
    _contact_reaching(engine, "00Q1", "sql")
    assert _enqueue(engine) == Queued(pending=1)
    assert _enqueue(engine) == Queued()  # the same transition never queues twice
    crm = MemoryCrm()
    assert deliver_tasks(engine, crm, "acme") == Delivery(created=1)
    [task] = crm.tasks.values()
    assert task.owner_id == "005OWNER" and task.crm_id == "00Q1"
    assert task.subject == "Follow up with Sarah Lee: Sales Qualified Lead"
    assert 'Attended a demo: "Q4 demo"' in task.description
    assert "became Sales Qualified Lead (was Marketing Qualified Lead) on Sat 31 Oct 2026" in task.description
    assert task.due_at == NOW + timedelta(days=1)


def test_stages_that_do_not_notify_queue_nothing(engine):
    _contact_reaching(engine, "00Q1", "lead")
    assert _enqueue(engine) == Queued()


def test_a_stage_that_starts_to_notify_later_does_not_reach_back_to_transitions_already_read(engine):
    _contact_reaching(engine, "00Q1", "lead")
    _contact_reaching(engine, "00Q2", "sql")
    assert _enqueue(engine) == Queued(pending=1)
    with session_scope(engine) as session:  # the model now notifies on "lead" too: the old transition stays read
        later = enqueue_tasks(
            session, connection="acme", source="salesforce", notify_stages={"lead", "sql"}, policy=TaskPolicy(), now=NOW
        )
    assert later == Queued()


def test_a_disabled_policy_reads_the_transitions_without_queueing(engine):
    _contact_reaching(engine, "00Q1", "sql")
    assert _enqueue(engine, TaskPolicy(enabled=False)) == Queued()
    assert _enqueue(engine) == Queued()  # read while disabled: enabling tasks later does not replay history


def test_configured_assignee_overrides_the_owner(engine):
    _contact_reaching(engine, "00Q1", "mql")
    _enqueue(engine, TaskPolicy(assign_to="00GQUEUE"))
    crm = MemoryCrm()
    deliver_tasks(engine, crm, "acme")
    assert [task.owner_id for task in crm.tasks.values()] == ["00GQUEUE"]


def test_crash_after_the_crm_created_the_task_never_duplicates_it(engine):
    _contact_reaching(engine, "00Q1", "sql")
    _enqueue(engine)
    crm = MemoryCrm(crash_after_create=True)
    with pytest.raises(CrashAfterCreate):
        deliver_tasks(engine, crm, "acme")
    created_before = dict(crm.tasks)
    assert deliver_tasks(engine, crm, "acme") == Delivery(found=1)
    assert crm.tasks == created_before
    with session_scope(engine) as session:
        row = session.get(TaskOutbox, ("acme", "Lead:00Q1:sql:20261031120000"))
        assert row.status == "sent" and row.crm_task_id == "T-Lead:00Q1:sql:20261031120000"


def test_a_transition_older_than_recent_days_is_recorded_and_never_sent(engine):
    _contact_reaching(engine, "00Q1", "sql", triggered_at=NOW - timedelta(days=8))
    assert _enqueue(engine) == Queued(historic=1)
    crm = MemoryCrm()
    assert deliver_tasks(engine, crm, "acme") == Delivery()
    assert crm.tasks == {} and crm.calls == 0
    with session_scope(engine) as session:
        row = session.get(TaskOutbox, ("acme", "Lead:00Q1:sql:20261024120000"))
        assert row.status == "historic" and row.reason == "attended demo on 2026-10-31 (sql trigger)"


def test_a_transition_no_activity_caused_is_dated_by_the_run_that_saw_it(engine):
    _contact_reaching(engine, "00Q1", "sql", triggered_at=None)
    assert _enqueue(engine) == Queued(pending=1)
    crm = MemoryCrm()
    deliver_tasks(engine, crm, "acme")
    assert list(crm.tasks) == ["Lead:00Q1:sql:20261101120000"]


def test_every_create_is_preceded_by_one_look_up_of_the_whole_batch(engine):
    for number in range(3):
        _contact_reaching(engine, f"00Q{number}", "sql")
    _enqueue(engine)
    crm = MemoryCrm()
    made_before = TaskRequest("Lead:00Q1:sql:20261031120000", "Lead", "00Q1", None, "by a store since rebuilt", "", NOW)
    crm.tasks[made_before.idempotency_key] = made_before

    assert deliver_tasks(engine, crm, "acme") == Delivery(created=2, found=1)
    assert [len(keys) for keys in crm.looked_up] == [3]
    assert crm.tasks[made_before.idempotency_key] == made_before


def test_a_contact_first_seen_in_a_stage_no_activity_caused_is_dated_by_its_creation_in_the_crm(engine):
    _contact_reaching(engine, "00QOLD", "sql", triggered_at=None, from_stage=None, created_at=NOW - timedelta(days=700))
    _contact_reaching(engine, "00QNEW", "sql", triggered_at=None, from_stage=None, created_at=NOW - timedelta(days=1))
    assert _enqueue(engine) == Queued(pending=1, historic=1)
    crm = MemoryCrm()
    deliver_tasks(engine, crm, "acme")
    assert list(crm.tasks) == ["Lead:00QNEW:sql:20261031120000"]
