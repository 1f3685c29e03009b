"""When a stage began to hold, stored with its transition: the activity that put the contact there, found from the
activities alone (never the run's as-of, never the order the store returns rows in), so any store agrees."""

from __future__ import annotations

from connector.scoring import score_store
from connector.scoring.model import ScoringModel
from tests.conftest import NOW
from tests.scoring.builders import StoreBuilder, days_ago, transitions_of

MODEL = {
    "activity_types": ["webinar_attended", "demo_attended", "unsubscribe"],
    "behavior": {
        "rules": [
            {"type": "webinar_attended", "points": 30, "label": "Webinar attended"},
            {"type": "unsubscribe", "points": -50, "label": "Unsubscribed"},
        ]
    },
    "stages": [
        {"name": "prospect"},
        {"name": "mql", "when": [{"score": "lead", "at_least": 50}]},
        {
            "name": "sql",
            "when": [{"activity": "demo_attended", "label": "attended demo"}, {"score": "lead", "at_least": 100}],
        },
    ],
}


def test_the_moment_is_the_last_crossing_of_the_threshold_whatever_order_the_rows_were_stored_in(engine):
    store = StoreBuilder(engine)
    sarah = store.contact()
    # stored newest first: crossed 50 on day 40, fell to 10 on day 30, crossed again on day 10
    for days, kind in ((10, "webinar_attended"), (20, "webinar_attended"), (30, "unsubscribe"),
                       (40, "webinar_attended"), (50, "webinar_attended")):  # fmt: skip
        store.activity(sarah, kind, days_ago(days))

    score_store(engine, ScoringModel(**MODEL), NOW)

    [transition] = transitions_of(engine, sarah)
    assert (transition.to_stage, transition.triggered_at) == ("mql", days_ago(10))
    assert transition.reason.endswith(f"reached with Webinar attended on {days_ago(10).date().isoformat()}")


def test_a_stage_two_conditions_reach_began_with_the_earlier_of_them(engine):
    store = StoreBuilder(engine)
    ann = store.contact()
    for days in (60, 50, 40, 30):
        store.activity(ann, "webinar_attended", days_ago(days))  # lead 100 from day 30
    store.activity(ann, "demo_attended", days_ago(5))

    score_store(engine, ScoringModel(**MODEL), NOW)

    [transition] = transitions_of(engine, ann)
    assert (transition.to_stage, transition.triggered_at) == ("sql", days_ago(30))


def test_a_stage_no_activity_put_the_contact_in_has_no_moment(engine):
    store = StoreBuilder(engine)
    bob = store.contact()

    score_store(engine, ScoringModel(**MODEL), NOW)

    [transition] = transitions_of(engine, bob)
    assert (transition.to_stage, transition.triggered_at) == ("prospect", None)
