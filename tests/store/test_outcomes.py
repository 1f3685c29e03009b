"""Outcomes in the store: opportunities / deals upserted per connection and linked to the live contacts they belong
to, on SQLite and PostgreSQL (the `engine` fixture runs both)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from connector.crm import ContactRecord, OutcomeContact, OutcomeRecord
from connector.store.records import UpsertCounts, upsert_contacts, upsert_outcomes
from connector.store.tables import Contact, Outcome
from connector.store.tables import OutcomeContact as OutcomeContactRow

CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CLOSED = datetime(2026, 5, 20, 16, 0, tzinfo=UTC)


def contact(crm_id: str, object_type: str = "Contact", **fields) -> ContactRecord:
    return ContactRecord(object_type=object_type, crm_id=crm_id, email=f"{crm_id.lower()}@example.com", **fields)


def opportunity(crm_id: str, *contacts: OutcomeContact, **fields) -> OutcomeRecord:
    values = {"stage": "Prospecting", "amount": 12_000.0, "currency": "USD", "created_at": CREATED, **fields}
    return OutcomeRecord("Opportunity", crm_id, contacts, **values)


def role(crm_id: str, object_type: str = "Contact", name: str | None = "Decision Maker", primary: bool = False):
    return OutcomeContact(object_type, crm_id, name, primary)


def store_contacts(engine: Engine, *records: ContactRecord, instance: str = "acme") -> None:
    upsert_contacts(engine, "salesforce", instance, records)


def store_outcomes(engine: Engine, *records: OutcomeRecord, instance: str = "acme") -> UpsertCounts:
    return upsert_outcomes(engine, "salesforce", instance, records)


def stored_outcome(engine: Engine, crm_id: str) -> Outcome:
    with engine.connect() as connection:
        return connection.execute(select(Outcome).where(Outcome.crm_id == crm_id)).one()


def links_of(engine: Engine, crm_id: str) -> set[tuple[str, str | None, bool]]:
    """(contact CRM id, role, primary) of each stored link of the outcome."""
    query = (
        select(Contact.crm_id, OutcomeContactRow.role, OutcomeContactRow.is_primary)
        .join(Contact, Contact.id == OutcomeContactRow.contact_id)
        .join(Outcome, Outcome.id == OutcomeContactRow.outcome_id)
        .where(Outcome.crm_id == crm_id)
    )
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(query)}


def test_a_new_opportunity_is_stored_with_its_contact_roles(engine):
    store_contacts(engine, contact("003A"), contact("003B"))

    counts = store_outcomes(engine, opportunity("006X", role("003A", primary=True), role("003B", name="Influencer")))

    assert counts == UpsertCounts(read=1, inserted=1)
    stored = stored_outcome(engine, "006X")
    assert (stored.source, stored.instance, stored.stage, stored.amount, stored.currency) == (
        "salesforce",
        "acme",
        "Prospecting",
        12_000.0,
        "USD",
    )
    assert stored.created_at == CREATED and not stored.closed and not stored.deleted
    assert links_of(engine, "006X") == {("003A", "Decision Maker", True), ("003B", "Influencer", False)}


def test_pulling_the_same_opportunity_again_changes_nothing(engine):
    store_contacts(engine, contact("003A"))
    store_outcomes(engine, opportunity("006X", role("003A")))

    assert store_outcomes(engine, opportunity("006X", role("003A"))) == UpsertCounts(read=1, unchanged=1)


def test_an_opportunity_won_later_takes_its_new_stage_and_close_date(engine):
    store_contacts(engine, contact("003A"))
    store_outcomes(engine, opportunity("006X", role("003A")))

    counts = store_outcomes(
        engine, opportunity("006X", role("003A"), stage="Closed Won", closed=True, won=True, closed_at=CLOSED)
    )

    assert counts == UpsertCounts(read=1, updated=1)
    stored = stored_outcome(engine, "006X")
    assert (stored.stage, stored.closed, stored.won, stored.closed_at) == ("Closed Won", True, True, CLOSED)


def test_a_changed_contact_list_replaces_the_old_links(engine):
    store_contacts(engine, contact("003A"), contact("003B"), contact("003C"))
    store_outcomes(engine, opportunity("006X", role("003A", primary=True), role("003B")))

    counts = store_outcomes(engine, opportunity("006X", role("003B", primary=True), role("003C")))

    assert counts == UpsertCounts(read=1, updated=1)
    assert links_of(engine, "006X") == {("003B", "Decision Maker", True), ("003C", "Decision Maker", False)}


def test_a_new_role_on_the_same_contact_counts_as_an_update(engine):
    store_contacts(engine, contact("003A"))
    store_outcomes(engine, opportunity("006X", role("003A", name="Influencer")))

    assert store_outcomes(engine, opportunity("006X", role("003A", name="Economic Buyer"))).updated == 1
    assert links_of(engine, "006X") == {("003A", "Economic Buyer", False)}


def test_a_deleted_opportunity_is_flagged_and_keeps_its_values_and_links(engine):
    store_contacts(engine, contact("003A"))
    store_outcomes(engine, opportunity("006X", role("003A"), stage="Negotiation"))

    counts = store_outcomes(engine, OutcomeRecord("Opportunity", "006X", (), deleted=True))

    assert counts == UpsertCounts(read=1, deleted=1)
    stored = stored_outcome(engine, "006X")
    assert stored.deleted and stored.stage == "Negotiation"
    assert links_of(engine, "006X") == {("003A", "Decision Maker", False)}


def test_deleting_an_opportunity_never_stored_is_skipped(engine):
    assert store_outcomes(engine, OutcomeRecord("Opportunity", "006GONE", (), deleted=True)) == UpsertCounts(
        read=1, skipped=1
    )


def test_a_converted_lead_links_the_opportunity_to_the_contact_it_became(engine):
    store_contacts(engine, contact("003A"), contact("00QA", "Lead", merged_into="Contact:003A"))

    store_outcomes(engine, opportunity("006X", role("00QA", "Lead", name=None, primary=True)))

    assert links_of(engine, "006X") == {("003A", None, True)}


def test_a_lead_and_the_contact_it_became_both_named_make_one_link(engine):
    store_contacts(engine, contact("003A"), contact("00QA", "Lead", merged_into="Contact:003A"))

    store_outcomes(engine, opportunity("006X", role("00QA", "Lead", name=None, primary=True), role("003A")))

    assert links_of(engine, "006X") == {("003A", "Decision Maker", True)}


def test_a_converted_lead_whose_contact_was_merged_links_to_the_surviving_contact(engine):
    store_contacts(
        engine,
        contact("003KEEP"),
        contact("003GONE", merged_into="Contact:003KEEP"),
        contact("00QA", "Lead", merged_into="Contact:003GONE"),
    )

    store_outcomes(engine, opportunity("006X", role("00QA", "Lead")))

    assert links_of(engine, "006X") == {("003KEEP", "Decision Maker", False)}


def test_links_to_contacts_the_store_does_not_know_are_counted_and_the_outcome_kept(engine):
    store_contacts(engine, contact("003A"))

    counts = store_outcomes(engine, opportunity("006X", role("003A"), role("003NEW"), role("003\x00BAD")))

    assert counts == UpsertCounts(read=1, inserted=1, unlinked=2)
    assert links_of(engine, "006X") == {("003A", "Decision Maker", False)}


def test_outcomes_link_only_to_contacts_of_their_own_connection(engine):
    store_contacts(engine, contact("003A"), instance="acme-eu")

    counts = store_outcomes(engine, opportunity("006X", role("003A")))

    assert counts.unlinked == 1 and links_of(engine, "006X") == set()


def test_text_the_store_cannot_hold_is_cleaned_and_an_id_holding_it_skipped(engine):
    store_contacts(engine, contact("003A"))

    counts = store_outcomes(
        engine,
        opportunity("006X", role("003A", name="Decision\x00 Maker"), stage="Closed\x00 Won"),
        opportunity("006\x00Y", role("003A")),
    )

    assert counts == UpsertCounts(read=2, inserted=1, skipped=1, cleaned=1)
    assert stored_outcome(engine, "006X").stage == "Closed Won"
    assert links_of(engine, "006X") == {("003A", "Decision Maker", False)}


def test_a_currency_that_is_no_iso_code_is_left_empty(engine):
    store_outcomes(engine, opportunity("006X", currency="euro"), opportunity("006Y", currency="eur"))

    assert (stored_outcome(engine, "006X").currency, stored_outcome(engine, "006Y").currency) == (None, "EUR")


def test_values_too_long_for_their_column_are_left_empty_and_an_id_too_long_skips_its_outcome(engine):
    store_contacts(engine, contact("003A"))

    counts = store_outcomes(
        engine,
        opportunity("006X", role("003A", name="Champion " * 20), stage="Stage " * 30),
        opportunity("006" + "9" * 70, role("003A")),
    )

    assert counts == UpsertCounts(read=2, inserted=1, skipped=1, cleaned=1)
    assert stored_outcome(engine, "006X").stage is None
    assert links_of(engine, "006X") == {("003A", None, False)}
