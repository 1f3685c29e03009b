"""A changed mapping reaches what is stored (a store synced under the old mapping ends where a fresh store synced
under the new one ends), and a changed mapping naming what the CRM lacks stops the run before anything is pulled
or written, on every run where the mapping changed, not only the first."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from connector.store import make_engine, session_scope, upgrade_store
from connector.store.tables import Activity, ActivityKind, Contact, ContactScore
from tests.e2e.activity import add_activity
from tests.e2e.conftest import MAPPINGS

#: A typo in the title field, as an admin editing the mapping after the first sync would make it.
TYPOS = {"salesforce": ("title: Title", "title: Titel"), "hubspot": ("title: jobtitle", "title: jobtitel")}
#: Changed classification: every meeting becomes a demo attended; calls (page views) are no longer read.
RECLASSIFIED = {
    "salesforce": [
        ("  - {object: Event, type: meeting, timestamp: ActivityDateTime}", "  - {object: Event, type: demo_attended}"),
        ("  - {object: Task, type: call, equals: {TaskSubtype: Call}, timestamp: CreatedDate,\n"
         "     attributes: {outcome: CallDisposition}}\n", ""),
    ],
    "hubspot": [
        ("    meetings:\n      type: meeting\n", "    meetings:\n      type: demo_attended\n"),
        ("    e_visited_page: page_view\n", ""),
    ],
}  # fmt: skip


def _changed_mapping(tmp_path: Path, crm: str, replacements: list[tuple[str, str]]) -> Path:
    text = MAPPINGS[crm].read_text()
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / f"changed-{crm}.yaml"
    path.write_text(text)
    return path


def _stored_kinds(engine) -> dict[tuple[str, str], str]:
    """(contact CRM id, activity source id) -> activity type, for every stored activity."""
    query = (
        select(Contact.crm_id, Activity.source_id, ActivityKind.type)
        .join(Activity, Activity.contact_id == Contact.id)
        .join(ActivityKind, ActivityKind.id == Activity.kind_id)
    )
    with session_scope(engine) as session:
        return {(crm_id, source_id): kind for crm_id, source_id, kind in session.execute(query)}


def _stored_scores(engine) -> dict[str, tuple]:
    """Lead and engagement scores (stages, once reached, are held by the lifecycle policy: they keep history)."""
    query = select(Contact.crm_id, ContactScore.lead, ContactScore.engagement).join(
        ContactScore, ContactScore.contact_id == Contact.id
    )
    with session_scope(engine) as session:
        return {crm_id: tuple(values) for crm_id, *values in session.execute(query)}


@pytest.mark.slow
def test_a_changed_mapping_reclassifies_what_is_stored(world, store, tmp_path):
    at = datetime.now(UTC).replace(microsecond=0)
    assert world.sync(store, clock=lambda: at).status == "succeeded"
    before = _stored_kinds(store)
    changed = _changed_mapping(tmp_path, world.crm, RECLASSIFIED[world.crm])

    report = world.sync(store, mapping=changed, clock=lambda: at)

    assert report.status == "succeeded", report.message
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade_store(fresh)
    assert world.sync(fresh, mapping=changed, clock=lambda: at).status == "succeeded"
    after = _stored_kinds(store)
    assert after == _stored_kinds(fresh)
    assert "meeting" in before.values() and "meeting" not in after.values()
    assert report.counts["removed_by_mapping"] == len(before) - len(after) > 0
    assert _stored_scores(store) == _stored_scores(fresh)


@pytest.mark.slow
def test_a_typo_in_a_changed_mapping_stops_the_run_before_it_writes(world, store, tmp_path):
    assert world.sync(store).status == "succeeded"
    add_activity(world)  # so that a run going ahead would have scores to write
    held = world.scores()
    typo = _changed_mapping(tmp_path, world.crm, [TYPOS[world.crm]])

    report = world.sync(store, mapping=typo)

    assert report.status == "failed"
    assert TYPOS[world.crm][1].split(": ")[1] in report.message  # the property or field that does not exist
    assert str(typo) in report.message or "mapping contact" in report.message
    assert report.counts.get("written", 0) == 0 and report.counts.get("pulled_contacts", 0) == 0
    assert world.scores() == held
    assert world.sync(store).status == "succeeded"  # the mapping put right: the next run goes ahead
