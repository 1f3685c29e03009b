"""Account write-back: only what changed since the CRM last confirmed it, recorded in the account ledger."""

from __future__ import annotations

from connector.account_writeback import plan_account_writes
from connector.crm import WriteResult
from connector.runs import backlogs
from connector.store import session_scope
from connector.store.tables import AccountScore, AccountWriteLedger, WriteLedger
from connector.writeback import record_results
from tests.sync.account_builders import NOW, add_account, add_account_score


def _plan(engine, targets=None):
    with session_scope(engine) as session:
        return plan_account_writes(session, connection="acme", source="salesforce", targets=targets)


def _confirm(engine, planned, ok=True):
    results = [
        WriteResult(plan.write.crm_id, ok, None if ok else "INVALID_FIELD", None if ok else "no") for plan in planned
    ]
    with session_scope(engine) as session:
        return record_results(
            session, connection="acme", planned=planned, results=results, now=NOW, ledger=AccountWriteLedger
        )


def _hot_account(engine, crm_id="001ACME", **fields) -> int:
    with session_scope(engine) as session:
        account = add_account(session, crm_id, **fields)
        add_account_score(session, account)
        return account.id


def test_a_new_hot_account_gets_every_value_as_whole_numbers_and_three_reasons(engine):
    _hot_account(engine)
    [planned] = _plan(engine)
    assert (planned.write.object_type, planned.write.crm_id) == ("Account", "001ACME")
    assert dict(planned.write.values) == {
        "fit": 40, "engagement": 82, "score": 72, "grade": "A", "stage": "hot", "engaged_contacts": 2,
        "reasons": "3 engaged contacts (+30); Decision maker engaged (+20); Fit A (+15)",
    }  # fmt: skip


def test_only_the_targets_the_mapping_names_are_written(engine):
    _hot_account(engine)
    [planned] = _plan(engine, targets={"score", "stage"})
    assert dict(planned.write.values) == {"score": 72, "stage": "hot"}


def test_confirmed_values_are_not_sent_again_and_a_change_sends_only_itself(engine):
    account_id = _hot_account(engine)
    assert _confirm(engine, _plan(engine)) == (1, 0)
    assert _plan(engine) == []
    with session_scope(engine) as session:
        session.get(AccountScore, account_id).score = 72.3  # a roll-up drifting by a fraction: no write
    assert _plan(engine) == []
    with session_scope(engine) as session:
        score = session.get(AccountScore, account_id)
        score.score, score.engaged_contacts = 80.0, 3
    [planned] = _plan(engine)
    assert dict(planned.write.values) == {"score": 80, "engaged_contacts": 3}


def test_a_refused_write_is_kept_in_the_account_ledger_and_planned_again(engine):
    account_id = _hot_account(engine)
    assert _confirm(engine, _plan(engine), ok=False) == (0, 1)
    with session_scope(engine) as session:
        ledger = session.get(AccountWriteLedger, ("acme", account_id))
        assert ledger.attempts == 1 and ledger.last_error == "INVALID_FIELD: no" and ledger.confirmed_values == {}
        assert ledger.pending_values["stage"] == "hot"
        assert session.get(WriteLedger, ("acme", account_id)) is None  # the contacts' ledger is another one
    assert len(_plan(engine)) == 1


def test_deleted_merged_and_other_connections_accounts_are_left_alone(engine):
    survivor = _hot_account(engine, "001SURV")
    _confirm(engine, _plan(engine))
    _hot_account(engine, "001GONE", deleted=True)
    _hot_account(engine, "001MERG", merged_into_id=survivor)
    _hot_account(engine, "001OTHR", instance="globex")
    assert _plan(engine) == []


def test_reasons_are_cut_to_what_a_text_field_holds(engine):
    with session_scope(engine) as session:
        add_account_score(session, add_account(session), reasons=["x" * 200, "y" * 200])
    [planned] = _plan(engine)
    assert len(planned.write.values["reasons"]) == 255


def test_a_refused_account_write_counts_in_the_write_back_backlog(engine):
    _hot_account(engine)
    _confirm(engine, _plan(engine), ok=False)
    assert backlogs(engine)["acme"].pending_writes == 1
    _confirm(engine, _plan(engine))
    assert backlogs(engine) == {}
