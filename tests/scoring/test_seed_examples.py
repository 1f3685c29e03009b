"""The seed articles' worked examples, scored through the store exactly as `scorebridge score` does."""

from __future__ import annotations

from connector.scoring import score_store
from tests.conftest import NOW
from tests.scoring.builders import StoreBuilder, days_ago, example, stored_score, transitions_of


def test_sarah_reaches_14_then_44_and_the_demo_crosses_the_sql_threshold(engine):
    model = example("sarah_walkthrough")
    store = StoreBuilder(engine)
    sarah = store.contact(email="sarah@example.com")
    store.activity(sarah, "page_view", days_ago(10), url="https://example.com/blog/post")
    store.activity(sarah, "email_open", days_ago(9), campaign="spring")
    store.activity(sarah, "email_click", days_ago(9), url="https://example.com/product")
    store.activity(sarah, "brochure_download", days_ago(8))

    first = score_store(engine, model, days_ago(7), now=lambda: NOW)
    assert stored_score(engine, sarah).lead == 14
    assert stored_score(engine, sarah).stage == "prospect"
    assert first.notifications == ()

    store.activity(sarah, "page_view", days_ago(1), url="https://example.com/pricing")
    store.activity(sarah, "demo_attended", days_ago(0.5))
    second = score_store(engine, model, NOW, now=lambda: NOW)

    assert stored_score(engine, sarah).lead == 44
    assert stored_score(engine, sarah).stage == "sql"
    [change] = second.transitions
    assert (change.from_stage, change.to_stage, change.notify) == ("prospect", "sql", True)
    assert "lead score 44 >= 40 (sql threshold)" in change.reason
    assert "Demo attended" in change.reason
    assert transitions_of(engine, sarah)[-1].reason == change.reason


def test_two_leads_with_the_same_250_points_differ_in_engagement_by_recent_activity(engine):
    model = example("engagement_window")
    store = StoreBuilder(engine)
    lead_a = store.contact(lead_source="Facebook")
    lead_b = store.contact(lead_source="Google Ads")
    for days in (200, 190, 180):
        store.activity(lead_a, "webinar_attended", days_ago(days))
    store.activity(lead_a, "form_submit", days_ago(7))
    store.activity(lead_a, "webinar_attended", days_ago(7))
    for days in (300, 250, 200, 150, 100):
        store.activity(lead_b, "form_submit", days_ago(days))

    score_store(engine, model, NOW, now=lambda: NOW)

    a, b = stored_score(engine, lead_a), stored_score(engine, lead_b)
    assert (a.lead, b.lead) == (250, 250)
    assert (a.engagement, b.engagement) == (100, 0)
    assert (a.engaged, b.engaged) == (True, False)
    assert (a.recency, b.recency) == (100, 0)


def test_hundred_point_system_moves_each_action_to_its_stage(engine):
    model = example("hundred_point")
    store = StoreBuilder(engine)
    expected = {}
    for action, stage in [
        ("whitepaper_download", "prospect"),
        ("contact_form", "lead"),
        ("meeting_scheduled", "mql"),
        ("demo_attended", "sql"),
    ]:
        contact = store.contact()
        store.activity(contact, action, days_ago(2))
        expected[contact] = stage
    five_whitepapers = store.contact()
    for day in range(5):
        store.activity(five_whitepapers, "whitepaper_download", days_ago(10 - day), title=f"paper {day}")
    expected[five_whitepapers] = "lead"
    silent = store.contact()
    expected[silent] = "subscriber"

    summary = score_store(engine, model, NOW, now=lambda: NOW)

    assert {contact: stored_score(engine, contact).stage for contact in expected} == expected
    assert stored_score(engine, five_whitepapers).lead == 50
    assert {change.to_stage for change in summary.notifications} == {"mql", "sql"}


def test_hundred_point_whitepapers_beyond_five_add_nothing(engine):
    store = StoreBuilder(engine)
    reader = store.contact()
    for day in range(8):
        store.activity(reader, "whitepaper_download", days_ago(20 - day), title=f"paper {day}")

    score_store(engine, example("hundred_point"), NOW, now=lambda: NOW)

    assert stored_score(engine, reader).lead == 50


def test_sales_ready_at_200_with_negative_activities_and_students_disqualified(engine):
    model = example("sales_ready")
    store = StoreBuilder(engine)
    keen = store.contact(title="Head of Operations")
    for day in range(5):
        store.activity(keen, "product_inquiry", days_ago(30 - day), product=f"p{day}")
    for day in range(4):
        store.activity(keen, "sales_call", days_ago(20 - day), outcome="good")
    store.activity(keen, "newsletter_signup", days_ago(40))
    student = store.contact(title="Graduate Student")
    for day in range(10):
        store.activity(student, "sales_call", days_ago(20 - day), outcome="good")
    gone = store.contact(title="Buyer")
    store.activity(gone, "newsletter_signup", days_ago(9))
    store.activity(gone, "product_inquiry", days_ago(8))
    store.activity(gone, "email_bounce", days_ago(7))
    store.activity(gone, "unsubscribe", days_ago(6))
    refused = store.contact(title="CFO")
    store.activity(refused, "product_inquiry", days_ago(5))
    store.activity(refused, "sales_call", days_ago(4), outcome="not_interested")

    score_store(engine, model, NOW, now=lambda: NOW)

    assert stored_score(engine, keen).lead == 5 * 20 + 4 * 30 + 2
    assert stored_score(engine, keen).stage == "sql"
    assert stored_score(engine, student).lead == 300
    assert stored_score(engine, student).stage == "disqualified"
    assert transitions_of(engine, student)[-1].reason == "disqualified: Student"
    assert stored_score(engine, gone).lead == 0  # 2 + 20 - 50 - 50, floored at 0
    assert stored_score(engine, refused).lead == 0
    assert stored_score(engine, refused).stage == "lead"
