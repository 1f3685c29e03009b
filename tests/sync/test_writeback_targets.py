"""Write-back of every target the mapping names: the contact scores, the fall-below day and score groups."""

from __future__ import annotations

from datetime import UTC, datetime

from connector.crm import WriteResult
from connector.score_catalog import CONTACT_TARGETS
from connector.store import session_scope
from connector.store.tables import Contact, ContactScore
from connector.writeback import plan_writes, record_results, written_values

NOW = datetime(2026, 11, 1, tzinfo=UTC)
FALLS = datetime(2026, 12, 20, 17, 45, tzinfo=UTC)
ANALYTICS = {"analytics": {"lead": 40.4, "engagement": 12.5, "stage": "mql"}, "cloud": {"lead": 5.0, "engagement": 0.0}}
GROUP_TARGETS = {"groups.analytics.lead", "groups.analytics.stage", "groups.cloud.stage", "stage_until"}


def _score(**changes) -> ContactScore:
    values = dict(
        contact_id=1, fit=10, lead=40, engagement=5.4, recency=50, combined=20, grade="C", stage="mql",
        reasons=["Demo attended +25"], model_version="m1", scored_at=NOW, groups=ANALYTICS, fall_below_at=FALLS,
    )  # fmt: skip
    return ContactScore(**(values | changes))


def _stored(engine, **changes) -> int:
    with session_scope(engine) as session:
        contact = Contact(source="salesforce", instance="acme", object_type="Lead", crm_id="00Q1")
        session.add(contact)
        session.flush()
        session.add(_score(**(changes | {"contact_id": contact.id})))
        return contact.id


def _plan(engine, targets=GROUP_TARGETS):
    with session_scope(engine) as session:
        return plan_writes(session, connection="acme", source="salesforce", targets=targets)


def _confirm(engine, planned) -> None:
    with session_scope(engine) as session:
        results = [WriteResult(plan.write.crm_id, True) for plan in planned]
        record_results(session, connection="acme", planned=planned, results=results, now=NOW)


def test_every_contact_target_of_the_catalog_has_a_value():
    assert set(written_values(_score(groups={}))) == set(CONTACT_TARGETS)


def test_group_targets_are_whole_numbers_and_the_stage_and_the_fall_below_day_is_a_utc_date():
    values = written_values(_score())
    assert values["groups.analytics.lead"] == 40
    assert values["groups.analytics.engagement"] == 12  # rounded half to even, as the contact's own scores
    assert values["groups.analytics.stage"] == "mql"
    assert values["groups.cloud.stage"] is None  # the group has no stage that holds: cleared
    assert values["stage_until"] == "2026-12-20"


def test_a_stage_that_no_longer_lapses_writes_an_empty_day():
    assert written_values(_score(fall_below_at=None))["stage_until"] is None


def test_only_the_targets_the_mapping_names_are_planned(engine):
    _stored(engine)
    [planned] = _plan(engine)
    assert dict(planned.write.values) == {
        "groups.analytics.lead": 40, "groups.analytics.stage": "mql", "groups.cloud.stage": None,
        "stage_until": "2026-12-20",
    }  # fmt: skip


def test_a_group_the_contact_has_no_entry_for_writes_nothing(engine):
    _stored(engine)
    [planned] = _plan(engine, {"groups.retired.lead", "groups.retired.stage", "lead"})
    assert dict(planned.write.values) == {"lead": 40}


def test_a_target_the_mapping_starts_naming_is_written_at_the_next_run(engine):
    _stored(engine)
    _confirm(engine, _plan(engine, {"lead", "stage"}))
    assert _plan(engine, {"lead", "stage"}) == []
    [planned] = _plan(engine, {"lead", "stage", "groups.analytics.engagement"})
    assert dict(planned.write.values) == {"groups.analytics.engagement": 12}


def test_a_changed_group_score_or_day_is_sent_alone(engine):
    contact_id = _stored(engine)
    _confirm(engine, _plan(engine))
    with session_scope(engine) as session:
        score = session.get(ContactScore, contact_id)
        score.groups = {**ANALYTICS, "analytics": {"lead": 52.0, "engagement": 12.5, "stage": "sql"}}
        score.fall_below_at = None
    [planned] = _plan(engine)
    assert dict(planned.write.values) == {
        "groups.analytics.lead": 52, "groups.analytics.stage": "sql", "stage_until": None,
    }  # fmt: skip
