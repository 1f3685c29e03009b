"""The fall-below date through the store: the worked example of docs/scoring.md, explain's line, and the incremental
run that rescores a contact once its stage has lapsed."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from connector.reports.explain_output import print_explanation
from connector.scoring import score_store
from connector.scoring.explain import explain
from connector.scoring.model import ScoringModel, parse_model
from connector.store import session_scope
from connector.store.tables import ContactScore
from tests.scoring.builders import StoreBuilder, example, stored_score, transitions_of

WEBINAR = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
DEMO_REQUEST = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
AS_OF = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def decaying(model: ScoringModel, half_life_days: float) -> ScoringModel:
    raw = model.model_dump(by_alias=True, exclude_none=True)
    raw["engagement"]["half_life_days"] = half_life_days
    return parse_model(raw)


def ann(engine) -> int:
    store = StoreBuilder(engine)
    contact = store.contact(email="ann@example.com")
    store.activity(contact, "webinar_attended", WEBINAR)
    store.activity(contact, "form_fill", DEMO_REQUEST)
    return contact


def test_worked_example_the_webinar_leaving_the_window_ends_the_mql(engine):
    contact = ann(engine)

    explanation = explain(engine, example("cooling_off"), str(contact), AS_OF, now=AS_OF)

    assert (explanation.stage, explanation.scores["engagement"]) == ("mql", 70)
    assert explanation.stage_until == datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
    assert explanation.stage_until_reason == "engagement 40 below 50 (window)"


def test_worked_example_with_a_half_life_decay_ends_it_sooner(engine):
    contact = ann(engine)
    model = decaying(example("cooling_off"), 14)

    explanation = explain(engine, model, str(contact), AS_OF, now=AS_OF)

    # 0.5 ** (d / 14) * (30 * 0.5 ** (11 / 14) + 40) = 50 at d = 2.788 days after the demo request
    assert (explanation.stage, explanation.scores["engagement"]) == ("mql", 54.4)
    assert explanation.stage_until == datetime(2026, 12, 4, 4, 55, 18, tzinfo=UTC)
    assert explanation.stage_until_reason == "engagement 49.99 below 50 (decay)"
    printed = io.StringIO()
    print_explanation(Console(file=printed, width=200), explanation)
    assert "mql until 2026-12-04 04:55 UTC, then engagement 49.99 below 50 (decay)" in printed.getvalue()


def test_a_stage_that_lapses_between_two_syncs_is_rescored_by_the_second(engine):
    contact = ann(engine)
    model = decaying(example("cooling_off"), 14)
    score_store(engine, model, AS_OF, now=lambda: AS_OF)
    lapses = explain(engine, model, str(contact), AS_OF, now=AS_OF).stage_until
    store_fall_below(engine, contact, lapses)  # what the results code stores with the score

    later = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    second = score_store(engine, model, later, now=lambda: later)

    assert not second.full and second.contacts_scored == 1
    assert stored_score(engine, contact).stage == "prospect"
    fall = transitions_of(engine, contact)[-1]
    assert (fall.from_stage, fall.to_stage) == ("mql", "prospect")
    assert "fell from mql: engagement 49.88 below 50 (decay)" in fall.reason


def test_an_incremental_run_rescores_the_contacts_whose_stored_date_has_come(engine):
    model = example("cooling_off")
    store = StoreBuilder(engine)
    due, not_yet = store.contact(), store.contact()
    for contact in (due, not_yet):
        store.activity(contact, "webinar_attended", datetime(2026, 6, 1, tzinfo=UTC))  # long out of every window
    score_store(engine, model, AS_OF, now=lambda: AS_OF)
    store_fall_below(engine, due, datetime(2026, 12, 2, 13, 0, tzinfo=UTC))
    store_fall_below(engine, not_yet, datetime(2026, 12, 2, 15, 0, tzinfo=UTC))

    later = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    summary = score_store(engine, model, later, now=lambda: later)

    assert (summary.full, summary.contacts_scored) == (False, 1)


def store_fall_below(engine, contact: int, moment: datetime) -> None:
    with session_scope(engine) as session:
        session.get(ContactScore, contact).fall_below_at = moment
