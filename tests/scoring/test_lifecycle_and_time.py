"""Stage policy (never backwards, quiet period, re-engaged customers) and time: decay, bands, future activities."""

from __future__ import annotations

from datetime import timedelta

from connector.scoring import score_store
from connector.scoring.model import parse_model
from tests.conftest import NOW
from tests.scoring.builders import StoreBuilder, days_ago, stored_score
from tests.store.store_reads import queued


def model(**overrides):
    raw = {
        "activity_types": ["visit", "demo_attended"],
        "behavior": {"rules": [{"type": "visit", "points": 10, "label": "Visit"}]},
        "engagement": {"window_days": 30, "engaged_at_least": 10},
        "recency": {"bands": [{"within_days": 7, "points": 100}, {"within_days": 30, "points": 50}]},
        "stages": [
            {"name": "prospect"},
            {"name": "mql", "when": [{"score": "engagement", "at_least": 20}], "notify": True},
            {"name": "customer", "when": [{"field": "is_customer", "equals": True}]},
        ],
    }
    raw.update(overrides)
    return parse_model(raw)


def twice_then_quiet(engine, scoring, quiet_days: int) -> int:
    store = StoreBuilder(engine)
    contact = store.contact()
    store.activity(contact, "visit", days_ago(2))
    store.activity(contact, "visit", days_ago(1))
    score_store(engine, scoring, NOW, now=lambda: NOW)
    later = NOW + timedelta(days=quiet_days)
    score_store(engine, scoring, later, now=lambda: later)
    return contact


def test_without_a_quiet_period_the_stage_follows_engagement_down(engine):
    contact = twice_then_quiet(engine, model(), quiet_days=40)
    assert stored_score(engine, contact).stage == "prospect"


def test_a_quiet_period_holds_the_stage_until_it_is_over(engine):
    scoring = model(lifecycle={"quiet_days": 60})
    contact = twice_then_quiet(engine, scoring, quiet_days=40)
    assert stored_score(engine, contact).stage == "mql"
    after = NOW + timedelta(days=62)
    summary = score_store(engine, scoring, after, now=lambda: after)
    assert stored_score(engine, contact).stage == "prospect"
    assert summary.transitions[0].reason.startswith("no entry condition of a later stage holds")


def test_never_backwards_keeps_the_highest_stage_reached(engine):
    contact = twice_then_quiet(engine, model(lifecycle={"never_backwards": True}), quiet_days=400)
    assert stored_score(engine, contact).stage == "mql"


def test_a_customer_engaging_after_a_quiet_period_is_reported_once(engine):
    scoring = model(lifecycle={"reengaged": {"engagement_at_least": 20, "quiet_days": 180}})
    store = StoreBuilder(engine)
    customer = store.contact(is_customer=True)
    store.activity(customer, "visit", days_ago(400))
    score_store(engine, scoring, NOW, now=lambda: NOW)
    store.activity(customer, "visit", days_ago(0.2))
    store.activity(customer, "visit", days_ago(0.1))

    returned = score_store(engine, scoring, NOW, now=lambda: NOW)
    again = score_store(engine, scoring, NOW, full=True, now=lambda: NOW)

    assert returned.reengaged == (customer,)
    assert stored_score(engine, customer).reengaged
    assert again.reengaged == ()


def test_recency_band_crossing_is_rescored_incrementally(engine):
    scoring = model()
    store = StoreBuilder(engine)
    contact = store.contact()
    store.activity(contact, "visit", days_ago(40))  # outside the window already: only recency moves
    store.activity(contact, "visit", days_ago(6))
    other = store.contact()
    store.activity(other, "visit", days_ago(200))
    score_store(engine, scoring, NOW, now=lambda: NOW)
    assert stored_score(engine, contact).recency == 100

    later = NOW + timedelta(days=2)
    summary = score_store(engine, scoring, later, now=lambda: later)

    assert stored_score(engine, contact).recency == 50
    assert summary.contacts_scored == 1


def test_only_contacts_whose_last_engagement_crossed_a_band_are_rescored(engine):
    scoring = model()
    store = StoreBuilder(engine)
    crossed, engaged_since, only_unscored_since = store.contact(), store.contact(), store.contact()
    for contact in (crossed, engaged_since, only_unscored_since):
        store.activity(contact, "visit", days_ago(6))
    store.activity(engaged_since, "visit", days_ago(1))
    store.activity(only_unscored_since, "demo_attended", days_ago(1))  # no rule gives it points: not engagement
    score_store(engine, scoring, NOW, now=lambda: NOW)

    later = NOW + timedelta(days=2)
    summary = score_store(engine, scoring, later, now=lambda: later)

    assert summary.contacts_scored == 2  # the one engaged a day ago had an activity 6 days ago too, but kept 100
    assert [stored_score(engine, contact).recency for contact in (crossed, only_unscored_since)] == [50, 50]
    assert stored_score(engine, engaged_since).recency == 100


def test_an_engagement_exactly_a_band_and_window_old_is_rescored_when_it_leaves_the_band(engine):
    scoring = model()  # a 30-day band and a 30-day window
    store = StoreBuilder(engine)
    contact = store.contact()
    store.activity(contact, "visit", days_ago(30))  # out of the window (it is open at its start), in the band
    score_store(engine, scoring, NOW, now=lambda: NOW)
    assert (stored_score(engine, contact).recency, stored_score(engine, contact).engagement) == (50, 0)

    later = NOW + timedelta(hours=1)
    summary = score_store(engine, scoring, later, now=lambda: later)

    assert summary.contacts_scored == 1
    assert stored_score(engine, contact).recency == 0


def test_decayed_engagement_is_rescored_for_contacts_active_in_the_window(engine):
    scoring = model(engagement={"window_days": 30, "half_life_days": 5, "engaged_at_least": 1})
    store = StoreBuilder(engine)
    contact = store.contact()
    store.activity(contact, "visit", NOW)
    idle = store.contact()
    store.activity(idle, "visit", days_ago(100))
    score_store(engine, scoring, NOW, now=lambda: NOW)
    assert stored_score(engine, contact).engagement == 10

    later = NOW + timedelta(days=5)
    summary = score_store(engine, scoring, later, now=lambda: later)

    assert stored_score(engine, contact).engagement == 5
    assert summary.contacts_scored == 1


def test_future_activities_are_ignored_and_counted_until_their_time_comes(engine):
    scoring = model()
    store = StoreBuilder(engine)
    contact = store.contact()
    store.activity(contact, "visit", NOW + timedelta(days=3))
    first = score_store(engine, scoring, NOW, now=lambda: NOW)
    assert stored_score(engine, contact).lead == 0
    assert first.warnings == {"activities dated in the future (ignored)": 1}
    assert queued(engine) == set()

    later = NOW + timedelta(days=4)
    summary = score_store(engine, scoring, later, now=lambda: later)

    assert stored_score(engine, contact).lead == 10
    assert (summary.full, summary.contacts_scored, summary.warnings) == (False, 1, {})
