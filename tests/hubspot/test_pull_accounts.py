"""Companies as accounts: the first pull, increments, archived and merged companies, each contact's companies (the
primary first), and what it costs (nothing without an `accounts` section)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hubspot import HubSpot
from hubspot.crm.companies import PublicMergeInput

from adapters.hubspot.accounts import bare_domain
from adapters.hubspot.mapping import HubSpotMapping
from connector.crm import AccountLink, Bookmark
from tests.hubspot.conftest import START, add_contact, route_calls

PRIMARY, UNLABELED = 1, 279


def add_company(sandbox, name: str = "Acme", **properties) -> str:
    return sandbox.app.insert("companies", {"name": name, **properties})


def link(sandbox, contact: str, company: str, *, primary: bool = True) -> None:
    types = [PRIMARY, UNLABELED] if primary else [UNLABELED]
    sandbox.app.portal.associations.add("contacts", int(contact), "companies", int(company), types)


def pulled(adapter, since=None) -> tuple[list, list[Bookmark]]:
    records, bookmarks = [], []
    for page in adapter.pull_accounts(since):
        records += page.records
        bookmarks += [page.bookmark] if page.bookmark else []
    return records, bookmarks


def without_accounts(mapping: HubSpotMapping) -> HubSpotMapping:
    return mapping.model_copy(update={"accounts": None})


def contacts_of(adapter, since=None) -> dict[str, tuple[AccountLink, ...]]:
    return {r.crm_id: tuple(r.accounts) for page in adapter.pull_contacts(since) for r in page.records}


def test_the_first_pull_reads_every_company_in_scorebridge_fields_and_flags_archived_ones(sandbox, adapter, fake_time):
    owner = sandbox.app.portal.add_owner("rep@example.com", "Rita", "Rep").id
    acme = add_company(
        sandbox,
        domain="https://www.Acme.com/about",
        industry="Software",
        numberofemployees="250",
        annualrevenue="12000000.5",
        country="France",
        hubspot_owner_id=owner,
        lifecyclestage="customer",
    )
    gone = add_company(sandbox, "Gone Ltd", lifecyclestage="lead")
    sandbox.app.portal.objects.archive(sandbox.app.portal.objects.get("companies", gone), fake_time.now())
    records, bookmarks = pulled(adapter)
    by_id = {record.crm_id: record for record in records}
    company = by_id[acme]
    assert (company.object_type, company.name, company.domain, company.industry) == (
        "companies",
        "Acme",
        "acme.com",
        "Software",
    )
    assert (company.employees, company.annual_revenue, company.country) == (250, 12000000.5, "France")
    assert company.owner_id == owner and company.is_customer and not company.deleted and company.warnings == {}
    assert by_id[gone].deleted and not by_id[gone].is_customer
    assert bookmarks == [Bookmark("accounts", fake_time.now())]


def test_an_increment_reads_the_companies_changed_since_the_bookmark_less_the_lookback(sandbox, adapter, fake_time):
    old = sandbox.app.portal.insert("companies", {"name": "Old"}, modified_at=START - timedelta(days=1))
    changed = add_company(sandbox, "Changed")
    _, bookmarks = pulled(adapter)
    fake_time.advance(3600)
    objects = sandbox.app.portal.objects
    objects.update(objects.get("companies", changed), {"industry": "Retail"}, fake_time.now())
    before = route_calls(sandbox, "hubspot.search")
    records, later = pulled(adapter, bookmarks[-1])
    assert [(r.crm_id, r.industry) for r in records] == [(changed, "Retail")]
    assert old not in {r.crm_id for r in records}
    assert route_calls(sandbox, "hubspot.search") - before == 1
    assert later[-1] == Bookmark("accounts", fake_time.now(), changed)


def caught_up(adapter, fake_time) -> Bookmark:
    """The bookmark after a backfill and one increment an hour later (which re-reads the lookback once)."""
    _, bookmarks = pulled(adapter)
    fake_time.advance(3600)
    _, bookmarks = pulled(adapter, bookmarks[-1])
    fake_time.advance(3600)
    return bookmarks[-1]


def with_archived(mapping: HubSpotMapping, archived: str) -> HubSpotMapping:
    return mapping.model_copy(update={"accounts": mapping.accounts.model_copy(update={"archived": archived})})


def test_a_quiet_increment_costs_the_companies_search_and_the_archived_listing(sandbox, adapter, fake_time):
    add_company(sandbox)
    bookmark = caught_up(adapter, fake_time)
    before = adapter.usage().calls
    records, _ = pulled(adapter, bookmark)
    assert records == [] and adapter.usage().calls - before == 2


def test_a_company_deleted_since_the_bookmark_comes_flagged_at_the_next_increment(sandbox, adapter, fake_time):
    gone = add_company(sandbox, "Gone")
    _, bookmarks = pulled(adapter)
    fake_time.advance(3600)
    sandbox.app.portal.objects.archive(sandbox.app.portal.objects.get("companies", gone), fake_time.now())
    records, _ = pulled(adapter, bookmarks[-1])
    assert [(r.crm_id, r.deleted) for r in records] == [(gone, True)]


def test_with_archived_backfill_a_quiet_increment_costs_one_search_and_deletions_wait(
    sandbox, make_adapter, mapping, fake_time
):
    adapter = make_adapter(sandbox, mapping=with_archived(mapping, "backfill"))
    gone = add_company(sandbox, "Gone")
    bookmark = caught_up(adapter, fake_time)
    sandbox.app.portal.objects.archive(sandbox.app.portal.objects.get("companies", gone), fake_time.now())
    before = adapter.usage().calls
    records, _ = pulled(adapter, bookmark)
    assert records == [] and adapter.usage().calls - before == 1
    assert [(r.crm_id, r.deleted) for r in pulled(adapter)[0]] == [(gone, True)]  # a full re-read sees it


def test_a_merged_company_the_archived_list_also_names_stays_merged_into_the_survivor(sandbox, adapter, fake_time):
    survivor, other = add_company(sandbox, "Acme"), add_company(sandbox, "Acme Inc")
    _, bookmarks = pulled(adapter)
    fake_time.advance(3600)
    objects = sandbox.app.portal.objects  # a portal whose merge also lists the merged-away company as archived
    objects.update(objects.get("companies", survivor), {"hs_merged_object_ids": other}, fake_time.now())
    objects.archive(objects.get("companies", other), fake_time.now())
    records, _ = pulled(adapter, bookmarks[-1])
    assert [(r.crm_id, r.deleted, r.merged_into) for r in records] == [(survivor, False, None), (other, True, survivor)]


def test_a_merge_names_the_merged_company_as_merged_into_the_survivor(sandbox, adapter, fake_time):
    survivor, other = add_company(sandbox, "Acme"), add_company(sandbox, "Acme Inc")
    ann = add_contact(sandbox, "ann@acme.com")
    link(sandbox, ann, other)
    _, bookmarks = pulled(adapter)
    fake_time.advance(3600)
    portal = HubSpot(access_token=sandbox.token, host=sandbox.base_url)  # a user merging in the portal
    portal.crm.companies.basic_api.merge(PublicMergeInput(object_id_to_merge=other, primary_object_id=survivor))
    records, _ = pulled(adapter, bookmarks[-1])
    assert [(r.crm_id, r.deleted, r.merged_into) for r in records] == [(survivor, False, None), (other, True, survivor)]
    assert contacts_of(adapter)[ann] == (AccountLink(survivor, True, "association"),)


def test_without_an_accounts_section_nothing_is_read_and_contacts_carry_no_links(sandbox, make_adapter, mapping):
    company, ann = add_company(sandbox), add_contact(sandbox, "ann@acme.com")
    link(sandbox, ann, company)
    adapter = make_adapter(sandbox, mapping=without_accounts(mapping))
    assert pulled(adapter) == ([], []) and adapter.usage().calls == 0
    assert adapter.account_matching() == () and adapter.account_write_targets() == frozenset()
    assert contacts_of(adapter) == {ann: ()}


def test_contacts_carry_their_companies_primary_first_and_none_without_a_company(sandbox, adapter):
    primary, other = add_company(sandbox, "Acme"), add_company(sandbox, "Partner")
    ann, bob = add_contact(sandbox, "ann@acme.com"), add_contact(sandbox, "bob@gmail.com")
    link(sandbox, ann, other, primary=False)
    link(sandbox, ann, primary)
    links = contacts_of(adapter)
    assert links[ann] == (AccountLink(primary, True, "association"), AccountLink(other, False, "association"))
    assert links[bob] == ()


def test_a_backfill_reads_companies_with_the_contacts_list_and_an_increment_with_one_batch_read_per_page(
    sandbox, adapter, fake_time
):
    company = add_company(sandbox)
    people = [add_contact(sandbox, f"p{n}@acme.com") for n in range(150)]
    for person in people:
        link(sandbox, person, company)
    backfill = contacts_of(adapter)
    assert adapter.usage().calls == 3  # two list pages (with their associations) and the archived list
    assert route_calls(sandbox, "hubspot.associations.batch_read") == 0
    assert all(backfill[p] == (AccountLink(company, True, "association"),) for p in people)
    fake_time.advance(60)
    increment = contacts_of(adapter, Bookmark("contacts", fake_time.now()))  # all 150 inside the lookback
    assert route_calls(sandbox, "hubspot.associations.batch_read") == 1  # one page of 150 changed contacts
    assert increment == backfill


def test_account_matching_and_write_targets_follow_the_mapping(make_adapter, sandbox, mapping):
    matching = mapping.accounts.model_copy(update={"match_leads_by": ("domain", "company")})
    adapter = make_adapter(sandbox, mapping=mapping.model_copy(update={"accounts": matching}))
    assert adapter.account_matching() == ("domain", "company")
    assert adapter.account_write_targets() == frozenset(
        {"score", "fit", "engagement", "grade", "stage", "engaged_contacts", "reasons"}
    )


@pytest.mark.parametrize(
    ("raw", "bare"),
    [
        ("acme.com", "acme.com"),
        ("https://www.Acme.com/about", "acme.com"),
        ("WWW.acme.co.uk.", "acme.co.uk"),
        ("http://shop.acme.com:8080", "shop.acme.com"),
        ("  ", None),
    ],
)
def test_a_company_domain_is_kept_bare_and_lower_case(raw, bare):
    assert bare_domain(raw) == bare
