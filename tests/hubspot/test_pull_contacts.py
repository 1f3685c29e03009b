"""Pulling contacts: the first backfill through the list endpoint, increments through search, the 10,000 cap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.hubspot.pull import SEARCH_RESULT_CAP
from adapters.sandbox.hubspot import RateLimits
from connector.crm import Bookmark
from tests.hubspot.conftest import START, add_contact, route_calls


def records(pages):
    return [record for page in pages for record in page.records]


def test_first_backfill_reads_every_contact_in_scorebridge_fields_and_flags_archived_ones(sandbox, adapter):
    ann = add_contact(
        sandbox,
        "ann@example.com",
        firstname="Ann",
        jobtitle="VP Engineering",
        numemployees="100-500",
        annualrevenue="2500000",
        lifecyclestage="marketingqualifiedlead",
        hs_lead_status="IN_PROGRESS",
        hs_email_optout="true",
    )
    gone = add_contact(sandbox, "gone@example.com")
    archive(sandbox, gone)
    pages = list(adapter.pull_contacts(None))
    found = {record.crm_id: record for record in records(pages)}
    assert found[gone].deleted and not found[ann].deleted
    first = found[ann]
    assert (first.email, first.first_name, first.title) == ("ann@example.com", "Ann", "VP Engineering")
    assert (first.employees, first.annual_revenue, first.lifecycle) == (100, 2_500_000.0, "mql")
    assert first.email_opt_out is True and first.extra["lead_status"] == "working"
    assert all(page.bookmark is None for page in pages[:-1]) and pages[-1].bookmark.stream == "contacts"


def test_customer_lifecycle_stages_mark_the_contact_as_a_customer(sandbox, adapter):
    add_contact(sandbox, "c@example.com", lifecyclestage="evangelist")
    (record,) = records(adapter.pull_contacts(None))
    assert record.is_customer and record.lifecycle == "customer"


def test_a_value_that_does_not_parse_is_left_empty_and_named_in_warnings(sandbox, adapter):
    add_contact(sandbox, "c@example.com", annualrevenue="about a million")
    (record,) = records(adapter.pull_contacts(None))
    assert record.annual_revenue is None and "annualrevenue" in record.warnings["annual_revenue"]


def test_an_increment_reads_contacts_changed_since_the_bookmark_minus_the_lookback_oldest_first(
    sandbox, adapter, fake_time
):
    sandbox.app.portal.insert("contacts", {"email": "old@example.com"}, modified_at=START - timedelta(hours=2))
    at_bookmark = add_contact(sandbox, "recent@example.com")
    fake_time.advance(3600)
    fresh = add_contact(sandbox, "new@example.com")
    pages = list(adapter.pull_contacts(Bookmark("contacts", START)))
    assert [record.crm_id for record in records(pages)] == [at_bookmark, fresh]
    assert (pages[0].bookmark.modified_at, pages[0].bookmark.last_id) == (START + timedelta(hours=1), fresh)


def test_an_increment_never_moves_the_bookmark_past_the_run_start(sandbox, adapter, fake_time):
    add_contact(sandbox, "a@example.com")
    since = list(adapter.pull_contacts(None))[-1].bookmark
    fake_time.advance(60)
    add_contact(sandbox, "b@example.com")
    pages = list(adapter.pull_contacts(since))
    assert all(page.bookmark.modified_at <= fake_time.now() for page in pages if page.bookmark)


@pytest.mark.slow
def test_more_than_10000_contacts_with_one_timestamp_are_all_read_once_without_looping(
    start_sandbox, make_adapter, mapping
):
    sandbox = start_sandbox(RateLimits(enabled=False))
    stamp = START + timedelta(hours=1)
    for index in range(SEARCH_RESULT_CAP + 150):
        sandbox.app.portal.insert("contacts", {"email": f"p{index}@example.com"}, modified_at=stamp)
    later = sandbox.app.portal.insert("contacts", {"email": "later@example.com"}, modified_at=stamp + timedelta(1))
    # Only the email property: this test is about paging, and 20,000 records travel.
    only_email = mapping.model_copy(
        update={
            "contact": mapping.contact.model_copy(
                update={"properties": {"email": "email"}, "extra": (), "lead_statuses": {}}
            )
        }
    )
    adapter = make_adapter(sandbox, mapping=only_email)
    pulled = records(adapter.pull_contacts(Bookmark("contacts", stamp)))
    ids = [record.crm_id for record in pulled]
    assert len(set(ids)) == SEARCH_RESULT_CAP + 151 and later in ids
    # 50 pages up to the cap; the timestamp drained again by id from the start, since search order inside one
    # timestamp is not defined (51 pages); one page after the timestamp.
    assert route_calls(sandbox, "hubspot.search") == 50 + 51 + 1


def test_an_increment_reports_contacts_archived_since_the_bookmark(sandbox, adapter, fake_time):
    old = START - timedelta(hours=2)
    kept = sandbox.app.portal.insert("contacts", {"email": "kept@example.com"}, modified_at=old)
    gone = sandbox.app.portal.insert("contacts", {"email": "gone@example.com"}, modified_at=old)
    fake_time.advance(3600)
    archive(sandbox, gone)
    pulled = {record.crm_id: record for record in records(adapter.pull_contacts(Bookmark("contacts", START)))}
    assert pulled[gone].deleted and kept not in pulled


def archive(sandbox, crm_id: str) -> None:
    objects = sandbox.app.portal.objects
    objects.archive(objects.get("contacts", crm_id), sandbox.app.clock())
