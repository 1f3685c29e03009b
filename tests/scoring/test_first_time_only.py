"""Worked examples of first-time-only rules (`once`, `once_per_days`), through the store and `explain`."""

from __future__ import annotations

from io import StringIO

import pytest
from rich.console import Console

from connector.errors import ConfigError
from connector.reports.explain_output import print_explanation
from connector.scoring import score_store
from connector.scoring.explain import explain
from connector.scoring.model import parse_model
from tests.conftest import NOW
from tests.scoring.builders import StoreBuilder, days_ago, stored_score


def model(*rules: dict):
    return parse_model(
        {
            "activity_types": ["webinar_registration", "page_view"],
            "behavior": {"rules": list(rules)},
            "stages": [{"name": "prospect"}],
        }
    )


FIRST_WEBINAR = {"type": "webinar_registration", "points": 15, "once": True, "label": "First webinar registration"}
WEEKLY_VISIT = {"type": "page_view", "points": 5, "once_per_days": 7, "label": "Site visit"}


def test_a_once_rule_counts_the_first_registration_only_and_explain_says_why_not_the_others(engine):
    store = StoreBuilder(engine)
    contact = store.contact(crm_id="00Q7")
    for days in (50, 20, 3):
        store.activity(contact, "webinar_registration", days_ago(days))
    scoring = model(FIRST_WEBINAR)

    score_store(engine, scoring, NOW, now=lambda: NOW)

    assert float(stored_score(engine, contact).lead) == 15
    explanation = explain(engine, scoring, "00Q7", NOW)
    first = days_ago(50).date().isoformat()
    assert [(line.counted, line.capped, line.not_counted) for line in explanation.activities] == [
        (15, False, None),
        (0, True, f"once per contact: counted on {first}"),
        (0, True, f"once per contact: counted on {first}"),
    ]
    printed = StringIO()
    print_explanation(Console(file=printed, width=200), explanation)
    assert f"not counted (once per contact: counted on {first})" in printed.getvalue()


def test_once_per_days_slides_from_the_last_counted_visit(engine):
    store = StoreBuilder(engine)
    contact = store.contact(crm_id="00Q8")
    for days in (30, 27, 22, 20, 14, 13):  # counted: 30, 22 (8 days later), 14 (8 days after that)
        store.activity(contact, "page_view", days_ago(days))
    scoring = model(WEEKLY_VISIT)

    score_store(engine, scoring, NOW, now=lambda: NOW)

    assert float(stored_score(engine, contact).lead) == 15
    lines = explain(engine, scoring, "00Q8", NOW).activities
    assert [line.counted for line in lines] == [5, 0, 5, 0, 5, 0]
    assert lines[3].not_counted == f"once per 7 days: counted on {days_ago(22).date().isoformat()}"


def test_a_first_time_only_rule_counts_per_contact(engine):
    store = StoreBuilder(engine)
    ana, ben = store.contact(), store.contact()
    for contact in (ana, ben, ana):
        store.activity(contact, "webinar_registration", days_ago(2))

    score_store(engine, model(FIRST_WEBINAR), NOW, now=lambda: NOW)

    assert [float(stored_score(engine, contact).lead) for contact in (ana, ben)] == [15, 15]


def test_once_and_once_per_days_together_are_one_error_naming_the_rule():
    with pytest.raises(ConfigError, match="give once or once_per_days, not both") as error:
        model({**WEEKLY_VISIT, "once": True})
    assert error.value.key == "behavior.rules[0]"


def test_the_reasons_count_the_visits_that_counted(engine):
    store = StoreBuilder(engine)
    contact = store.contact()
    for days in (30, 27, 22, 20, 14, 13):
        store.activity(contact, "page_view", days_ago(days))

    score_store(engine, model(WEEKLY_VISIT), NOW, now=lambda: NOW)

    assert stored_score(engine, contact).reasons == ["Site visit x3 +15"]
