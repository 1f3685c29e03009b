"""The sync writes accounts after contacts, through the same batches, ledger and crash safety; a dry run plans them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import ContactRecord
from connector.store import session_scope, upgrade_store
from connector.store.tables import AccountWriteLedger
from connector.sync import run_sync
from tests.sync.account_builders import NOW, AccountCrm, add_account, add_account_score

MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"


@pytest.fixture
def store(empty_engine, tmp_path):
    """The default model without its `accounts` section, so the account rows these tests seed stay as seeded."""
    upgrade_store(empty_engine)
    model = yaml.safe_load(MODEL.read_text(encoding="utf-8"))
    model.pop("accounts", None)
    (tmp_path / "model.yaml").write_text(yaml.safe_dump(model), encoding="utf-8")
    connection = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"))
    config = ConnectorConfig(model=tmp_path / "model.yaml", connections=[connection])
    return empty_engine, config, connection


def _crm(**options) -> AccountCrm:
    return AccountCrm(contacts=[ContactRecord("Lead", "00Q1", email="sarah@acme.example", title="VP")], **options)


def _seed_hot_account(engine) -> int:
    with session_scope(engine) as session:
        account = add_account(session)
        add_account_score(session, account)
        return account.id


def _sync(store, crm, minutes=0, **options):
    engine, config, connection = store
    return run_sync(engine, config, connection, crm, clock=lambda: NOW + timedelta(minutes=minutes), **options)


def test_accounts_are_written_after_contacts_and_only_once(store):
    _seed_hot_account(store[0])
    crm = _crm()
    first = _sync(store, crm)
    assert first.status == "succeeded"
    assert (first.counts["account_writes_changed"], first.counts["account_written"]) == (1, 1)
    assert first.counts["account_write_failed"] == 0
    assert [write.object_type for batch in crm.writes for write in batch] == ["Lead", "Account"]
    assert crm.values["001ACME"]["stage"] == "hot" and crm.values["001ACME"]["score"] == 72
    second = _sync(store, crm, minutes=30)
    assert second.counts.get("account_writes_changed", 0) == 0 and len(crm.writes) == 1 + 1


def test_a_crash_between_send_and_ledger_sends_the_same_values_again(store):
    account_id = _seed_hot_account(store[0])
    crm = _crm()
    _sync(store, crm)  # contacts and account confirmed
    with session_scope(store[0]) as session:
        session.get(AccountWriteLedger, ("acme", account_id)).confirmed_values = {}  # as if never confirmed
    crm.crash_after_write = True
    crashed = _sync(store, crm, minutes=30)
    assert crashed.status == "failed" and "dropped" in crashed.message
    sent = crm.writes[-1][0].values
    with session_scope(store[0]) as session:
        assert session.get(AccountWriteLedger, ("acme", account_id)).confirmed_values == {}
    again = _sync(store, crm, minutes=60)
    assert again.status == "succeeded" and again.counts["account_written"] == 1
    assert crm.writes[-1][0].values == sent  # the same values: harmless
    with session_scope(store[0]) as session:
        assert session.get(AccountWriteLedger, ("acme", account_id)).confirmed_values == dict(sent)


def test_a_refused_account_write_is_counted_and_warned_and_retried(store):
    _seed_hot_account(store[0])
    crm = _crm(reject_ids={"001ACME"})
    first = _sync(store, crm)
    assert first.status == "succeeded" and first.counts["account_write_failed"] == 1
    assert any("001ACME: INVALID_FIELD" in warning for warning in first.warnings)
    crm.reject_ids.clear()
    assert _sync(store, crm, minutes=30).counts["account_written"] == 1


def test_a_dry_run_plans_account_writes_but_sends_and_stores_nothing(store):
    _seed_hot_account(store[0])
    crm = _crm()
    planned = _sync(store, crm, dry_run=True)
    assert planned.status == "dry_run"
    assert [(write.object_type, write.crm_id) for write in planned.planned_writes] == [
        ("Lead", "00Q1"), ("Account", "001ACME"),
    ]  # fmt: skip
    assert crm.writes == [] and crm.values == {}
    with session_scope(store[0]) as session:
        assert session.exec(select(AccountWriteLedger)).all() == []


def test_a_connection_without_scored_accounts_never_asks_for_account_targets(store):
    crm = _crm()
    report = _sync(store, crm)
    assert report.status == "succeeded" and report.counts.get("account_writes_changed", 0) == 0
    assert crm.account_target_asks == 0
