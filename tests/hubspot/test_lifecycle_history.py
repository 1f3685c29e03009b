"""When a contact really became an MQL, SQL or customer: the lifecycle stage's history, read when the mapping asks."""

from __future__ import annotations

from adapters.hubspot.mapping import HubSpotMapping
from connector.crm import Bookmark
from tests.hubspot.conftest import START, add_contact, route_calls


def with_history(mapping: HubSpotMapping) -> HubSpotMapping:
    return mapping.model_copy(update={"contact": mapping.contact.model_copy(update={"lifecycle_history": True})})


def climb(sandbox, fake_time, contact: str, *stages: str) -> None:
    client = sandbox.app.portal
    for stage in stages:
        fake_time.advance(86_400)
        with client.lock:
            record = client.objects.get("contacts", contact)
            client.objects.update(record, {"lifecyclestage": stage}, fake_time.now())


def test_each_stage_comes_with_the_first_time_the_contact_entered_it(sandbox, make_adapter, mapping, fake_time):
    ann = add_contact(sandbox, "ann@example.com", lifecyclestage="lead")
    climb(sandbox, fake_time, ann, "marketingqualifiedlead", "lead", "marketingqualifiedlead", "customer")
    adapter = make_adapter(sandbox, mapping=with_history(mapping))
    (record,) = [r for page in adapter.pull_contacts(None) for r in page.records]
    assert record.lifecycle == "customer"
    assert record.extra["lifecycle_entered"] == {
        "lead": "2026-11-01T12:00:00Z",
        "mql": "2026-11-02T12:00:00Z",  # the first time, not the second
        "customer": "2026-11-05T12:00:00Z",
    }


def test_histories_are_read_50_contacts_a_call_for_each_page(sandbox, make_adapter, mapping, fake_time):
    for index in range(120):
        add_contact(sandbox, f"p{index}@example.com", lifecyclestage="lead")
    adapter = make_adapter(sandbox, mapping=with_history(mapping))
    records = [r for page in adapter.pull_contacts(None) for r in page.records]
    assert len(records) == 120 and all("lifecycle_entered" in r.extra for r in records)
    assert route_calls(sandbox, "hubspot.objects.batch_read") == 3  # a page of 100: two reads; of 20: one
    fake_time.advance(60)
    found = [r for page in adapter.pull_contacts(Bookmark("contacts", START)) for r in page.records]
    assert len(found) == 120 and route_calls(sandbox, "hubspot.objects.batch_read") == 3 + 3  # a search page of 200


def test_without_the_option_no_history_is_read(sandbox, adapter):
    add_contact(sandbox, "ann@example.com", lifecyclestage="lead")
    (record,) = [r for page in adapter.pull_contacts(None) for r in page.records]
    assert "lifecycle_entered" not in record.extra
    assert route_calls(sandbox, "hubspot.objects.batch_read") == 0
