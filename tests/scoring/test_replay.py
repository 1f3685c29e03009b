"""Looking at history never changes what sales see: live scores only move forward, replays store nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from connector.errors import InputError
from connector.reports.engagement_index import engagement_index, replayed_index
from connector.scoring import ContactScope, score_store
from connector.scoring.explain import explain
from connector.scoring.model import parse_model
from connector.scoring.replay import replay_on, replay_store
from connector.store.tables import Contact
from tests.conftest import NOW
from tests.scoring.builders import StoreBuilder, days_ago, example, stored_score, transitions_of

LIVE_TABLES = ("contact_score", "score_change", "stage_transition", "scoring_checkpoint", "contact")


def model():
    """No quiet period: a live run at an earlier moment would have demoted sql -> lead for real."""
    return parse_model(
        {
            "activity_types": ["visit", "demo_attended"],
            "behavior": {
                "rules": [
                    {"type": "visit", "points": 10, "label": "Visit"},
                    {"type": "demo_attended", "points": 30, "label": "Demo"},
                ]
            },
            "engagement": {"window_days": 30, "engaged_at_least": 10},
            "stages": [
                {"name": "lead"},
                {"name": "sql", "when": [{"score": "lead", "at_least": 40}], "notify": True},
            ],
        }
    )


def live_state(engine) -> dict[str, list]:
    """Every row of every table a replay must leave alone."""
    with engine.connect() as connection:
        return {table: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {table}")))) for table in LIVE_TABLES}


@pytest.fixture
def sql_contact(engine):
    """A contact that reached sql today (a demo yesterday) after a visit ten days ago, scored live at NOW."""
    store = StoreBuilder(engine)
    contact = store.contact(lead_source="Webinar")
    store.activity(contact, "visit", days_ago(10))
    store.activity(contact, "demo_attended", days_ago(1))
    score_store(engine, model(), NOW, now=lambda: NOW)
    assert stored_score(engine, contact).stage == "sql"
    return contact


def test_a_live_run_before_the_last_one_is_refused_and_stores_nothing(engine, sql_contact):
    before = live_state(engine)

    with pytest.raises(InputError, match=r"before the last live scoring .* nothing was stored"):
        score_store(engine, model(), days_ago(5), now=lambda: NOW)

    assert live_state(engine) == before
    assert [t.to_stage for t in transitions_of(engine, sql_contact)] == ["sql"]  # no sql -> lead, no second task


def test_a_whole_store_run_before_a_connections_last_sync_is_refused(engine):
    store = StoreBuilder(engine)
    store.activity(store.contact(), "visit", days_ago(2))
    score_store(engine, model(), NOW, contacts=ContactScope("import", "test"), now=lambda: NOW)  # the "sync"

    with pytest.raises(InputError, match="before the last live scoring"):
        score_store(engine, model(), days_ago(5), now=lambda: NOW)  # `scorebridge score --as-of` over every contact


def test_a_moment_in_the_future_is_refused(engine, sql_contact):
    with pytest.raises(InputError, match="in the future"):
        score_store(engine, model(), NOW, now=lambda: days_ago(1))


def test_a_replay_scores_the_past_from_scratch_and_stores_nothing(engine, sql_contact):
    before = live_state(engine)

    replay = replay_store(engine, model(), days_ago(5))

    assert live_state(engine) == before
    assert replay.contact_ids.tolist() == [sql_contact]
    assert replay.frame.scores["lead"].tolist() == [10.0]  # the demo came later
    assert replay.stages == ("lead",)  # not the sql the contact reached afterwards
    assert replay.stage_counts() == {"lead": 1}


def test_explain_at_an_earlier_moment_does_not_carry_back_the_later_stage(engine, sql_contact):
    then = explain(engine, model(), str(sql_contact), days_ago(5), now=NOW)
    today = explain(engine, model(), str(sql_contact), NOW, now=NOW)
    assert (then.stage, then.scores["lead"]) == ("lead", 10)
    assert (today.stage, today.scores["lead"]) == ("sql", 40)


def test_the_replayed_index_matches_a_store_scored_live_at_that_moment(engine, tmp_path):
    from sqlmodel import SQLModel

    from connector.store import make_engine

    def fill(target):
        store = StoreBuilder(target)
        for days, source in ((3, "Facebook"), (20, "Facebook"), (40, "Google Ads"), (60, None)):
            store.activity(store.contact(lead_source=source), "form_submit", days_ago(days))

    fill(engine)
    engagement = example("engagement_window")
    score_store(engine, engagement, NOW, now=lambda: NOW)
    before = live_state(engine)
    then = days_ago(25)

    replayed = replayed_index(engine, lambda connection: [replay_on(connection, engagement, then, None)], "lead_source")

    reference_engine = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    SQLModel.metadata.create_all(reference_engine)
    fill(reference_engine)
    score_store(reference_engine, engagement, then, now=lambda: then)
    assert replayed == engagement_index(reference_engine, "lead_source")
    assert replayed != engagement_index(engine, "lead_source")  # the moment matters
    assert live_state(engine) == before


def test_contacts_deleted_since_are_left_out_of_a_replay(engine, sql_contact):
    from connector.store import session_scope

    with session_scope(engine) as session:
        session.get(Contact, sql_contact).deleted = True
    assert replay_store(engine, model(), days_ago(5)).contact_ids.tolist() == []
