"""Worked examples of the window and half-life per activity type and per rule, through the store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connector.errors import ConfigError
from connector.scoring import score_store
from connector.scoring.explain import explain
from connector.scoring.model import parse_model
from tests.conftest import NOW
from tests.scoring.builders import StoreBuilder, days_ago, stored_score


def model(engagement: dict, rules: list[dict] | None = None):
    return parse_model(
        {
            "activity_types": ["email_open", "demo_attended", "page_view"],
            "behavior": {
                "rules": rules
                or [
                    {"type": "demo_attended", "points": 20, "label": "Demo attended"},
                    {"type": "email_open", "points": 4, "label": "Email open"},
                ]
            },
            "engagement": engagement,
            "stages": [{"name": "prospect"}, {"name": "mql", "when": [{"score": "engagement", "at_least": 5}]}],
        }
    )


DEMO_LASTS = {
    "window_days": 30,
    "half_life_days": 14,
    "by_type": {"demo_attended": {"window_days": 90, "half_life_days": 60}},
}


def test_a_demo_still_counts_after_60_days_where_an_email_open_of_the_same_day_no_longer_does(engine):
    store = StoreBuilder(engine)
    contact = store.contact(crm_id="00Q1")
    store.activity(contact, "demo_attended", days_ago(60))
    store.activity(contact, "email_open", days_ago(60))
    store.activity(contact, "email_open", days_ago(7))
    scoring = model(DEMO_LASTS)

    score_store(engine, scoring, NOW, now=lambda: NOW)

    # the demo: 20 x 0.5 ** (60 / 60) = 10; the recent open: 4 x 0.5 ** (7 / 14) = 2.83; the old open: outside
    assert float(stored_score(engine, contact).engagement) == pytest.approx(10 + 4 * 0.5**0.5, abs=0.01)
    assert stored_score(engine, contact).stage == "mql"
    lines = explain(engine, scoring, "00Q1", NOW).activities
    assert [(line.type, line.in_window, round(line.engagement, 2)) for line in lines] == [
        ("demo_attended", True, 10.0),
        ("email_open", False, 0.0),
        ("email_open", True, 2.83),
    ]


def test_a_rule_beats_its_type_and_a_null_half_life_there_means_no_decay(engine):
    rules = [
        {"type": "page_view", "where": {"url": {"regex": "/pricing"}}, "points": 6, "half_life_days": None},
        {"type": "page_view", "points": 6, "window_days": 5},
    ]
    scoring = model({"window_days": 30, "by_type": {"page_view": {"half_life_days": 10}}}, rules)
    store = StoreBuilder(engine)
    contact = store.contact()
    store.activity(contact, "page_view", days_ago(20), url="https://example.com/pricing")  # no decay: 6
    store.activity(contact, "page_view", days_ago(10), url="https://example.com/blog")  # outside its 5 days: 0
    store.activity(contact, "page_view", days_ago(4), url="https://example.com/blog")  # 6 x 0.5 ** 0.4

    score_store(engine, scoring, NOW, now=lambda: NOW)

    assert float(stored_score(engine, contact).engagement) == pytest.approx(6 + 6 * 0.5**0.4, abs=0.01)


def test_an_incremental_run_picks_up_a_demo_leaving_its_own_window(engine):
    store = StoreBuilder(engine)
    contact = store.contact()
    store.activity(contact, "demo_attended", days_ago(89))
    scoring = model({"window_days": 30, "by_type": {"demo_attended": {"window_days": 90}}})
    score_store(engine, scoring, NOW, now=lambda: NOW)
    assert float(stored_score(engine, contact).engagement) == 20

    later = NOW + timedelta(days=2)
    summary = score_store(engine, scoring, later, now=lambda: later)

    assert not summary.full
    assert float(stored_score(engine, contact).engagement) == 0


def test_an_incremental_run_follows_a_type_that_decays_when_the_model_does_not(engine):
    store = StoreBuilder(engine)
    contact = store.contact()
    store.activity(contact, "demo_attended", days_ago(1))
    scoring = model({"window_days": 90, "by_type": {"demo_attended": {"half_life_days": 10}}})
    score_store(engine, scoring, days_ago(1), now=lambda: NOW)

    score_store(engine, scoring, NOW + timedelta(days=9), now=lambda: NOW + timedelta(days=9))

    assert float(stored_score(engine, contact).engagement) == pytest.approx(10, abs=0.01)


def test_an_unknown_activity_type_in_by_type_is_one_error_naming_the_key():
    with pytest.raises(ConfigError) as error:
        model({"by_type": {"webinar": {"window_days": 60}}})
    assert error.value.key == "engagement.by_type.webinar"
    assert "unknown activity type 'webinar'" in str(error.value)


def test_a_null_window_is_refused_and_a_null_half_life_is_a_different_model_than_none_given():
    with pytest.raises(ConfigError, match="a window cannot be null") as error:
        model({"by_type": {"demo_attended": {"window_days": None}}})
    assert error.value.key == "engagement.by_type.demo_attended.window_days"
    inherits = model({"half_life_days": 14, "by_type": {"demo_attended": {}}})
    never_decays = model({"half_life_days": 14, "by_type": {"demo_attended": {"half_life_days": None}}})
    assert inherits.version != never_decays.version
    dumped = never_decays.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert parse_model(dumped) == never_decays
    assert parse_model(inherits.model_dump(by_alias=True)) == inherits
