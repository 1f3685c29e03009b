"""The account owner's task: once per transition into a notifying account stage, history recorded but never sent,
attached to the account and naming the engaged people and what they did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from connector.account_tasks import account_notify_stages, enqueue_account_tasks
from connector.config import TaskPolicy
from connector.crm import TaskContext
from connector.outbox import Queued, deliver_tasks, pending_tasks, task_request
from connector.store import session_scope
from connector.store.tables import SyncBookmark, TaskOutbox
from connector.task_facts import TaskAuthor
from tests.sync.account_builders import NOW, AccountCrm, add_account, add_account_score, add_member, add_transition
from tests.sync.memory_crm import CrashAfterCreate

LINKS = TaskContext("https://crm.example/{object_type}/{crm_id}")


def _enqueue(engine, policy=TaskPolicy(), now=NOW) -> Queued:
    with session_scope(engine) as session:
        return enqueue_account_tasks(
            session, connection="acme", source="salesforce", notify_stages={"hot"}, policy=policy, now=now,
            author=TaskAuthor(ask_context=lambda: LINKS),
        )  # fmt: skip


def _hot_acme(
    engine, crm_id="001ACME", *, days_ago=1.0, to_stage="hot", engaged_days_ago=None, **account_fields
) -> dict[str, int]:
    """Acme's buyers: Dana (VP, engaged), Omar (engaged), Kim (not engaged); the account just became hot."""
    tag = "" if crm_id == "001ACME" else crm_id
    last_engaged = None if engaged_days_ago is None else NOW - timedelta(days=engaged_days_ago)
    with session_scope(engine) as session:
        account = add_account(session, crm_id, **account_fields)
        add_account_score(session, account, last_engaged_at=last_engaged)
        pricing = ("page_view", 2, {"url": "https://acme.example/pricing"})
        dana = add_member(session, account, f"003DANA{tag}", "Dana Diaz", title="VP Operations", engagement=48.6,
                          engaged=True, touches=[("demo_attended", 1, {}), pricing])  # fmt: skip
        omar = add_member(session, account, f"003OMAR{tag}", "Omar Ali", title="Analyst", engagement=22, engaged=True,
                          touches=[("webinar_attended", 3, {})])  # fmt: skip
        add_member(session, account, f"003KIM{tag}", "Kim Wu", engagement=3)
        add_transition(session, account, to_stage, days_ago=days_ago)
        return {"account": account.id, "dana": dana.id, "omar": omar.id}


def _rows(engine) -> list[TaskOutbox]:
    with session_scope(engine) as session:
        rows = list(session.exec(select(TaskOutbox)).all())
        session.expunge_all()
        return rows


def test_an_account_becoming_hot_gives_its_owner_one_task_on_the_account(engine):
    ids = _hot_acme(engine)
    assert _enqueue(engine) == Queued(pending=1)
    [row] = _rows(engine)
    assert (row.kind, row.account_id, row.contact_id, row.owner_id) == (
        "account",
        ids["account"],
        ids["dana"],
        "005OWNER",
    )
    assert row.idempotency_key == "Account:001ACME:hot:20261031120000"
    request = task_request(row)
    assert (request.object_type, request.crm_id, request.owner_id) == ("Account", "001ACME", "005OWNER")


def test_the_task_names_the_account_its_stage_and_the_engaged_people_and_what_they_did(engine):
    _hot_acme(engine)
    _enqueue(engine)
    [row] = _rows(engine)
    subject, body = row.payload["subject"], row.payload["description"]
    assert subject == "Account Acme Corp is Hot: 2 engaged people, account score 72"
    assert "Acme Corp (acme.example) became Hot (was Engaged) on Sat 31 Oct 2026: 3 engaged contacts" in body
    assert "Buying group covered: Decision maker, Champion." in body
    assert "- Dana Diaz, VP Operations: engagement 49 https://crm.example/Contact/003DANA" in body
    assert "Viewed /pricing" in body and "Attended a demo" in body
    assert "- Omar Ali, Analyst: engagement 22" in body
    assert "Kim Wu" not in body  # not engaged: the engaged people are named
    assert body.index("Dana Diaz") < body.index("Omar Ali")
    assert "Open the account: https://crm.example/Account/001ACME" in body


def test_the_same_transition_never_makes_a_second_task_even_when_read_again(engine):
    _hot_acme(engine)
    assert _enqueue(engine).pending == 1
    assert _enqueue(engine) == Queued()  # the bookmark: nothing new
    with session_scope(engine) as session:  # the transitions read again (a lost bookmark): the key is held
        session.delete(session.get(SyncBookmark, ("acme", "account_transitions")))
    assert _enqueue(engine) == Queued()
    assert len(_rows(engine)) == 1


def test_a_task_created_before_a_crash_is_found_not_created_again(engine):
    _hot_acme(engine)
    _enqueue(engine)
    crm = AccountCrm(crash_after_create=True)
    with pytest.raises(CrashAfterCreate):
        deliver_tasks(engine, crm, "acme")
    delivery = deliver_tasks(engine, crm, "acme")
    assert (delivery.created, delivery.found) == (0, 1) and len(crm.tasks) == 1
    [task] = crm.tasks.values()
    assert (task.object_type, task.crm_id) == ("Account", "001ACME")


def test_an_old_transition_is_recorded_as_history_and_never_sent(engine):
    _hot_acme(engine, days_ago=30)
    assert _enqueue(engine) == Queued(historic=1)
    [row] = _rows(engine)
    assert row.status == "historic" and row.payload["description"] == ""
    with session_scope(engine) as session:
        assert pending_tasks(session, "acme") == []


def test_the_moment_is_the_latest_engagement_so_a_rescore_finds_the_same_key(engine):
    """Scored today, hot because of Dana's demo two days ago: the key and the recency go by the demo."""
    _hot_acme(engine, days_ago=0, engaged_days_ago=2)
    assert _enqueue(engine) == Queued(pending=1)
    [row] = _rows(engine)
    assert row.idempotency_key == "Account:001ACME:hot:20261030120000"
    assert "became Hot (was Engaged) on Fri 30 Oct 2026" in row.payload["description"]


def test_a_first_sync_finding_an_account_hot_from_old_engagement_sends_nothing(engine):
    """The transition is recorded today (the first scoring), but the engagement behind it is a month old."""
    _hot_acme(engine, days_ago=0, engaged_days_ago=30)
    assert _enqueue(engine) == Queued(historic=1)


def test_stages_that_do_not_notify_deleted_accounts_and_disabled_tasks_make_none(engine):
    _hot_acme(engine, to_stage="engaged")
    _hot_acme(engine, crm_id="001GONE", deleted=True)
    assert _enqueue(engine) == Queued()
    _hot_acme(engine, crm_id="001LATE")
    assert _enqueue(engine, policy=TaskPolicy(enabled=False)) == Queued()
    assert _rows(engine) == []


def test_assign_to_overrides_the_account_owner(engine):
    _hot_acme(engine)
    _enqueue(engine, policy=TaskPolicy(assign_to="00GQUEUE"))
    [row] = _rows(engine)
    assert row.owner_id == row.payload["owner_id"] == "00GQUEUE"


@dataclass(frozen=True)
class _Stage:
    name: str
    notify: bool = False


@dataclass(frozen=True)
class _Accounts:
    stages: tuple[_Stage, ...]


@dataclass(frozen=True)
class _Model:
    accounts: _Accounts | None = None


def test_the_notifying_account_stages_are_the_models_notify_true_ones():
    model = _Model(_Accounts((_Stage("aware"), _Stage("engaged"), _Stage("hot", notify=True))))
    assert account_notify_stages(model) == {"hot"}
    assert account_notify_stages(_Model()) == frozenset()


def test_the_due_date_follows_the_policy(engine):
    _hot_acme(engine)
    _enqueue(engine, policy=TaskPolicy(due_in_days=3))
    [row] = _rows(engine)
    assert row.due_at.replace(tzinfo=NOW.tzinfo) == NOW + timedelta(days=3)
    assert "Please follow up by Wed 4 Nov 2026." in row.payload["description"]
