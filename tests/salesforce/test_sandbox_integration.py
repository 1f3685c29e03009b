"""The adapter end to end against the Salesforce sandbox, through the real simple-salesforce client over HTTPS,
with faults injected: 429/5xx bursts, resets, expired sessions, rejected records, the daily limit mid-run."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.settings import SalesforceSettings
from adapters.sandbox.http import Fault
from adapters.sandbox.salesforce.schema import FieldSpec
from adapters.sandbox.salesforce.server import SalesforceSandbox
from adapters.sandbox.salesforce.values import format_datetime
from connector.crm import Bookmark, ScoreWrite, TaskRequest
from connector.errors import AuthError, FatalCrmError, LimitReachedError
from tests.salesforce.conftest import SECRETS, T0, RecordedSleep, example_mapping, sandbox_login, small_mapping


def _settings(sandbox: SalesforceSandbox, **overrides) -> SalesforceSettings:
    return SalesforceSettings(**sandbox_login(sandbox, max_wait_seconds=5, **overrides))


def _adapter(sandbox, mapping=None, sleep=None, **settings) -> SalesforceAdapter:
    """An adapter whose clock is the org's: what our clock says when a read begins is what the org says too."""
    mapping = mapping or small_mapping(pull={"page_size": 200, "lookback_seconds": 0, "bulk_threshold": None})
    return SalesforceAdapter(
        _settings(sandbox, **settings),
        mapping,
        sleep=sleep or RecordedSleep(),
        environ=SECRETS,
        clock=sandbox.app.clock,
    )


def _leads(sandbox, count, **fields) -> list[str]:
    return [
        sandbox.app.insert("Lead", {"LastName": f"Lead {n}", "Company": "Acme", "Email": f"l{n}@acme.io", **fields})
        for n in range(count)
    ]


def _task_key_field(sandbox) -> None:
    sandbox.app.store.add_custom_field("Task", FieldSpec("ScoreBridge_Key__c", "string", length=80, custom=True))


def _records(pages):
    return [record for page in pages for record in page.records]


def test_a_crash_after_the_first_page_resumes_without_skipping_or_repeating_leads_sharing_one_stamp(sandbox):
    _leads(sandbox, 450)  # one SystemModstamp for all: the case that stalls a plain timestamp cursor
    adapter = _adapter(sandbox)
    first_page = next(iter(adapter.pull_contacts(None)))
    assert len(first_page.records) == 200
    rest = _records(_adapter(sandbox).pull_contacts(first_page.bookmark))
    ids = [r.crm_id for r in first_page.records] + [r.crm_id for r in rest]
    assert len(ids) == len(set(ids)) == 450


def test_an_incremental_sync_reads_exactly_what_changed_and_sees_deletions(sandbox, clock):
    ids = _leads(sandbox, 30)
    adapter = _adapter(sandbox)
    bookmark = [page.bookmark for page in adapter.pull_contacts(None)][-1]
    clock.advance(hours=1)
    sandbox.app.store.update("Lead", ids[3], {"Title": "CTO"})
    sandbox.app.store.delete("Lead", ids[7])
    changed = _records(adapter.pull_contacts(bookmark))
    assert {(r.crm_id, r.deleted) for r in changed} == {(ids[3], False), (ids[7], True)}


def test_a_sync_with_nothing_changed_costs_one_call_per_object_read(sandbox, clock):
    _leads(sandbox, 20)
    mapping = small_mapping(
        objects={"Lead": {"fields": {"email": "Email"}}}, pull={"lookback_seconds": 0, "bulk_threshold": None}
    )
    contacts = [page.bookmark for page in _adapter(sandbox, mapping).pull_contacts(None)][-1]
    sandbox.server.stats.reset()
    adapter = _adapter(sandbox, mapping)  # a new run: it logs in again
    assert _records(adapter.pull_contacts(contacts)) == []
    assert list(adapter.pull_activities(Bookmark("activities", T0))) == []
    assert adapter.usage().calls == 2  # one queryAll for Lead, one for Task; the login is not an API call
    assert sandbox.server.stats.snapshot()["by_route"] == {"sf.oauth.token": 1, "sf.query": 2}


def test_a_large_first_sync_goes_through_bulk_api_2(sandbox):
    _leads(sandbox, 300)
    mapping = small_mapping(
        objects={"Lead": {"fields": {"email": "Email"}}},
        pull={"page_size": 200, "bulk_threshold": 100, "bulk_page_size": 120},
    )
    sleep = RecordedSleep()
    pages = list(_adapter(sandbox, mapping, sleep).pull_contacts(None))
    assert len({r.crm_id for r in _records(pages)}) == 300
    assert [page.bookmark is None for page in pages] == [True, True, False]
    routes = sandbox.server.stats.snapshot()["by_route"]
    assert routes["sf.bulk2.create"] == 1 and routes["sf.bulk2.results"] == 3


def test_bursts_of_503_and_429_and_a_reset_are_retried_until_the_pull_completes(sandbox):
    _leads(sandbox, 10)
    # Lead and Contact are read by one Composite call, so that call meets the faults.
    sandbox.server.faults.add(Fault(kind="status", status=503, count=2, route="sf.composite"))
    sandbox.server.faults.add(Fault(kind="rate_limit", count=1, route="sf.composite"))
    sandbox.server.faults.add(Fault(kind="reset", count=1, route="sf.composite"))
    sleep = RecordedSleep()
    adapter = _adapter(sandbox, sleep=sleep)
    assert len(_records(adapter.pull_contacts(None))) == 10
    assert len(sleep.waits) == 4 and adapter.usage().rate_limited == 1


def test_an_expired_session_is_renewed_and_the_sync_carries_on(sandbox):
    _leads(sandbox, 5)
    adapter = _adapter(sandbox)
    assert len(_records(adapter.pull_contacts(None))) == 5
    sandbox.app.apply_fault(Fault(kind="expire_sessions"))
    assert len(_records(adapter.pull_contacts(None))) == 5
    assert sandbox.server.stats.snapshot()["by_route"]["sf.oauth.token"] == 2


def test_an_expired_handed_in_session_stops_with_an_auth_error(sandbox):
    settings = dict(auth="session", instance_url=sandbox.instance_url, session_id={"env": "SF_SESSION"})
    settings |= dict(username=None, consumer_key=None, consumer_secret=None, password=None)
    adapter = SalesforceAdapter(
        _settings(sandbox, **settings), small_mapping(), sleep=RecordedSleep(), environ={"SF_SESSION": sandbox.token}
    )
    sandbox.app.apply_fault(Fault(kind="expire_sessions"))
    with pytest.raises(AuthError, match="cannot renew"):
        list(adapter.pull_contacts(None))


def test_wrong_credentials_stop_cleanly_and_no_secret_reaches_the_logs(sandbox, caplog):
    caplog.set_level(logging.DEBUG)  # urllib3 and simple-salesforce included
    environ = SECRETS | {"SF_PASSWORD": "wrong-pw-123"}
    adapter = SalesforceAdapter(_settings(sandbox), small_mapping(), sleep=RecordedSleep(), environ=environ)
    with pytest.raises(AuthError) as refused:
        list(adapter.pull_contacts(None))
    assert "invalid_grant" in str(refused.value)
    for secret in environ.values():
        assert secret not in str(refused.value) and secret not in caplog.text


def test_a_share_of_rejected_records_fails_alone_and_the_rest_is_written(sandbox):
    ids = _leads(sandbox, 250)
    sandbox.app.apply_fault(Fault(kind="reject_share", share=0.1, count=1))
    sandbox.app.store.add_custom_field(
        "Lead", FieldSpec("ScoreBridge_Fit__c", "double", precision=8, scale=2, custom=True)
    )
    mapping = small_mapping(objects={"Lead": {"write_back": {"fit": "ScoreBridge_Fit__c"}}})
    adapter = _adapter(sandbox, mapping)
    results = adapter.write_scores([ScoreWrite("Lead", lead_id, {"fit": 42.5}) for lead_id in ids])
    failed = [r for r in results if not r.ok]
    assert len(results) == 250 and len(failed) == 20  # 10% of the first chunk of 200
    assert {r.error_code for r in failed} == {"UNABLE_TO_LOCK_ROW"}
    assert [r.crm_id for r in results] == ids


def test_the_daily_limit_reached_mid_run_stops_new_work(sandbox):
    _leads(sandbox, 10)
    adapter = _adapter(sandbox)
    list(adapter.pull_contacts(None))
    sandbox.app.apply_fault(Fault(kind="daily_limit"))
    with pytest.raises(LimitReachedError):
        list(adapter.pull_activities(None))
    with pytest.raises(LimitReachedError):
        adapter.find_tasks(["k"])  # the last Sforce-Limit-Info said the allocation is gone


def test_tasks_are_created_once_and_found_by_key(sandbox):
    _task_key_field(sandbox)
    (lead,) = _leads(sandbox, 1)
    adapter = _adapter(sandbox)
    task = TaskRequest("conn:00Q:MQL", "Lead", lead, None, "Follow up: MQL", "Webinar attended", T0 + timedelta(days=1))
    (created,) = adapter.create_tasks([task])
    assert created.crm_task_id and adapter.find_tasks(["conn:00Q:MQL", "other"]) == {
        "conn:00Q:MQL": created.crm_task_id
    }


def test_check_and_setup_against_the_org(sandbox):
    adapter = _adapter(sandbox, example_mapping())
    before = adapter.check()
    assert any("ScoreBridge_Fit__c" in problem and "scorebridge setup" in problem for problem in before)
    try:
        actions = adapter.setup()
    except FatalCrmError as refused:
        if "Invalid object: Activity" in str(refused):
            pytest.xfail("the sandbox does not yet take Task/Event custom fields as Activity.<field>")
        raise
    assert any(action.startswith("created Lead.ScoreBridge_Fit__c") for action in actions)
    assert adapter.check() == []
    assert all(action.endswith("already exists") for action in adapter.setup())


# -- Composite: the first page of every object of a stream in one call ------------------------------------------

THREE_ACTIVITY_OBJECTS = [
    {"object": "Task", "type": "call", "equals": {"TaskSubtype": "Call"}},
    {"object": "Event", "type": "meeting", "timestamp": "ActivityDateTime"},
    {"object": "CampaignMember", "type": "webinar_attended", "equals": {"HasResponded": True}},
]


def _every_object_mapping():
    pull = {"page_size": 200, "lookback_seconds": 0, "bulk_threshold": None}
    return small_mapping(activities=THREE_ACTIVITY_OBJECTS, pull=pull)


def _org_with_every_object(sandbox) -> dict[str, list[str]]:
    """Leads, contacts, calls, meetings and webinar responses: five objects, two streams."""
    app = sandbox.app
    leads = _leads(sandbox, 3)
    contacts = [app.insert("Contact", {"LastName": f"Contact {n}", "Email": f"c{n}@acme.io"}) for n in range(3)]
    calls = [app.insert("Task", {"Subject": "Call", "TaskSubtype": "Call", "WhoId": lead}) for lead in leads]
    meetings = [
        app.insert("Event", {"Subject": "Demo", "WhoId": contact, "ActivityDateTime": "2026-11-01T10:00:00Z"})
        for contact in contacts
    ]
    campaign = app.insert("Campaign", {"Name": "Webinar", "Type": "Webinar"})
    responses = [
        app.insert("CampaignMember", {"CampaignId": campaign, "LeadId": lead, "Status": "Responded"}) for lead in leads
    ]
    return {"Lead": leads, "Contact": contacts, "Task": calls, "Event": meetings, "CampaignMember": responses}


def _first_sync(sandbox, mapping) -> tuple[Bookmark, Bookmark]:
    adapter = _adapter(sandbox, mapping)
    contacts = [page.bookmark for page in adapter.pull_contacts(None)][-1]
    activities = [page.bookmark for page in adapter.pull_activities(None)][-1]
    return contacts, activities


def test_a_sync_with_nothing_changed_across_five_objects_costs_two_composite_calls(sandbox):
    _org_with_every_object(sandbox)
    mapping = _every_object_mapping()
    contacts, activities = _first_sync(sandbox, mapping)
    sandbox.server.stats.reset()
    used_before = sandbox.app.api_counter.used
    adapter = _adapter(sandbox, mapping)  # a new run: it logs in again
    assert _records(adapter.pull_contacts(contacts)) == []
    assert _records(adapter.pull_activities(activities)) == []
    assert adapter.usage().calls == 2  # one Composite call per stream; the login is not an API call
    assert sandbox.server.stats.snapshot()["by_route"] == {"sf.oauth.token": 1, "sf.composite": 2}
    assert sandbox.app.api_counter.used - used_before == 2


def test_incremental_pulls_through_composite_return_exactly_the_changed_records(sandbox, clock):
    ids = _org_with_every_object(sandbox)
    mapping = _every_object_mapping()
    first = _first_sync(sandbox, mapping)
    assert {r.crm_id for r in _records(_adapter(sandbox, mapping).pull_contacts(None))} == {
        *ids["Lead"],
        *ids["Contact"],
    }
    clock.advance(hours=1)
    store = sandbox.app.store
    store.update("Contact", ids["Contact"][1], {"Title": "CTO"})
    store.delete("Lead", ids["Lead"][2])
    store.update("Event", ids["Event"][0], {"Location": "Zoom"})
    new_call = sandbox.app.insert("Task", {"Subject": "Call", "TaskSubtype": "Call", "WhoId": ids["Lead"][0]})

    adapter = _adapter(sandbox, mapping)
    changed_people = _records(adapter.pull_contacts(first[0]))
    changed_activities = _records(adapter.pull_activities(first[1]))

    assert {(r.crm_id, r.deleted) for r in changed_people} == {(ids["Contact"][1], False), (ids["Lead"][2], True)}
    assert {a.source_id for a in changed_activities} == {ids["Event"][0], new_call}
    assert adapter.usage().calls == 2


def test_objects_with_more_than_a_page_page_on_alone_after_the_composite_call(sandbox):
    leads = _leads(sandbox, 450)
    sandbox.app.insert("Contact", {"LastName": "Only one"})
    adapter = _adapter(sandbox, _every_object_mapping())
    pages = list(adapter.pull_contacts(None))
    assert len({r.crm_id for r in _records(pages)}) == 451 and set(leads) <= {r.crm_id for r in _records(pages)}
    routes = sandbox.server.stats.snapshot()["by_route"]
    assert routes["sf.composite"] == 1 and routes["sf.query.more"] == 2  # Lead's pages 2 and 3 only


def test_a_mapping_naming_an_unknown_field_fails_the_composite_pull_as_a_direct_query_would(sandbox):
    _leads(sandbox, 1)
    mapping = small_mapping(
        objects={
            "Lead": {"fields": {"email": "Email", "rating": "Nope__c"}},
            "Contact": {"fields": {"email": "Email"}},
        },
        pull={"bulk_threshold": None},
    )
    sleep = RecordedSleep()
    with pytest.raises(FatalCrmError, match=r"(?s)INVALID_FIELD.*Nope__c"):
        list(_adapter(sandbox, mapping, sleep).pull_contacts(None))
    assert sleep.waits == []


# -- a quiet org: the bookmark moves up to when each read began ----------------------------------------------------


def _scored_leads_mapping():
    """Leads only, scores written back, the default 600 s lookback: a sync re-reads its own write-backs once."""
    return small_mapping(
        objects={"Lead": {"fields": {"email": "Email"}, "write_back": {"fit": "ScoreBridge_Fit__c"}}},
        pull={"page_size": 200, "bulk_threshold": None},
    )


def _sync(sandbox, mapping, bookmarks: dict[str, Bookmark | None], writes=()) -> tuple[list, int]:
    """One run as the connector makes it: pull both streams from their bookmarks, keep the last bookmark each
    page gave, write scores. Returns what was pulled and the API calls the run made."""
    adapter = _adapter(sandbox, mapping)  # a new run: it logs in again
    pulled = []
    for stream, pull in (("contacts", adapter.pull_contacts), ("activities", adapter.pull_activities)):
        for page in pull(bookmarks[stream]):
            pulled.extend(page.records)
            bookmarks[stream] = page.bookmark or bookmarks[stream]
    adapter.write_scores(list(writes))
    return pulled, adapter.usage().calls


def test_after_a_sync_that_wrote_scores_the_next_but_one_sync_with_no_change_makes_two_calls(sandbox, clock):
    ids = _leads(sandbox, 250)  # more than a page: re-reading them would cost a second call
    sandbox.app.store.add_custom_field("Lead", FieldSpec("ScoreBridge_Fit__c", "double", precision=8, scale=2))
    mapping = _scored_leads_mapping()
    bookmarks: dict[str, Bookmark | None] = {"contacts": None, "activities": None}
    clock.advance(hours=1)
    _sync(sandbox, mapping, bookmarks, writes=[ScoreWrite("Lead", lead, {"fit": 10.0}) for lead in ids])

    clock.advance(minutes=15)
    reread, _ = _sync(sandbox, mapping, bookmarks)  # our own write-backs, read once
    assert {record.crm_id for record in reread} == set(ids)

    clock.advance(minutes=15)
    pulled, calls = _sync(sandbox, mapping, bookmarks)
    assert pulled == [] and calls == 2  # one queryAll per stream
    assert bookmarks["contacts"] == Bookmark("contacts", clock.now)


def test_a_change_saved_just_before_a_quiet_read_and_committed_after_it_is_read_next_time(sandbox, clock):
    ids = _leads(sandbox, 3)
    mapping = _scored_leads_mapping()
    bookmarks: dict[str, Bookmark | None] = {"contacts": None, "activities": None}
    clock.advance(hours=1)
    _sync(sandbox, mapping, bookmarks)
    clock.advance(minutes=15)
    _sync(sandbox, mapping, bookmarks)  # the first sync's bookmark is its last lead's: they are read once more
    clock.advance(minutes=15)
    quiet_read_began = clock.now
    assert _sync(sandbox, mapping, bookmarks)[0] == []
    assert bookmarks["contacts"] == Bookmark("contacts", quiet_read_began)

    # a save stamped a second before the quiet read began, whose transaction committed only after it
    late = format_datetime(quiet_read_began - timedelta(seconds=1))
    sandbox.app.store.update("Lead", ids[1], {"Title": "CTO", "SystemModstamp": late}, trusted=True)
    clock.advance(minutes=15)
    pulled, _ = _sync(sandbox, mapping, bookmarks)
    assert [(record.crm_id, record.modified_at) for record in pulled] == [
        (ids[1], quiet_read_began - timedelta(seconds=1))
    ]
