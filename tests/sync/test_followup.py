"""Follow-up: a task nobody works is escalated once, a completed one never; the clock is injected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connector.config import FollowUpPolicy
from connector.followup import ESCALATION, FollowUp, escalation_key, follow_up_tasks
from connector.outbox import SENT, Delivery, deliver_tasks
from connector.store import session_scope
from connector.store.tables import Contact, TaskOutbox
from tests.sync.memory_crm import CrashAfterCreate, MemoryCrm

SENT_AT = datetime(2026, 11, 2, 9, tzinfo=UTC)
DAY_POLICY = FollowUpPolicy(sla_hours=24, escalate="manager")
OWNER, BOSS, BOSS_OF_BOSS, FALLBACK = "005OWNER", "005BOSS", "005CEO", "005QUEUE"


def _sent_tasks(engine, crm: MemoryCrm, count: int = 1, *, owner: str | None = OWNER) -> list[str]:
    """`count` stage tasks for one lead, queued and delivered at SENT_AT; returns their keys."""
    with session_scope(engine) as session:
        contact = Contact(source="salesforce", instance="acme", object_type="Lead", crm_id="00Q1", owner_id=owner)
        session.add(contact)
        session.flush()
        keys = [f"Lead:00Q1:sql:{number:014d}" for number in range(count)]
        for key in keys:
            payload = {"object_type": "Lead", "crm_id": "00Q1", "owner_id": owner, "subject": "Sarah Lee became SQL",
                       "description": "Call her.", "due_at": SENT_AT.isoformat()}  # fmt: skip
            session.add(TaskOutbox(idempotency_key=key, connection="acme", contact_id=contact.id, reason="sql",
                                   payload=payload, created_at=SENT_AT))  # fmt: skip
    assert deliver_tasks(engine, crm, "acme").created == count
    return keys


def _follow_up(engine, crm, hours: float, policy: FollowUpPolicy = DAY_POLICY, **options) -> FollowUp:
    return follow_up_tasks(engine, crm, "acme", policy, now=SENT_AT + timedelta(hours=hours), **options)


def _row(engine, key: str) -> TaskOutbox:
    with session_scope(engine) as session:
        return session.get(TaskOutbox, ("acme", key))


def _escalations(engine) -> list[TaskOutbox]:
    with session_scope(engine) as session:
        return list(session.execute(select(TaskOutbox).where(TaskOutbox.kind == ESCALATION)).scalars())


def test_a_task_left_open_past_the_sla_becomes_one_task_for_the_owners_manager(engine):
    crm = MemoryCrm(managers={OWNER: BOSS})
    [key] = _sent_tasks(engine, crm)

    within = _follow_up(engine, crm, 23)
    past = _follow_up(engine, crm, 25)
    later = _follow_up(engine, crm, 49)

    assert (within.checked, within.escalated) == (1, 0)
    assert (past.escalated, past.created) == (1, 1)
    assert later.escalated == 0 and later.checked == 2  # the original and its escalation, still open
    [escalation] = _escalations(engine)
    assert escalation.idempotency_key == escalation_key(key) and escalation.escalation_of == key
    assert escalation.status == SENT and escalation.owner_id == BOSS
    sent = crm.tasks[escalation.idempotency_key]
    assert sent.owner_id == BOSS and sent.crm_id == "00Q1"
    assert sent.subject == "Not worked in 24 h: Sarah Lee became SQL"
    assert "given to owner 005OWNER" in sent.description and "Call her." in sent.description
    assert _row(engine, key).escalated_at == SENT_AT + timedelta(hours=25)
    assert len(crm.tasks) == 2


def test_a_completed_task_is_recorded_and_never_escalated_or_read_again(engine):
    crm = MemoryCrm(managers={OWNER: BOSS})
    [key] = _sent_tasks(engine, crm)
    crm.complete(key)

    first = _follow_up(engine, crm, 30)
    reads = len(crm.state_reads)
    second = _follow_up(engine, crm, 60)

    assert (first.completed, first.escalated) == (1, 0)
    assert _row(engine, key).completed_at == SENT_AT + timedelta(hours=30)
    assert _row(engine, key).crm_status == "Completed"
    assert second == FollowUp() and len(crm.state_reads) == reads  # nothing open: no call at all
    assert _escalations(engine) == []


def test_a_kill_after_the_crm_created_the_escalation_makes_no_second_one(engine):
    crm = MemoryCrm(managers={OWNER: BOSS})
    [key] = _sent_tasks(engine, crm)
    crm.crash_after_create = True
    with pytest.raises(CrashAfterCreate):
        _follow_up(engine, crm, 25)  # the escalation and the mark were stored; the CRM's answer was lost

    again = _follow_up(engine, crm, 26)
    delivery = deliver_tasks(engine, crm, "acme")  # what the next run's task step does first

    assert again.escalated == 0
    assert delivery == Delivery(found=1)
    assert sorted(crm.tasks) == sorted([key, escalation_key(key)])
    [escalation] = _escalations(engine)
    assert escalation.status == SENT


def test_an_owner_without_manager_escalates_to_the_configured_fallback(engine):
    crm = MemoryCrm()
    _sent_tasks(engine, crm)

    _follow_up(engine, crm, 25, FollowUpPolicy(sla_hours=24, escalate_to=FALLBACK))

    [escalation] = _escalations(engine)
    assert escalation.owner_id == FALLBACK


def test_an_owner_without_manager_or_fallback_is_reported_and_tried_again_next_run(engine):
    crm = MemoryCrm()
    [key] = _sent_tasks(engine, crm)

    first = _follow_up(engine, crm, 25)
    crm.managers[OWNER] = BOSS  # the admin gave the user a manager
    second = _follow_up(engine, crm, 26)

    assert first.escalated == 0
    assert first.problems == [
        f"task T-{key} is past follow_up.sla_hours but its owner 005OWNER has no manager: set follow_up.escalate_to"
    ]
    assert second.escalated == 1


def test_a_queue_owned_leads_task_is_escalated_to_the_manager_of_the_user_the_crm_gave_it(engine):
    # A Salesforce queue (00G) cannot own a Task: the adapter gives it to tasks.queue_owner or the integration user.
    # Escalating from the queue named in the outbox found no manager, and the e2e world failed on such populations.
    queue, integration_user = "00GLEADQUEUE", "005INTEGRATION"
    crm = MemoryCrm(managers={integration_user: BOSS})
    [key] = _sent_tasks(engine, crm, owner=queue)
    crm.task_owner[f"T-{key}"] = integration_user

    within = _follow_up(engine, crm, 23)
    past = _follow_up(engine, crm, 25)

    assert within.escalated == 0 and _row(engine, key).owner_id == integration_user
    assert (past.escalated, past.problems) == (1, [])
    assert crm.manager_reads[-1] == [integration_user]
    [escalation] = _escalations(engine)
    assert escalation.owner_id == BOSS
    assert "given to owner 005INTEGRATION" in crm.tasks[escalation.idempotency_key].description


def test_reassign_gives_the_task_itself_to_the_manager_once(engine):
    crm = MemoryCrm(managers={OWNER: BOSS, BOSS: BOSS_OF_BOSS})
    [key] = _sent_tasks(engine, crm)
    policy = FollowUpPolicy(sla_hours=24, escalate="reassign")

    first = _follow_up(engine, crm, 25, policy)
    second = _follow_up(engine, crm, 49, policy)

    assert (first.escalated, second.escalated) == (1, 0)
    assert crm.task_owner == {f"T-{key}": BOSS}
    assert len(crm.reassignments) == 1 and len(crm.tasks) == 1


class _CrashAfterReassign(MemoryCrm):
    def reassign_tasks(self, changes):
        super().reassign_tasks(changes)
        raise CrashAfterCreate


def test_a_kill_after_a_reassignment_never_hands_the_task_further_up(engine):
    crashing = _CrashAfterReassign(managers={OWNER: BOSS, BOSS: BOSS_OF_BOSS})
    [key] = _sent_tasks(engine, crashing)
    policy = FollowUpPolicy(sla_hours=24, escalate="reassign")
    with pytest.raises(CrashAfterCreate):
        _follow_up(engine, crashing, 25, policy)
    crm = MemoryCrm(tasks=crashing.tasks, task_owner=crashing.task_owner, managers=crashing.managers)

    again = _follow_up(engine, crm, 26, policy)

    assert again.escalated == 1  # recorded now: the CRM already shows the manager, so nothing is sent
    assert crm.reassignments == [] and crm.task_owner == {f"T-{key}": BOSS}


def test_the_sla_runs_from_the_moment_the_crm_created_the_task(engine):
    crm = MemoryCrm(managers={OWNER: BOSS})
    [key] = _sent_tasks(engine, crm)
    crm.created[f"T-{key}"] = SENT_AT + timedelta(hours=10)  # delivered late (the CRM was down)

    assert _follow_up(engine, crm, 25).escalated == 0
    assert _follow_up(engine, crm, 34).escalated == 1


def test_a_run_within_the_second_the_task_was_queued_leaves_it_to_the_next_run(engine):
    # The store keeps whole seconds: a run that starts within the second another run queued a task cannot tell that
    # task from its own. Two e2e syncs often fit in one second; the e2e test gives the second one a later second.
    crm = MemoryCrm(managers={OWNER: BOSS})
    _sent_tasks(engine, crm)

    same_second = follow_up_tasks(engine, crm, "acme", DAY_POLICY, now=SENT_AT + timedelta(milliseconds=900))
    next_second = follow_up_tasks(engine, crm, "acme", DAY_POLICY, now=SENT_AT + timedelta(seconds=1))

    assert (same_second.checked, next_second.checked) == (0, 1)


def test_a_task_deleted_in_the_crm_is_counted_and_never_read_again(engine):
    crm = MemoryCrm(managers={OWNER: BOSS})
    [key] = _sent_tasks(engine, crm)
    crm.delete(key)

    first = _follow_up(engine, crm, 25)
    second = _follow_up(engine, crm, 26)

    assert (first.gone, first.escalated) == (1, 0)
    assert second.checked == 0


def test_a_steady_state_costs_one_read_per_thousand_open_tasks_and_one_manager_look_up(engine):
    crm = MemoryCrm(managers={OWNER: BOSS})
    _sent_tasks(engine, crm, 1001)
    calls = crm.calls

    quiet = _follow_up(engine, crm, 1)
    assert crm.calls - calls == 2 and quiet.checked == 1001
    assert [len(ids) for ids in crm.state_reads] == [1000, 1]

    calls = crm.calls
    overdue = _follow_up(engine, crm, 25)
    # two reads, one manager look-up for the one owner, one key look-up and one create for the 1,001 escalations
    assert overdue.escalated == 1001 and crm.manager_reads == [[OWNER]]
    assert crm.calls - calls == 2 + 1 + 6 + 6  # the outbox looks up and creates 200 at a time


def test_a_dry_run_reads_the_states_and_stores_and_sends_nothing(engine):
    crm = MemoryCrm(managers={OWNER: BOSS})
    [key] = _sent_tasks(engine, crm)

    planned = _follow_up(engine, crm, 25, dry_run=True)

    assert planned.escalated == 1 and [task["owner_id"] for task in planned.planned] == [BOSS]
    assert _escalations(engine) == [] and _row(engine, key).escalated_at is None
    assert _row(engine, key).status_checked_at is None and len(crm.tasks) == 1


def test_without_sla_hours_nothing_is_read(engine):
    crm = MemoryCrm(managers={OWNER: BOSS})
    _sent_tasks(engine, crm)
    calls = crm.calls

    assert _follow_up(engine, crm, 100, FollowUpPolicy()) == FollowUp()
    assert crm.calls == calls


def test_escalate_none_records_completions_only(engine):
    crm = MemoryCrm(managers={OWNER: BOSS})
    first, _open = _sent_tasks(engine, crm, 2)
    crm.complete(first)

    done = _follow_up(engine, crm, 25, FollowUpPolicy(sla_hours=24, escalate="none"))

    assert (done.completed, done.escalated) == (1, 0) and crm.manager_reads == []
