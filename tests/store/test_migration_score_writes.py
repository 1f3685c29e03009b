"""Migration 0010 drops what a rescore wrote and nothing read: `contact_score.last_engaged_at`'s index, the score
history's index by contact and its foreign key. No row changes, and scoring goes on as before."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, inspect, select, text
from sqlmodel import SQLModel

from connector.scoring import load_model, score_store
from connector.store import upgrade_store
from connector.store.tables import ScoreChange
from tests.conftest import NOW
from tests.scoring.builders import DEFAULT_MODEL, StoreBuilder, days_ago, stored_score
from tests.store.store_reads import store_at_revision


def test_the_indexes_and_the_history_key_go_and_every_row_stays(empty_engine, tmp_path):
    store_at_revision(empty_engine, tmp_path, "0009")
    store = StoreBuilder(empty_engine)
    contact = store.contact()
    store.activity(contact, "email_click", days_ago(6))
    model = load_model(DEFAULT_MODEL)
    score_store(empty_engine, model, NOW, now=lambda: NOW)
    before = history_rows(empty_engine)

    upgrade_store(empty_engine)

    schema = inspect(empty_engine)
    assert "ix_contact_score_last_engaged_at" not in {index["name"] for index in schema.get_indexes("contact_score")}
    assert schema.get_indexes("score_change") == []
    assert schema.get_foreign_keys("score_change") == []
    assert [key["referred_table"] for key in schema.get_foreign_keys("contact_score")] == ["contact"]
    assert history_rows(empty_engine) == before and len(before) == 1
    later = NOW + timedelta(days=2)  # the click leaves the 7-day recency band: planned without the index
    summary = score_store(empty_engine, model, later, now=lambda: later)
    assert summary.contacts_scored == 1
    assert stored_score(empty_engine, contact).recency < 100
    assert len(history_rows(empty_engine)) == 2


def history_rows(engine) -> list[tuple]:
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(ScoreChange))
        rows = connection.execute(select(ScoreChange.id, ScoreChange.contact_id, ScoreChange.lead)).all()
    assert count == len(rows)
    return sorted(rows)


def test_postgresql_leaves_room_on_each_score_page_for_hot_updates(postgres_engine, tmp_path):
    store_at_revision(postgres_engine, tmp_path, "0009")

    upgrade_store(postgres_engine)

    with postgres_engine.connect() as connection:
        options = connection.scalar(text("SELECT reloptions FROM pg_class WHERE oid = 'contact_score'::regclass"))
    assert options == ["fillfactor=85"]


def test_a_new_postgresql_store_has_the_same_fillfactor(postgres_engine):
    SQLModel.metadata.create_all(postgres_engine)

    with postgres_engine.connect() as connection:
        options = connection.scalar(text("SELECT reloptions FROM pg_class WHERE oid = 'contact_score'::regclass"))
    assert options == ["fillfactor=85"]
