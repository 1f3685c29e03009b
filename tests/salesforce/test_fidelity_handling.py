"""The adapter against what the corrected Salesforce stand-in does: leads converted between read and write-back,
queue-owned leads, and many records stamped in one second read with the shipped lookback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.settings import SalesforceSettings
from connector.crm import ScoreWrite, TaskRequest
from connector.errors import AuthError, FatalCrmError
from tests.salesforce.conftest import SECRETS, T0, RecordedSleep, sandbox_login, small_mapping


def _adapter(sandbox, **mapping_overrides) -> SalesforceAdapter:
    mapping = small_mapping(**mapping_overrides)
    settings = SalesforceSettings(**sandbox_login(sandbox, max_wait_seconds=5))
    return SalesforceAdapter(settings, mapping, sleep=RecordedSleep(), environ=SECRETS, clock=sandbox.app.clock)


def _lead(sandbox, n: int = 0, **fields) -> str:
    values = {"LastName": f"Lead {n}", "Company": "Acme", "Email": f"l{n}@acme.io", **fields}
    return sandbox.app.insert("Lead", values)


def _records(pages):
    return [record for page in pages for record in page.records]


def test_a_lead_converted_between_read_and_write_back_gets_its_score_on_the_contact(sandbox, clock):
    adapter = _adapter(sandbox)
    adapter.setup()
    converted, untouched = _lead(sandbox, 1), _lead(sandbox, 2)
    assert {r.crm_id for r in _records(adapter.pull_contacts(None))} == {converted, untouched}
    clock.advance(minutes=1)
    contact = sandbox.app.convert_lead(converted)  # a rep converts it while ScoreBridge scores
    results = adapter.write_scores(
        [ScoreWrite("Lead", converted, {"fit": 70, "stage": "SQL"}), ScoreWrite("Lead", untouched, {"fit": 15})]
    )
    assert [(r.crm_id, r.ok) for r in results] == [(converted, True), (untouched, True)]
    assert contact in (results[0].error_message or "")
    assert sandbox.app.store.get(contact)["ScoreBridge_Fit__c"] == 70  # Contact maps only `fit`
    assert sandbox.app.store.get(converted)["ScoreBridge_Fit__c"] is None
    assert sandbox.app.store.get(untouched)["ScoreBridge_Fit__c"] == 15


def test_a_converted_lead_whose_contact_takes_no_scores_fails_once_with_the_reason(sandbox):
    adapter = _adapter(sandbox)
    adapter.setup()
    lead = _lead(sandbox)
    sandbox.app.convert_lead(lead)
    no_contact_targets = _adapter(
        sandbox,
        objects={
            "Lead": {"fields": {"email": "Email"}, "write_back": {"fit": "ScoreBridge_Fit__c"}},
            "Contact": {"fields": {"email": "Email"}},
        },
    )
    (result,) = no_contact_targets.write_scores([ScoreWrite("Lead", lead, {"fit": 70})])
    assert not result.ok and result.error_code == "NO_WRITE_TARGETS"
    assert "lead converted" in (result.error_message or "")


def _task(lead: str, owner: str) -> TaskRequest:
    return TaskRequest(f"conn:{lead}:MQL", "Lead", lead, owner, "Follow up", "Webinar attended", T0 + timedelta(days=1))


def test_a_task_for_a_queue_owned_lead_goes_to_the_configured_user(sandbox):
    queue = sandbox.app.add_queue("Unassigned Leads")
    fallback = sandbox.app.insert("User", {"Username": "a@v.com", "LastName": "Ames", "Email": "a@v.com"})
    lead = _lead(sandbox, OwnerId=queue)
    lead_fields = {"fields": {"email": "Email", "owner_id": "OwnerId"}, "write_back": {"fit": "ScoreBridge_Fit__c"}}
    adapter = _adapter(sandbox, objects={"Lead": lead_fields}, tasks={"queue_owner": fallback})
    adapter.setup()
    (owner_of_lead,) = [r.owner_id for r in _records(adapter.pull_contacts(None)) if r.crm_id == lead]
    assert owner_of_lead == queue
    (created,) = adapter.create_tasks([_task(lead, owner_of_lead)])
    assert created.crm_task_id and sandbox.app.store.get(created.crm_task_id)["OwnerId"] == fallback


def test_without_a_configured_user_a_queue_owned_leads_task_goes_to_the_integration_user(sandbox):
    queue = sandbox.app.add_queue("Unassigned Leads")
    lead = _lead(sandbox, OwnerId=queue)
    adapter = _adapter(sandbox)
    adapter.setup()
    (created,) = adapter.create_tasks([_task(lead, queue)])
    assert created.error_code is None
    assert sandbox.app.store.get(created.crm_task_id)["OwnerId"] == sandbox.app.store.api_user_id


def test_leads_sharing_one_second_across_pages_are_read_once_and_not_forever(sandbox, clock):
    ids = [_lead(sandbox, n) for n in range(450)]  # one whole-second stamp; pages of 200 end inside it
    adapter = _adapter(sandbox, pull={"page_size": 200, "lookback_seconds": 600, "bulk_threshold": None})
    pages = list(adapter.pull_contacts(None))
    assert sorted(r.crm_id for r in _records(pages)) == sorted(ids)
    bookmark, reread = pages[-1].bookmark, []
    for minutes in (5, 20, 5):  # reads at 12:05, 12:25, 12:30 with a 10-minute lookback
        clock.advance(minutes=minutes)
        later = list(adapter.pull_contacts(bookmark))
        reread.append(len(_records(later)))
        bookmark = later[-1].bookmark
    # Re-read while a read starts within the lookback of the previous read's start (the store upserts by id),
    # then never again: the bookmark moves to when each read began, not to the last record's second.
    assert reread == [450, 450, 0]


def test_a_task_for_a_lead_converted_since_the_read_is_created_on_its_contact(sandbox):
    lead = _lead(sandbox)
    adapter = _adapter(sandbox)
    adapter.setup()
    contact = sandbox.app.convert_lead(lead)
    (created,) = adapter.create_tasks([_task(lead, None)])
    assert created.error_code is None and created.idempotency_key == f"conn:{lead}:MQL"
    assert sandbox.app.store.get(created.crm_task_id)["WhoId"] == contact
    assert adapter.find_tasks([created.idempotency_key]) == {created.idempotency_key: created.crm_task_id}


def test_an_api_version_the_org_does_not_serve_names_the_setting(sandbox):
    settings = SalesforceSettings(**sandbox_login(sandbox, max_wait_seconds=5, api_version="20.0"))
    adapter = SalesforceAdapter(settings, small_mapping(), sleep=RecordedSleep(), environ=SECRETS)
    with pytest.raises(FatalCrmError, match="api_version"):
        list(adapter.pull_contacts(None))


def test_a_jwt_login_from_a_clock_behind_the_orgs_says_to_check_the_clock(sandbox, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "server.key").write_bytes(pem)
    login = sandbox_login(sandbox, auth="jwt_bearer", private_key={"file": str(tmp_path / "server.key")})
    settings = SalesforceSettings(**{k: v for k, v in login.items() if k not in ("consumer_secret", "password")})
    behind = SalesforceAdapter(
        settings, small_mapping(), environ={}, clock=lambda: sandbox.app.clock() - timedelta(minutes=10)
    )
    with pytest.raises(AuthError, match="check this machine's clock"):
        list(behind.pull_contacts(None))
    on_time = SalesforceAdapter(settings, small_mapping(), environ={}, clock=sandbox.app.clock)
    assert _records(on_time.pull_contacts(None)) == []  # logged in: the org is merely empty
