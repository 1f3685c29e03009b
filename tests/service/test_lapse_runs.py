"""`scorebridge serve` runs a connection again when a stored stage lapses before its next slot."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from connector.service import bring_forward_to_lapses, build_scheduler, schedule_connections, stop_scheduler
from connector.store import session_scope
from connector.store.tables import Contact, ContactScore
from tests.conftest import NOW

FACTORY = "tests.service.test_scheduler:refuse_to_build_adapter"

NIGHTLY = datetime(2026, 11, 2, 2, 30, tzinfo=UTC)


@pytest.fixture
def scheduler(engine):
    scheduler = build_scheduler(engine, threading.Event(), workers=1)
    scheduler.start(paused=True)
    yield scheduler
    stop_scheduler(scheduler, wait=False)


def scored_contact(engine, crm: str, instance: str, fall_below_at: datetime | None) -> None:
    with session_scope(engine) as session:
        contact = Contact(source=crm, instance=instance, object_type="Lead", crm_id=f"{instance}-{fall_below_at}")
        session.add(contact)
        session.flush()
        session.add(
            ContactScore(contact_id=contact.id, stage="mql", model_version="m", scored_at=NOW,
                         fall_below_at=fall_below_at)
        )  # fmt: skip


def test_a_lapse_before_the_next_slot_brings_the_run_forward(scheduler, engine, two_connections):
    config, path = two_connections
    schedule_connections(scheduler, config, path, FACTORY, now=NOW)
    lapse = NOW + timedelta(hours=3)
    scored_contact(engine, "hubspot", "acme-hs", NOW - timedelta(hours=1))  # past: the last run dealt with it
    scored_contact(engine, "hubspot", "acme-hs", lapse)
    scored_contact(engine, "hubspot", "acme-hs", lapse + timedelta(hours=1))
    scored_contact(engine, "salesforce", "other-org", NOW + timedelta(hours=1))  # another connection's contact

    bring_forward_to_lapses(scheduler, engine, config, ["acme-sf", "acme-hs"], now=NOW)

    assert scheduler.get_job("sync:acme-hs").next_run_time == lapse
    assert scheduler.get_job("sync:acme-sf").next_run_time == NOW  # already due: never pushed later


def test_a_lapse_after_the_next_slot_leaves_the_schedule_alone(scheduler, engine, two_connections):
    config, path = two_connections
    schedule_connections(scheduler, config, path, FACTORY, now=NOW)
    scored_contact(engine, "hubspot", "acme-hs", NIGHTLY + timedelta(minutes=5))
    scored_contact(engine, "hubspot", "acme-hs", None)

    bring_forward_to_lapses(scheduler, engine, config, ["acme-hs"], now=NOW)

    assert scheduler.get_job("sync:acme-hs").next_run_time == NIGHTLY
