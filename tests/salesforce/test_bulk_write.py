"""Large write-backs through Bulk API 2.0 ingest against the Salesforce sandbox, over HTTPS: one job per object,
per-record results in the writes' order, passing failures and unprocessed records sent again through collections."""

from __future__ import annotations

import pytest

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.bulk_write import csv_value, parse_sf_error
from adapters.salesforce.settings import SalesforceSettings
from adapters.sandbox.http import Fault
from adapters.sandbox.salesforce.schema import FieldSpec
from connector.crm import ScoreWrite
from tests.salesforce.conftest import SECRETS, RecordedSleep, sandbox_login, small_mapping

WRITE_BACK = {"fit": "ScoreBridge_Fit__c", "stage": "ScoreBridge_Stage__c"}


def _org(sandbox, leads: int, contacts: int = 0) -> tuple[list[str], list[str]]:
    app = sandbox.app
    for name in ("Lead", "Contact"):
        app.store.add_custom_field(name, FieldSpec("ScoreBridge_Fit__c", "double", precision=8, scale=2, custom=True))
        app.store.add_custom_field(name, FieldSpec("ScoreBridge_Stage__c", "string", length=40, custom=True))
    lead_ids = [app.insert("Lead", {"LastName": f"L{n}", "Company": "Acme"}) for n in range(leads)]
    contact_ids = [app.insert("Contact", {"LastName": f"C{n}"}) for n in range(contacts)]
    sandbox.server.stats.reset()
    return lead_ids, contact_ids


def _adapter(sandbox, sleep=None, write=None, write_back=None) -> SalesforceAdapter:
    targets = write_back or WRITE_BACK
    mapping = small_mapping(
        objects={"Lead": {"write_back": targets}, "Contact": {"write_back": targets}},
        write=write or {"bulk_threshold": 3, "bulk_poll_seconds": 2},
    )
    settings = SalesforceSettings(**sandbox_login(sandbox, max_wait_seconds=5))
    sleep = sleep or RecordedSleep()
    return SalesforceAdapter(settings, mapping, sleep=sleep, environ=SECRETS, clock=sandbox.app.clock)


def _writes(object_type: str, ids: list[str], fit: float = 42.5) -> list[ScoreWrite]:
    return [ScoreWrite(object_type, record_id, {"fit": fit + n, "stage": "MQL"}) for n, record_id in enumerate(ids)]


def _routes(sandbox) -> dict[str, int]:
    return sandbox.server.stats.snapshot()["by_route"]


def test_a_large_write_goes_through_one_job_per_object_with_results_in_the_callers_order(sandbox):
    leads, contacts = _org(sandbox, 5, 4)
    writes = [*_writes("Lead", leads[:2]), *_writes("Contact", contacts), *_writes("Lead", leads[2:], 10)]
    sleep = RecordedSleep()
    results = _adapter(sandbox, sleep).write_scores(writes)
    assert [r.crm_id for r in results] == [w.crm_id for w in writes] and all(r.ok for r in results)
    assert sandbox.app.store.get(leads[4])["ScoreBridge_Fit__c"] == 12.0
    assert sandbox.app.store.get(contacts[0])["ScoreBridge_Stage__c"] == "MQL"
    routes = _routes(sandbox)
    assert routes["sf.bulk2.ingest.create"] == 2 and "sf.composite.update" not in routes
    # a job with no failure costs five calls: create, upload, close, one poll, the successful results
    assert sum(count for name, count in routes.items() if "ingest" in name) == 10
    assert sleep.waits == [2, 2]


def test_a_record_the_job_refuses_fails_alone_with_the_crms_error(sandbox):
    leads, _ = _org(sandbox, 4)
    sandbox.app.store.delete("Lead", leads[1])
    results = _adapter(sandbox).write_scores(_writes("Lead", leads))
    assert [r.ok for r in results] == [True, False, True, True]
    assert (results[1].crm_id, results[1].error_code) == (leads[1], "ENTITY_IS_DELETED")
    assert results[1].error_message == "entity is deleted"
    assert _routes(sandbox)["sf.bulk2.ingest.results"] == 2  # successful and failed results, no unprocessed


def test_rows_refused_for_a_lock_are_sent_again_through_one_collection_call(sandbox):
    leads, contacts = _org(sandbox, 4, 1)
    sandbox.app.apply_fault(Fault(kind="reject_share", share=0.5, count=1))  # the job's processing takes it
    writes = [*_writes("Lead", leads), *_writes("Contact", contacts)]
    results = _adapter(sandbox).write_scores(writes)
    assert all(r.ok for r in results)
    assert _routes(sandbox)["sf.composite.update"] == 1  # the two locked Leads and the lone Contact together
    assert all(sandbox.app.store.get(i)["ScoreBridge_Fit__c"] is not None for i in leads)


def test_a_job_that_fails_leaves_its_records_unprocessed_and_collections_report_each(sandbox):
    leads, _ = _org(sandbox, 3)
    adapter = _adapter(sandbox, write_back={"fit": "ScoreBridge_Fit__c", "stage": "No_Such_Field__c"})
    results = adapter.write_scores(_writes("Lead", leads))
    assert {r.error_code for r in results} == {"INVALID_FIELD"}
    assert _routes(sandbox)["sf.composite.update"] == 1


def test_a_job_past_its_timeout_is_aborted_and_the_rest_goes_through_collections(sandbox):
    leads, _ = _org(sandbox, 3)
    sandbox.app.ingest.polls_to_complete = 10
    sleep = RecordedSleep()
    adapter = _adapter(sandbox, sleep, write={"bulk_threshold": 3, "bulk_poll_seconds": 2, "bulk_timeout_seconds": 6})
    results = adapter.write_scores(_writes("Lead", leads))
    assert all(r.ok for r in results) and sleep.waits == [2, 2, 2]
    routes = _routes(sandbox)
    assert routes["sf.bulk2.ingest.state"] == 2 and routes["sf.composite.update"] == 1  # close, abort
    assert routes["sf.bulk2.ingest.poll"] == 4  # three polls, then the counts after the abort


def test_a_converted_lead_in_a_job_is_written_to_its_contact(sandbox):
    leads, _ = _org(sandbox, 3)
    contact = sandbox.app.convert_lead(leads[0])
    results = _adapter(sandbox).write_scores(_writes("Lead", leads))
    assert all(r.ok for r in results) and "converted" in results[0].error_message
    assert sandbox.app.store.get(contact)["ScoreBridge_Fit__c"] == 42.5


def test_below_the_threshold_leads_and_contacts_share_one_collection_call(sandbox):
    leads, contacts = _org(sandbox, 2, 2)
    writes = [*_writes("Lead", leads[:1]), *_writes("Contact", contacts), *_writes("Lead", leads[1:])]
    results = _adapter(sandbox, write={"bulk_threshold": None}).write_scores(writes)
    assert all(r.ok for r in results) and [r.crm_id for r in results] == [w.crm_id for w in writes]
    assert _routes(sandbox) == {"sf.oauth.token": 1, "sf.composite.update": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ENTITY_IS_DELETED:entity is deleted:--", ("ENTITY_IS_DELETED", "entity is deleted")),
        (
            "STRING_TOO_LONG:Stage: data value too large: x:ScoreBridge_Stage__c --",
            ("STRING_TOO_LONG", "Stage: data value too large: x (fields: ScoreBridge_Stage__c)"),
        ),
        ("", ("UNKNOWN", "")),
    ],
)
def test_sf_error_cells_read_as_code_and_message(text, expected):
    assert parse_sf_error(text) == expected


def test_csv_values_clear_with_na_and_write_booleans_and_numbers_as_salesforce_reads_them():
    assert [csv_value(v) for v in (None, "", True, 3, 4.5, "MQL")] == ["#N/A", "#N/A", "true", "3", "4.5", "MQL"]


def test_a_first_check_describes_the_mappings_objects_in_one_composite_call(sandbox):
    _org(sandbox, 1)
    adapter = _adapter(sandbox)
    problems = adapter.check()
    assert _routes(sandbox) == {"sf.oauth.token": 1, "sf.composite": 1}  # Lead, Contact and Task together
    assert any("ScoreBridge_Key__c" in problem for problem in problems)  # the describes were read
