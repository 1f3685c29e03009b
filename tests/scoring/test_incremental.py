"""Incremental rescoring: only contacts whose scores can have changed are recomputed, and unchanged ones are not
written again."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from connector.crm import ContactRecord
from connector.scoring import score_store
from connector.scoring.model import parse_model
from connector.store import session_scope
from connector.store.records import upsert_contacts
from connector.store.tables import Contact, ContactScore, ScoreChange
from tests.conftest import NOW
from tests.scoring.builders import StoreBuilder, days_ago, example, stored_score
from tests.store.store_reads import queued


def score_changes(engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(ScoreChange)).one()


def populated(engine, contacts: int = 10) -> tuple[StoreBuilder, list[int]]:
    store = StoreBuilder(engine)
    ids = [store.contact() for _ in range(contacts)]
    for index, contact in enumerate(ids):
        store.activity(contact, "webinar_attended", days_ago(100 + index))
    return store, ids


def test_only_contacts_with_new_activity_are_rescored(engine):
    model = example("engagement_window")
    store, ids = populated(engine)
    first = score_store(engine, model, NOW, now=lambda: NOW)
    assert (first.full, first.contacts_scored) == (True, 10)

    store.activity(ids[3], "form_submit", NOW)
    later = NOW + timedelta(hours=1)
    second = score_store(engine, model, later, now=lambda: later)

    assert (second.full, second.contacts_scored, second.scores_changed) == (False, 1, 1)
    assert stored_score(engine, ids[3]).engagement == 50


def test_rescoring_with_nothing_new_writes_no_score_changes(engine):
    model = example("engagement_window")
    populated(engine)
    score_store(engine, model, NOW, now=lambda: NOW)
    before = score_changes(engine)

    again = score_store(engine, model, NOW, full=True, now=lambda: NOW)

    assert again.contacts_scored == 10
    assert (again.rows_written, again.scores_changed, again.transitions) == (0, 0, ())
    assert score_changes(engine) == before


def test_an_activity_leaving_the_window_is_picked_up(engine):
    model = example("engagement_window")
    store, ids = populated(engine, contacts=3)
    store.activity(ids[0], "form_submit", days_ago(25))
    score_store(engine, model, NOW, now=lambda: NOW)
    assert stored_score(engine, ids[0]).engagement == 50

    later = NOW + timedelta(days=6)
    summary = score_store(engine, model, later, now=lambda: later)

    assert stored_score(engine, ids[0]).engagement == 0
    assert summary.contacts_scored == 1
    assert not summary.full


def test_a_changed_model_rescores_everyone(engine):
    model = example("engagement_window")
    populated(engine)
    score_store(engine, model, NOW, now=lambda: NOW)
    raw = model.model_dump(by_alias=True)
    raw["behavior"]["rules"][0]["points"] = 60
    changed = parse_model(raw)

    summary = score_store(engine, changed, NOW, now=lambda: NOW)

    assert (summary.full, summary.why_full, summary.contacts_scored) == (True, "the model changed", 10)
    assert summary.scores_changed == 10
    assert stored_score(engine, 1).model_version == changed.version


def scored_ids(engine) -> set[int]:
    with session_scope(engine) as session:
        return set(session.exec(select(ContactScore.contact_id)))


def contact_id(engine, crm_id: str) -> int:
    with session_scope(engine) as session:
        return session.exec(select(Contact.id).where(Contact.crm_id == crm_id)).one()


def test_a_contact_deleted_while_queued_is_planned_but_not_scored_and_leaves_the_queue(engine):
    """Planning takes the queue as it is (the scope is applied to the whole plan, no join per part): a deleted
    contact among the targets is dropped by the run's reads, and the run takes it out of the queue."""
    model = example("engagement_window")
    upsert_contacts(engine, "salesforce", "acme", [ContactRecord("Lead", "00Q1"), ContactRecord("Lead", "00Q2")])
    score_store(engine, model, NOW, now=lambda: NOW)
    upsert_contacts(engine, "salesforce", "acme", [ContactRecord("Lead", "00Q2", deleted=True)])
    assert queued(engine) == {"00Q2"}
    later = NOW + timedelta(hours=1)
    run = score_store(engine, model, later, now=lambda: later)
    assert (run.full, run.contacts_scored, run.rows_written, queued(engine)) == (False, 0, 0, set())
    assert scored_ids(engine) == {contact_id(engine, "00Q1"), contact_id(engine, "00Q2")}  # its old row stays


def test_contacts_stored_or_restored_after_a_run_are_scored_by_the_next_incremental_run(engine):
    """Planning finds never-scored contacts through the rescore queue alone (no scan of every contact): the contact
    writer queues what it inserts and what it restores, whichever CRM or import file they come from."""
    model = example("engagement_window")
    upsert_contacts(engine, "salesforce", "acme", [ContactRecord("Lead", "00Q1"), ContactRecord("Lead", "00Q2")])
    upsert_contacts(engine, "salesforce", "acme", [ContactRecord("Lead", "00Q2", deleted=True)])
    first = score_store(engine, model, NOW, now=lambda: NOW)
    restored = contact_id(engine, "00Q2")
    assert scored_ids(engine) == {contact_id(engine, "00Q1")}  # the deleted one is not scored, taken out of the queue

    upsert_contacts(engine, "import", "contacts.csv", [ContactRecord("Contact", "C9", email="new@example.com")])
    upsert_contacts(engine, "salesforce", "acme", [ContactRecord("Lead", "00Q2", email="back@example.com")])
    later = NOW + timedelta(hours=1)
    second = score_store(engine, model, later, now=lambda: later)

    assert (first.full, second.full, second.contacts_scored) == (True, False, 2)
    assert scored_ids(engine) == {contact_id(engine, "00Q1"), restored, contact_id(engine, "C9")}
