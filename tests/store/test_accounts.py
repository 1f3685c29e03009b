"""Accounts in the store: upserts, deletions, merges, contacts' CRM links and lead matching, on SQLite and
PostgreSQL (the `engine` fixture runs both)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from connector.crm import AccountLink, AccountRecord, ContactRecord
from connector.store.account_matching import match_leads
from connector.store.records import UpsertCounts, upsert_accounts, upsert_contacts
from connector.store.tables import Account, AccountContact, Contact
from tests.store.store_reads import empty_rescore_queue, queued

ORG = "acme-org"


def account(crm_id: str, **fields) -> AccountRecord:
    return AccountRecord(object_type="Account", crm_id=crm_id, **fields)


def contact(crm_id: str, *links: AccountLink, object_type: str = "Contact", **fields) -> ContactRecord:
    return ContactRecord(object_type=object_type, crm_id=crm_id, accounts=links, **fields)


def lead(crm_id: str, **fields) -> ContactRecord:
    return ContactRecord(object_type="Lead", crm_id=crm_id, **fields)


def at(account_crm_id: str, primary: bool = True, matched_by: str = "account") -> AccountLink:
    return AccountLink(account_crm_id, primary, matched_by)


def store_accounts(engine: Engine, *records: AccountRecord) -> UpsertCounts:
    return upsert_accounts(engine, "salesforce", ORG, records)


def store_contacts(engine: Engine, *records: ContactRecord) -> UpsertCounts:
    return upsert_contacts(engine, "salesforce", ORG, records)


def match(engine: Engine, *methods: str) -> int:
    with engine.begin() as connection:
        return match_leads(connection, "salesforce", ORG, methods)


def stored_account(engine: Engine, crm_id: str) -> Account:
    with engine.connect() as connection:
        return connection.execute(select(Account).where(Account.crm_id == crm_id)).one()


def links(engine: Engine) -> set[tuple[str, str, bool, str]]:
    """(contact CRM id, account CRM id, primary, matched_by) of every stored link."""
    query = (
        select(Contact.crm_id, Account.crm_id, AccountContact.is_primary, AccountContact.matched_by)
        .join(Contact, Contact.id == AccountContact.contact_id)
        .join(Account, Account.id == AccountContact.account_id)
    )
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(query)}


def test_new_accounts_are_stored_with_a_bare_domain(engine):
    counts = store_accounts(engine, account("001A", name="Acme", domain="https://www.Acme.com/about", employees=300))

    assert counts == UpsertCounts(read=1, inserted=1)
    stored = stored_account(engine, "001A")
    assert (stored.source, stored.instance, stored.name, stored.domain, stored.employees) == (
        "salesforce",
        ORG,
        "Acme",
        "acme.com",
        300,
    )


def test_pulling_the_same_account_again_changes_nothing_and_a_change_updates(engine):
    store_accounts(engine, account("001A", name="Acme"))

    assert store_accounts(engine, account("001A", name="Acme")) == UpsertCounts(read=1, unchanged=1)
    assert store_accounts(engine, account("001A", name="Acme Corp")) == UpsertCounts(read=1, updated=1)
    assert stored_account(engine, "001A").name == "Acme Corp"


def test_a_deleted_account_is_flagged_and_keeps_its_values(engine):
    store_accounts(engine, account("001A", name="Acme"))

    assert store_accounts(engine, account("001A", deleted=True)) == UpsertCounts(read=1, deleted=1)
    stored = stored_account(engine, "001A")
    assert stored.deleted and stored.name == "Acme"
    assert store_accounts(engine, account("001GONE", deleted=True)) == UpsertCounts(read=1, skipped=1)


def test_contacts_take_the_links_the_crm_gives_and_unknown_accounts_are_counted(engine):
    store_accounts(engine, account("001A"), account("001B"))

    counts = store_contacts(
        engine,
        contact("003A", at("001A"), at("001B", primary=False, matched_by="association")),
        contact("003B", at("001X")),
    )

    assert counts.inserted == 2 and counts.unlinked == 1
    assert links(engine) == {("003A", "001A", True, "account"), ("003A", "001B", False, "association")}


def test_a_changed_link_replaces_the_old_one_and_flags_only_that_contact(engine):
    store_accounts(engine, account("001A"), account("001B"))
    store_contacts(engine, contact("003A", at("001A")), contact("003B", at("001A")))
    empty_rescore_queue(engine)

    store_contacts(engine, contact("003A", at("001B")), contact("003B", at("001A")))

    assert links(engine) == {("003A", "001B", True, "account"), ("003B", "001A", True, "account")}
    assert queued(engine) == {"003A"}


def test_a_merged_account_hands_its_contacts_to_the_survivor(engine):
    store_accounts(engine, account("001A"), account("001B"))
    store_contacts(engine, contact("003A", at("001A")), contact("003B", at("001B")), contact("003C", at("001A")))
    store_contacts(engine, contact("003C", at("001A"), at("001B", primary=False)))
    empty_rescore_queue(engine)

    store_accounts(engine, account("001B", deleted=True, merged_into="001A"))

    survivor = stored_account(engine, "001A")
    assert stored_account(engine, "001B").merged_into_id == survivor.id
    assert links(engine) == {
        ("003A", "001A", True, "account"),
        ("003B", "001A", True, "account"),
        ("003C", "001A", True, "account"),
    }
    assert queued(engine) == {"003B", "003C"}


def test_a_changed_account_flags_its_contacts(engine):
    store_accounts(engine, account("001A", industry="Retail"))
    store_contacts(engine, contact("003A", at("001A")), contact("003B"))
    empty_rescore_queue(engine)

    store_accounts(engine, account("001A", industry="Software"))

    assert queued(engine) == {"003A"}


def test_leads_are_matched_by_domain_then_company_and_free_mail_never_matches(engine):
    store_accounts(engine, account("001A", name="Acme", domain="acme.com"), account("001B", name=" Globex "))
    store_contacts(
        engine,
        lead("00QA", email="ann@ACME.com"),
        lead("00QB", email="bo@gmail.com", company="globex"),
        lead("00QC", email="cy@gmail.com", company="Nobody"),
        lead("00QD", email="no-at-sign", company="ACME"),
    )

    assert match(engine, "domain", "company") == 3
    assert links(engine) == {
        ("00QA", "001A", True, "domain"),
        ("00QB", "001B", True, "company"),
        ("00QD", "001A", True, "company"),
    }
    assert match(engine, "domain", "company") == 0  # nothing changed: nothing rewritten


def test_only_a_unique_match_counts(engine):
    store_accounts(engine, account("001A", name="Acme", domain="acme.com"), account("001B", name="Acme"))
    store_contacts(engine, lead("00QA", email="ann@other.com", company="Acme"))

    assert match(engine, "company") == 0 and links(engine) == set()


def test_a_crm_link_replaces_a_match_and_a_match_goes_when_the_methods_change(engine):
    store_accounts(engine, account("001A", domain="acme.com"), account("001B"))
    store_contacts(engine, lead("00QA", email="ann@acme.com"), lead("00QB", email="bo@acme.com"))
    match(engine, "domain")
    empty_rescore_queue(engine)

    store_contacts(
        engine, contact("00QA", at("001B", matched_by="converted"), object_type="Lead", email="ann@acme.com")
    )
    match(engine, "domain")
    assert links(engine) == {("00QA", "001B", True, "converted"), ("00QB", "001A", True, "domain")}

    empty_rescore_queue(engine)
    assert match(engine) == 1
    assert links(engine) == {("00QA", "001B", True, "converted")}
    assert queued(engine) == {"00QB"}


def test_a_deleted_account_matches_nobody_any_more(engine):
    store_accounts(engine, account("001A", domain="acme.com"))
    store_contacts(engine, lead("00QA", email="ann@acme.com"))
    match(engine, "domain")

    store_accounts(engine, account("001A", deleted=True))
    match(engine, "domain")

    assert links(engine) == set()
