"""A sync through the real clients stores the sandbox's opportunities / deals as outcomes, each linked to the
contacts it belongs to, and a second sync finds them up to date."""

from __future__ import annotations

from sqlalchemy import func, select

from connector.store.tables import Outcome, OutcomeContact


def _stored(engine) -> tuple[int, int, int]:
    """(outcomes, won outcomes, outcomes without any linked contact)."""
    linked = select(OutcomeContact.outcome_id)
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(Outcome))
        won = connection.scalar(select(func.count()).select_from(Outcome).where(Outcome.won.is_(True)))
        unlinked = connection.scalar(select(func.count()).select_from(Outcome).where(Outcome.id.not_in(linked)))
    return total, won, unlinked


def test_a_sync_stores_the_crms_outcomes_linked_to_their_contacts(world, store):
    report = world.sync(store)

    assert report.status == "succeeded", report.message
    total, won, unlinked = _stored(store)
    assert total > 0 and 0 < won < total
    assert report.counts["pulled_outcomes"] >= total
    assert unlinked == 0  # every deal reaches a stored contact (a converted lead's through the contact it became)
    assert report.counts.get("outcome_links_unknown", 0) == 0  # and no link names a record the store never reads


def test_a_second_sync_finds_the_outcomes_up_to_date(world, store):
    world.sync(store)
    before = _stored(store)

    again = world.sync(store)

    assert again.status == "succeeded", again.message
    assert _stored(store) == before
    assert again.counts.get("pulled_outcomes", 0) < before[0]  # incremental: the lookback only
