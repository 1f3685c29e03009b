"""Explanations of one contact, fit rules with caps and grades, and garbage contact values."""

from __future__ import annotations

import csv
import io

from connector.reports.export import export_scores
from connector.scoring import score_store
from connector.scoring.explain import explain
from connector.scoring.model import load_model
from connector.store import session_scope
from connector.store.tables import Contact, RescoreQueue
from tests.conftest import NOW
from tests.scoring.builders import DEFAULT_MODEL, StoreBuilder, days_ago, example, stored_score


def test_explain_lists_every_point_with_rule_activity_cap_and_window(engine):
    model = example("sarah_walkthrough")
    store = StoreBuilder(engine)
    sarah = store.contact(crm_id="00Q1", email="Sarah@Example.com")
    store.activity(sarah, "page_view", days_ago(40), url="https://example.com/careers")
    store.activity(sarah, "page_view", days_ago(3), url="https://example.com/pricing")
    store.activity(sarah, "demo_attended", days_ago(1))
    store.activity(sarah, "demo_attended", NOW + (NOW - days_ago(1)))  # after as-of: ignored

    for reference in ("00Q1", "sarah@example.com", str(sarah)):
        assert explain(engine, model, reference, NOW).contact_id == sarah
    explanation = explain(engine, model, "00Q1", NOW)

    assert [(line.type, line.rule, line.counted) for line in explanation.activities] == [
        ("page_view", None, 0),
        ("page_view", "Pricing page", 5),
        ("demo_attended", "Demo attended", 25),
    ]
    assert explanation.activities[1].attributes == {"url": "https://example.com/pricing"}
    assert explanation.scores["lead"] == 30
    assert explanation.stage == "prospect"
    assert explanation.reasons == ("Demo attended +25", "Pricing page +5")
    assert explanation.ignored_after_as_of == 1


def test_default_model_fit_caps_grades_and_disqualifiers(engine):
    model = load_model(DEFAULT_MODEL)
    store = StoreBuilder(engine)
    vp = store.contact(
        title="VP Sales", industry="Software", employees=800, annual_revenue=5e7, email="vp@acme.example"
    )
    ceo_student = store.contact(title="CEO and part-time student", industry="Software")
    rival = store.contact(title="Director of IT", email="spy@rivalcrm.example")
    garbage = store.contact(title=None, employees=-5, annual_revenue=None, email=None)

    summary = score_store(engine, model, NOW, now=lambda: NOW)

    assert stored_score(engine, vp).fit == 20 + 10 + 15 + 10
    assert stored_score(engine, vp).grade == "A"
    assert "VP title +20" in stored_score(engine, vp).reasons
    assert stored_score(engine, ceo_student).stage == "disqualified"
    assert stored_score(engine, rival).stage == "disqualified"
    assert stored_score(engine, garbage).fit == -5
    assert stored_score(engine, garbage).grade == "F"
    assert summary.warnings["employees negative (rules skipped)"] == 1
    assert summary.warnings["fit rules skipped: email_domain empty"] == 2  # ceo_student, garbage
    explanation = explain(engine, model, str(ceo_student), NOW)
    assert explanation.disqualified_by == "Student"
    assert explanation.stage_reason == "disqualified: Student"


def test_stage_triggers_field_rules_and_export(engine):
    model = load_model(DEFAULT_MODEL)
    store = StoreBuilder(engine)
    demo = store.contact(crm_id="D1", email="demo@acme.example")
    store.activity(demo, "demo_attended", days_ago(2))
    customer = store.contact(crm_id="C1", is_customer=True)

    summary = score_store(engine, model, NOW, now=lambda: NOW)

    stages = {change.contact_id: change for change in summary.transitions}
    assert stages[demo].to_stage == "sql"
    assert stages[demo].reason == f"attended demo on {days_ago(2).date().isoformat()} (sql trigger)"
    assert stages[customer].to_stage == "customer"
    output = io.StringIO()
    assert export_scores(engine, output) == 2
    rows = list(csv.DictReader(io.StringIO(output.getvalue())))
    assert [(row["crm_id"], row["stage"]) for row in rows] == [("D1", "sql"), ("C1", "customer")]
    assert rows[0]["reasons"] == "Demo attended +25; No title -5"


def test_a_quiet_contact_drops_to_the_stage_it_still_qualifies_for(engine):
    model = load_model(DEFAULT_MODEL)
    store = StoreBuilder(engine)
    contact = store.contact(extra={"lead_status": "working"})
    store.activity(contact, "email_open", days_ago(200))
    score_store(engine, model, NOW, now=lambda: NOW)
    assert stored_score(engine, contact).stage == "sal"

    with session_scope(engine) as session:  # sales put the lead back into nurturing
        row = session.get(Contact, contact)
        row.extra = {"lead_status": "nurture"}
        session.add(RescoreQueue(contact_id=contact))
    summary = score_store(engine, model, NOW, now=lambda: NOW)

    assert stored_score(engine, contact).stage == "prospect"  # quiet for 200 days > 90: demoted
    assert summary.transitions[0].from_stage == "sal"
