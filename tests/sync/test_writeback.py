"""The write-back plan sends only what changed since the CRM last confirmed a write."""

from datetime import UTC, datetime

from connector.crm import WriteResult
from connector.store import session_scope
from connector.store.tables import Contact, ContactScore, WriteLedger
from connector.writeback import plan_writes, record_results

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _contact_with_score(session, crm_id, *, lead=40.0, stage="lead", instance="acme", deleted=False):
    contact = Contact(source="salesforce", instance=instance, object_type="Lead", crm_id=crm_id, deleted=deleted)
    session.add(contact)
    session.flush()
    session.add(
        ContactScore(
            contact_id=contact.id,
            fit=10,
            lead=lead,
            engagement=5.4,
            recency=50,
            combined=20,
            grade="C",
            stage=stage,
            reasons=["Demo attended +25", "VP title +20"],
            model_version="m1",
            scored_at=NOW,
        )
    )
    return contact.id


def _plan(engine):
    with session_scope(engine) as session:
        return plan_writes(session, connection="acme", source="salesforce")


def _confirm(engine, planned, ok=True):
    results = [
        WriteResult(p.write.crm_id, ok, None if ok else "FIELD_CUSTOM_VALIDATION_EXCEPTION", None if ok else "no")
        for p in planned
    ]
    with session_scope(engine) as session:
        return record_results(session, connection="acme", planned=planned, results=results, now=NOW)


def test_new_contact_gets_every_value_as_whole_numbers(engine):
    with session_scope(engine) as session:
        _contact_with_score(session, "00Q1")
    [planned] = _plan(engine)
    assert planned.write.crm_id == "00Q1"
    assert planned.write.values["engagement"] == 5
    assert planned.write.values["stage"] == "lead"
    assert planned.write.values["reasons"] == "Demo attended +25; VP title +20"


def test_confirmed_values_are_not_sent_again(engine):
    with session_scope(engine) as session:
        _contact_with_score(session, "00Q1")
    assert _confirm(engine, _plan(engine)) == (1, 0)
    assert _plan(engine) == []


def test_only_the_changed_value_is_sent(engine):
    with session_scope(engine) as session:
        contact_id = _contact_with_score(session, "00Q1")
    _confirm(engine, _plan(engine))
    with session_scope(engine) as session:
        session.get(ContactScore, contact_id).lead = 55
    [planned] = _plan(engine)
    assert dict(planned.write.values) == {"lead": 55}


def test_rejected_write_is_recorded_and_planned_again(engine):
    with session_scope(engine) as session:
        contact_id = _contact_with_score(session, "00Q1")
    assert _confirm(engine, _plan(engine), ok=False) == (0, 1)
    with session_scope(engine) as session:
        ledger = session.get(WriteLedger, ("acme", contact_id))
        assert ledger.attempts == 1 and "FIELD_CUSTOM_VALIDATION_EXCEPTION" in ledger.last_error
    assert len(_plan(engine)) == 1


def test_other_connections_and_deleted_contacts_are_left_alone(engine):
    with session_scope(engine) as session:
        _contact_with_score(session, "00Q1", instance="globex")
        _contact_with_score(session, "00Q2", deleted=True)
    assert _plan(engine) == []


def test_one_batch_folds_answers_into_new_and_existing_ledger_rows_alike(engine):
    with session_scope(engine) as session:
        first = _contact_with_score(session, "00Q1")
    _confirm(engine, _plan(engine), ok=False)  # 00Q1 now has a ledger row holding its failed attempt
    with session_scope(engine) as session:
        second = _contact_with_score(session, "00Q2")
    planned = _plan(engine)
    assert [p.write.crm_id for p in planned] == ["00Q1", "00Q2"]
    results = [WriteResult("00Q1", True), WriteResult("00Q2", False, "INVALID", "bad value")]
    with session_scope(engine) as session:
        assert record_results(session, connection="acme", planned=planned, results=results, now=NOW) == (1, 1)
    with session_scope(engine) as session:
        retried, fresh = session.get(WriteLedger, ("acme", first)), session.get(WriteLedger, ("acme", second))
        assert retried.attempts == 0 and retried.last_error is None and retried.confirmed_at == NOW
        assert retried.confirmed_values == dict(planned[0].write.values) and retried.pending_values is None
        assert fresh.attempts == 1 and fresh.last_error == "INVALID: bad value" and fresh.confirmed_values == {}
        assert fresh.pending_values == dict(planned[1].write.values) and fresh.confirmed_at is None
    assert [p.write.crm_id for p in _plan(engine)] == ["00Q2"]
