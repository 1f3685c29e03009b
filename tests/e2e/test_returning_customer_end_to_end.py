"""The seeds' "customer re-engaged" case in both CRMs: a customer quiet for months books a meeting, and sales get one
task that says so in words, with the touchpoint and a link that opens the record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from adapters.sandbox.hubspot.marketing import PORTAL_ID
from adapters.sandbox.population import Touch
from connector.store import session_scope
from connector.store.tables import Contact, ContactScore
from tests.e2e import crm_state
from tests.e2e.conftest import SandboxWorld

QUIET_DAYS = 90  # mappings/scoring.yaml lifecycle.reengaged.quiet_days


def quiet_customer(store, now: datetime) -> Contact:
    """A customer with no engaging activity for longer than the model's quiet period."""
    with session_scope(store) as session:
        contact = session.execute(
            select(Contact)
            .join(ContactScore, ContactScore.contact_id == Contact.id)
            .where(ContactScore.stage == "customer", ContactScore.reengaged.is_(False))
            .where(ContactScore.last_engaged_at < now - timedelta(days=QUIET_DAYS + 1))
            .order_by(Contact.id)
            .limit(1)
        ).scalar_one()
        session.expunge(contact)
        return contact


def book_meeting(world: SandboxWorld, crm_id: str, at: datetime) -> None:
    """A completed sales meeting with the customer, logged in the CRM as its users log one."""
    if world.crm == "salesforce":
        person = {record: key for key, record in world.app.population.index.people.items()}[crm_id]
        touch = Touch(f"again.{crm_id}", person, "meeting", at, {"channel": "Video", "outcome": "held"})
        assert world.app.add_touches([touch]) == 1
        return
    properties = {
        "hs_meeting_title": "Renewal check-in",
        "hs_meeting_outcome": "COMPLETED",
        "hs_timestamp": at.isoformat().replace("+00:00", "Z"),
    }
    world.app.insert("meetings", properties, {"contacts": [int(crm_id)]})
    portal = world.app.portal
    with portal.lock:  # HubSpot rolls a logged meeting up onto the contact (tests/e2e/activity.py says why)
        person = portal.objects.get("contacts", int(crm_id))
        portal.objects.update(person, {"notes_last_updated": str(int(at.timestamp() * 1000))}, portal.clock())


def record_link(world: SandboxWorld, customer: Contact) -> str:
    if world.crm == "salesforce":
        host = world.sandbox.info["instance_url"].removeprefix("https://")
        return f"https://{host}/lightning/r/Contact/{customer.crm_id}/view"
    return f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-1/{customer.crm_id}"


def test_a_customer_who_comes_back_gets_one_task_that_says_what_to_do(world, store):
    first = world.sync(store)
    assert first.status == "succeeded", first.message
    now = datetime.now(UTC).replace(microsecond=0)
    customer = quiet_customer(store, now)

    book_meeting(world, customer.crm_id, now - timedelta(seconds=2))
    second = world.sync(store)

    assert second.status == "succeeded", second.message
    assert second.counts["tasks_reengaged"] == 1, second.counts
    mine = f"{customer.object_type}:{customer.crm_id}:reengaged:"
    returning = {key: text for key, text in crm_state.task_texts(world.crm, world.app).items() if key.startswith(mine)}
    [(subject, body)] = returning.values()
    name = f"{customer.first_name} {customer.last_name}"
    assert subject.startswith(f"Customer {name}") and "is engaging again: engagement score 30" in subject
    assert f"came back on {(now - timedelta(seconds=2)):%a}" in body
    assert "Had a meeting" in body and f"(the first engagement after {QUIET_DAYS}+ quiet days)" in body
    assert record_link(world, customer) in body

    third = world.sync(store)
    assert third.status == "succeeded", third.message
    assert third.counts.get("tasks_reengaged", 0) == 0  # the same return never makes a second task
