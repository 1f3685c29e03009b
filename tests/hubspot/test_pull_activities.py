"""Pulling engagement: CRM engagements through their contact associations, marketing email events, form
submissions and web events, each in its own API's shape, classified by the mapping."""

from __future__ import annotations

from datetime import timedelta

from adapters.hubspot.mapping import HubSpotMapping
from adapters.sandbox.hubspot.marketing import EmailEvent, Form, FormSubmission, WebEvent
from adapters.sandbox.hubspot.wire import epoch_ms
from connector.crm import Bookmark, ScoreWrite
from tests.hubspot.conftest import START, add_contact, route_calls


def activities(adapter, since=None):
    pages = list(adapter.pull_activities(since))
    return [record for page in pages for record in page.records], pages


def test_engagements_are_read_through_their_contact_associations_and_classified(sandbox, adapter):
    ann, bob = add_contact(sandbox, "ann@example.com"), add_contact(sandbox, "bob@example.com")
    call = sandbox.app.insert(
        "calls",
        {
            "hs_timestamp": "2026-10-30T09:00:00Z",
            "hs_call_direction": "OUTBOUND",
            "hs_call_body": "Not interested now.",
        },
        {"contacts": [ann]},
    )
    booked = sandbox.app.insert(
        "meetings",
        {
            "hs_timestamp": "2026-10-31T15:00:00Z",
            "hs_meeting_title": "Demo: Scoring",
            "hs_meeting_outcome": "SCHEDULED",
        },
        {"contacts": [ann, bob]},
    )
    held = sandbox.app.insert(
        "meetings",
        {
            "hs_timestamp": "2026-11-01T10:00:00Z",
            "hs_meeting_title": "Demo: Scoring",
            "hs_meeting_outcome": "COMPLETED",
        },
        {"contacts": [bob]},
    )
    found, pages = activities(adapter)
    by_key = {(r.source_id, r.contact_crm_id): r for r in found}
    assert set(by_key) == {
        (f"calls:{call}", ann),
        (f"meetings:{booked}", ann),
        (f"meetings:{booked}", bob),
        (f"meetings:{held}", bob),
    }
    not_interested = by_key[(f"calls:{call}", ann)]
    assert not_interested.type == "not_interested" and not_interested.attributes["direction"] == "OUTBOUND"
    assert not_interested.occurred_at.isoformat() == "2026-10-30T09:00:00+00:00"
    assert by_key[(f"meetings:{booked}", bob)].type == "demo_scheduled"
    assert by_key[(f"meetings:{held}", bob)].type == "demo_attended"
    assert [page.bookmark for page in pages[:-1]] == [None] * (len(pages) - 1)
    assert pages[-1].bookmark == Bookmark("activities", START)


def test_scorebridge_follow_up_tasks_are_not_read_back_as_engagement(sandbox, adapter, mapping):
    ann = add_contact(sandbox, "ann@example.com")
    adapter.setup()
    sandbox.app.insert(
        "tasks", {"hs_timestamp": "2026-10-30T09:00:00Z", mapping.tasks.key_property: "k"}, {"contacts": [ann]}
    )
    human = sandbox.app.insert("tasks", {"hs_timestamp": "2026-10-30T10:00:00Z"}, {"contacts": [ann]})
    found, _ = activities(adapter)
    assert [r.source_id for r in found] == [f"tasks:{human}"]


def test_an_increment_searches_engagements_and_reads_associations_in_one_batch_per_page(sandbox, adapter, fake_time):
    adapter.setup()  # the tasks key property exists before a sync pulls (its check stops it otherwise)
    ann = add_contact(sandbox, "ann@example.com")
    sandbox.app.portal.insert(
        "notes", {"hs_timestamp": "2026-09-01T00:00:00Z"}, {"contacts": [ann]}, modified_at=START - timedelta(days=30)
    )
    fake_time.advance(3600)
    note = sandbox.app.insert("notes", {"hs_timestamp": "2026-11-01T12:30:00Z"}, {"contacts": [ann]})
    found, _ = activities(adapter, Bookmark("activities", START))
    assert [(r.source_id, r.contact_crm_id) for r in found] == [(f"notes:{note}", ann)]
    assert route_calls(sandbox, "hubspot.associations.batch_read") == 1


def test_marketing_email_events_become_activities_of_the_contact_with_that_address(sandbox, adapter):
    ann = add_contact(sandbox, "ann@example.com")
    store = sandbox.app.portal.marketing
    at = epoch_ms(START - timedelta(days=1))
    store.add_email_event(EmailEvent("e1", "OPEN", "ann@example.com", at, 7))
    store.add_email_event(EmailEvent("e2", "CLICK", "ANN@example.com", at + 1000, 7, extra={"url": "https://x.io/p"}))
    store.add_email_event(EmailEvent("e3", "DELIVERED", "ann@example.com", at, 7))
    store.add_email_event(EmailEvent("e4", "OPEN", "stranger@example.com", at, 7))
    store.add_email_event(
        EmailEvent(
            "e5", "STATUSCHANGE", "ann@example.com", at + 2000, 7, extra={"portalSubscriptionStatus": "UNSUBSCRIBED"}
        )
    )
    found, pages = activities(adapter)
    assert sum(page.skipped for page in pages) == 1  # the stranger's open: no contact has that address
    assert sorted((r.source_id, r.type, r.contact_crm_id) for r in found) == [
        ("email_event:e1", "email_open", ann),
        ("email_event:e2", "email_click", ann),
        ("email_event:e5", "unsubscribe", ann),
    ]
    click = next(r for r in found if r.source_id == "email_event:e2")
    assert click.attributes == {"campaign": "7", "url": "https://x.io/p"}


def test_form_submissions_and_behavioral_events_become_activities(sandbox, adapter):
    ann = add_contact(sandbox, "ann@example.com")
    store = sandbox.app.portal.marketing
    store.add_form(Form("f-1", "Contact Us", START - timedelta(days=90)))
    store.add_form(Form("f-2", "Webinar - Integrations Deep Dive", START - timedelta(days=90)))
    at = epoch_ms(START - timedelta(days=2))
    store.add_submission(FormSubmission("c-1", "f-1", at, (("email", "ann@example.com"),), "https://x.io/contact"))
    store.add_submission(FormSubmission("c-2", "f-2", at, (("email", "ann@example.com"),), "https://x.io/webinars"))
    store.add_web_event(WebEvent("w-1", "e_visited_page", "contact", ann, at, {"hs_url": "https://x.io/pricing"}))
    store.add_web_event(WebEvent("w-2", "pe24681357_webinar_attended", "contact", ann, at))
    store.add_web_event(WebEvent("w-3", "pe1_unmapped", "contact", ann, at))
    found, _ = activities(adapter)
    kinds = {r.source_id: r.type for r in found}
    assert kinds == {
        "form:c-1": "form_fill",
        "form:c-2": "webinar_registered",
        "web_event:w-1": "page_view",
        "web_event:w-2": "webinar_attended",
    }
    by_id = {r.source_id: r for r in found}
    assert by_id["form:c-1"].attributes["form"] == "Contact Us"
    assert by_id["web_event:w-1"].attributes["url"] == "https://x.io/pricing"


def test_form_submissions_older_than_the_start_stop_the_read(sandbox, adapter):
    adapter.setup()  # the tasks key property exists before a sync pulls (its check stops it otherwise)
    add_contact(sandbox, "ann@example.com")
    store = sandbox.app.portal.marketing
    store.add_form(Form("f-1", "Contact Us", START - timedelta(days=90)))
    for day in range(60):
        at = epoch_ms(START - timedelta(days=day + 1))
        store.add_submission(FormSubmission(f"c-{day}", "f-1", at, (("email", "ann@example.com"),), "https://x.io"))
    found, _ = activities(adapter, Bookmark("activities", START - timedelta(days=3)))
    assert sorted(r.source_id for r in found) == ["form:c-0", "form:c-1", "form:c-2"]  # c-2: in the lookback
    assert route_calls(sandbox, "hubspot.forms.submissions") == 1  # newest first: the first page says enough


def test_email_addresses_are_resolved_once_per_adapter(sandbox, adapter):
    add_contact(sandbox, "ann@example.com")
    sandbox.app.portal.marketing.add_email_event(EmailEvent("e1", "OPEN", "ann@example.com", epoch_ms(START), 7))
    activities(adapter)
    activities(adapter)
    assert route_calls(sandbox, "hubspot.objects.batch_read") == 1


def test_addresses_seen_while_pulling_contacts_need_no_lookup(sandbox, adapter):
    add_contact(sandbox, "ann@example.com")
    sandbox.app.portal.marketing.add_email_event(EmailEvent("e1", "OPEN", "ann@example.com", epoch_ms(START), 7))
    list(adapter.pull_contacts(None))
    found, _ = activities(adapter)
    assert [r.type for r in found] == ["email_open"]
    assert route_calls(sandbox, "hubspot.objects.batch_read") == 0


def test_a_quiet_increment_costs_one_search_when_activity_is_gated_on_contact_changes(sandbox, make_adapter, mapping):
    raw = mapping.model_dump()
    raw["activities"]["skip_unless_contacts_changed"] = True
    adapter = make_adapter(sandbox, mapping=HubSpotMapping.model_validate(raw))
    ann = sandbox.app.portal.insert("contacts", {"email": "a@example.com"}, modified_at=START - timedelta(days=9))
    sandbox.app.portal.insert("notes", {"hs_timestamp": "2026-10-01T00:00:00Z"}, {"contacts": [ann]})
    found, pages = activities(adapter, Bookmark("activities", START - timedelta(days=1)))
    assert found == [] and pages[-1].bookmark == Bookmark("activities", START)
    assert sandbox.server.stats.snapshot()["total"] == 1


def test_a_gated_increment_reads_every_source_once_a_contact_changed(sandbox, make_adapter, mapping):
    raw = mapping.model_dump()
    raw["activities"]["skip_unless_contacts_changed"] = True
    adapter = make_adapter(sandbox, mapping=HubSpotMapping.model_validate(raw))
    adapter.setup()  # the tasks key property exists before a sync pulls (its check stops it otherwise)
    ann = add_contact(sandbox, "ann@example.com")
    note = sandbox.app.insert("notes", {"hs_timestamp": "2026-11-01T11:59:00Z"}, {"contacts": [ann]})
    found, _ = activities(adapter, Bookmark("activities", START - timedelta(days=1)))
    assert [r.source_id for r in found] == [f"notes:{note}"]


def test_a_sync_with_nothing_changed_costs_three_calls(sandbox, adapter, fake_time):
    ann = add_contact(sandbox, "ann@example.com")
    sandbox.app.insert("notes", {"hs_timestamp": "2026-11-01T11:00:00Z"}, {"contacts": [ann]})
    contacts_bookmark = list(adapter.pull_contacts(None))[-1].bookmark
    activities_bookmark = activities(adapter)[1][-1].bookmark
    fake_time.advance(3600)
    before = adapter.usage().calls
    pulled = [r for page in adapter.pull_contacts(contacts_bookmark) for r in page.records]
    found, _ = activities(adapter, activities_bookmark)
    assert found == [] and [r.crm_id for r in pulled] == [ann]  # ann again: she is inside the lookback
    # the contacts search (which re-reads the lookback and finds nothing newer), the company associations of the
    # contacts it re-read (the shipped mapping has `accounts`) and the archived contacts list
    assert adapter.usage().calls - before == 3


def test_a_contact_changed_after_the_bookmark_opens_the_activity_sources(sandbox, adapter, fake_time):
    adapter.setup()  # the tasks key property exists before a sync pulls (its check stops it otherwise)
    ann = add_contact(sandbox, "ann@example.com")
    contacts_bookmark = list(adapter.pull_contacts(None))[-1].bookmark
    activities_bookmark = activities(adapter)[1][-1].bookmark
    fake_time.advance(3600)
    note = sandbox.app.insert("notes", {"hs_timestamp": "2026-11-01T12:59:00Z"}, {"contacts": [ann]})
    sandbox.app.portal.objects.update(
        sandbox.app.portal.objects.get("contacts", ann), {"hs_lead_status": "OPEN"}, fake_time.now()
    )
    list(adapter.pull_contacts(contacts_bookmark))
    found, _ = activities(adapter, activities_bookmark)
    assert [r.source_id for r in found] == [f"notes:{note}"]


def test_a_change_in_the_bookmark_second_is_not_news_since_the_store_keeps_whole_seconds(sandbox, adapter, mapping):
    ann = sandbox.app.portal.insert("contacts", {"email": "a@example.com"}, modified_at=START + timedelta(seconds=0.5))
    sandbox.app.insert("notes", {"hs_timestamp": "2026-11-01T11:00:00Z"}, {"contacts": [ann]})
    list(adapter.pull_contacts(Bookmark("contacts", START)))
    before = adapter.usage().calls
    found, _ = activities(adapter, Bookmark("activities", START))
    assert found == [] and adapter.usage().calls == before


def test_our_own_write_back_is_not_news_but_a_later_change_by_someone_else_is(sandbox, adapter, fake_time):
    adapter.setup()
    ann, bob = add_contact(sandbox, "ann@example.com"), add_contact(sandbox, "bob@example.com")
    contacts_bookmark = list(adapter.pull_contacts(None))[-1].bookmark
    activities_bookmark = activities(adapter)[1][-1].bookmark
    fake_time.advance(60)
    adapter.write_scores([ScoreWrite("contact", ann, {"fit": 50}), ScoreWrite("contact", bob, {"fit": 20})])
    fake_time.advance(60)
    before = adapter.usage().calls
    echoed = [r.crm_id for page in adapter.pull_contacts(contacts_bookmark) for r in page.records]
    found, _ = activities(adapter, activities_bookmark)
    assert sorted(echoed) == sorted([ann, bob]) and found == []
    # the contacts search, the echoed contacts' company associations and the archived list: no activity source
    assert adapter.usage().calls - before == 3

    objects = sandbox.app.portal.objects
    objects.update(objects.get("contacts", bob), {"jobtitle": "CEO"}, fake_time.now())
    note = sandbox.app.insert("notes", {"hs_timestamp": "2026-11-01T12:01:00Z"}, {"contacts": [bob]})
    list(adapter.pull_contacts(contacts_bookmark))
    found, _ = activities(adapter, activities_bookmark)
    assert [r.source_id for r in found] == [f"notes:{note}"]
