"""Scoring in chunks and in shards stores exactly what one run over every contact at once stores."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from connector.errors import InputError
from connector.scoring import load_model, score_store
from connector.scoring.planning import read_checkpoint
from connector.scoring.shard import Shard
from tests.conftest import NOW
from tests.scoring.builders import DEFAULT_MODEL, StoreBuilder, days_ago

#: Activity types of the default model, with the attributes its rules look at.
ACTIVITIES = (
    ("page_view", {"url": "/pricing"}),
    ("page_view", {"url": "/careers"}),
    ("email_open", {}),
    ("email_click", {}),
    ("form_fill", {"form": "demo_request"}),
    ("webinar_attended", {}),
    ("demo_attended", {}),
    ("meeting", {}),
    ("unsubscribe", {}),
)
INDUSTRIES = ("Technology", "Retail", "Education", None)
#: The first run's moment; the second (incremental) run is at NOW, with activity dated in between.
EARLIER = NOW - timedelta(days=20)


def varied_store(engine, contacts: int = 40) -> None:
    """Contacts of every kind: quiet, busy, disqualified, with activity before and after EARLIER."""
    chance = random.Random(13)
    store = StoreBuilder(engine)
    for number in range(contacts):
        contact = store.contact(industry=INDUSTRIES[number % 4], employees=chance.choice([10, 300, 8000]))
        for _ in range(chance.randrange(0, 9)):
            kind, attributes = chance.choice(ACTIVITIES)
            store.activity(contact, kind, days_ago(chance.uniform(0, 200)), **attributes)


def scored_state(engine) -> dict[str, list[tuple]]:
    """Everything a run stores, but the ids the database gives rows."""
    queries = {
        "scores": "SELECT * FROM contact_score ORDER BY contact_id",
        "history": "SELECT contact_id, scored_at, lead, engagement, stage FROM score_change "
        "ORDER BY contact_id, scored_at",
        "transitions": "SELECT contact_id, from_stage, to_stage, at, reason, triggered_at FROM stage_transition "
        "ORDER BY contact_id, at",
        "queue": "SELECT contact_id FROM rescore_queue ORDER BY contact_id",
    }
    with engine.connect() as connection:
        return {name: [tuple(row) for row in connection.execute(text(sql))] for name, sql in queries.items()}


def forget_scores(engine) -> None:
    """Back to a store that was never scored, activities and contacts kept."""
    with engine.begin() as connection:
        for table in ("stage_transition", "score_change", "contact_score", "scoring_checkpoint"):
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(
            text(
                "INSERT INTO rescore_queue (contact_id) SELECT id FROM contact WHERE id NOT IN "
                "(SELECT contact_id FROM rescore_queue)"
            )
        )


def two_runs(engine, model, **options) -> None:
    """A first (full) run at EARLIER, then an incremental one at NOW."""
    for moment in (EARLIER, NOW):
        score_store(engine, model, moment, now=lambda: NOW, **options)


def scored_at_once(engine, model) -> dict[str, list[tuple]]:
    """What two runs over every contact at once store in a varied store; the store is then left unscored."""
    varied_store(engine)
    two_runs(engine, model)
    whole = scored_state(engine)
    forget_scores(engine)
    return whole


def test_a_chunked_run_stores_what_an_unchunked_run_stores(engine):
    model = load_model(DEFAULT_MODEL)
    whole = scored_at_once(engine, model)

    two_runs(engine, model, chunk_contacts=7)

    assert scored_state(engine) == whole
    assert whole["transitions"]


def test_two_shards_store_what_one_unsharded_run_stores(engine):
    model = load_model(DEFAULT_MODEL)
    whole = scored_at_once(engine, model)

    for moment in (EARLIER, NOW):
        for index in (0, 1):
            score_store(engine, model, moment, now=lambda: NOW, shard=Shard(index, 2), chunk_contacts=7)

    assert scored_state(engine) == whole
    with engine.connect() as connection:
        assert read_checkpoint(connection, "default").as_of == int(NOW.timestamp())


@pytest.mark.postgres
def test_shards_scoring_side_by_side_store_what_one_run_stores(postgres_engine):
    engine, model = postgres_engine, load_model(DEFAULT_MODEL)
    SQLModel.metadata.create_all(engine)
    whole = scored_at_once(engine, model)

    for moment in (EARLIER, NOW):
        with ThreadPoolExecutor(2) as workers:
            runs = [
                workers.submit(score_store, engine, model, moment, now=lambda: NOW, shard=Shard(index, 2))
                for index in (0, 1)
            ]
            [run.result() for run in runs]

    assert scored_state(engine) == whole


def test_a_shard_may_score_at_an_earlier_moment_than_its_sibling_but_the_whole_store_may_not(engine):
    model = load_model(DEFAULT_MODEL)
    varied_store(engine, contacts=6)
    score_store(engine, model, NOW, now=lambda: NOW, shard=Shard(0, 2))

    score_store(engine, model, EARLIER, now=lambda: NOW, shard=Shard(1, 2))  # its own contacts: never scored later

    with pytest.raises(InputError, match="before the last live scoring"):
        score_store(engine, model, EARLIER, now=lambda: NOW)
    with engine.connect() as connection:
        assert read_checkpoint(connection, "default").as_of == int(EARLIER.timestamp())  # the earlier of the two


def test_a_full_run_reads_its_chunks_ahead_on_a_connection_of_its_own(engine, monkeypatch):
    import connector.scoring.read_ahead as read_ahead

    readers: set[str] = set()
    read = read_ahead.read_activity_table

    def noted(connection, *arguments):  # reads on a thread of their own, not the run's
        if threading.current_thread() is not threading.main_thread():
            readers.add(threading.current_thread().name)
        return read(connection, *arguments)

    monkeypatch.setattr(read_ahead, "read_activity_table", noted)
    varied_store(engine)
    summary = score_store(engine, load_model(DEFAULT_MODEL), EARLIER, now=lambda: NOW, chunk_contacts=7)

    assert summary.contacts_scored == 40
    assert readers and all(name.startswith("scorebridge-read-ahead") for name in readers)


def test_a_run_failing_midway_while_reading_ahead_stores_nothing_and_returns_its_connections(engine, monkeypatch):
    import connector.scoring.run as run

    varied_store(engine)
    chunks = 0
    score_chunk = run._score_chunk

    def failing_third(*arguments):
        nonlocal chunks
        chunks += 1
        if chunks == 3:
            raise RuntimeError("disk full")
        return score_chunk(*arguments)

    monkeypatch.setattr(run, "_score_chunk", failing_third)
    with pytest.raises(RuntimeError, match="disk full"):
        score_store(engine, load_model(DEFAULT_MODEL), EARLIER, now=lambda: NOW, chunk_contacts=7)

    assert scored_state(engine)["scores"] == []
    assert engine.pool.checkedout() == 0


def test_a_server_refusing_a_second_connection_costs_the_read_ahead_not_the_run(postgres_engine, monkeypatch):
    from sqlalchemy.exc import OperationalError

    import connector.scoring.read_ahead as read_ahead

    SQLModel.metadata.create_all(postgres_engine)
    model = load_model(DEFAULT_MODEL)
    whole = scored_at_once(postgres_engine, model)

    def refused(*_arguments):
        raise OperationalError("connect", {}, Exception("too many clients already"))

    monkeypatch.setattr(read_ahead, "_open", refused)
    two_runs(postgres_engine, model, chunk_contacts=7)

    assert scored_state(postgres_engine) == whole


def test_an_in_memory_sqlite_store_reads_on_the_runs_own_connection(monkeypatch):
    # Another connection to "sqlite://" opens a database of its own, with no activity in it.
    import connector.scoring.read_ahead as read_ahead
    from connector.store import make_engine

    memory = make_engine("sqlite://")
    SQLModel.metadata.create_all(memory)
    model = load_model(DEFAULT_MODEL)
    monkeypatch.setattr(read_ahead, "_open", lambda *_: pytest.fail("opened a second connection"))
    varied_store(memory)

    summary = score_store(memory, model, EARLIER, now=lambda: NOW, chunk_contacts=7)

    assert summary.contacts_scored == 40 and summary.scores_changed > 0


@pytest.mark.parametrize("targeted", [False, True], ids=["full", "targets"])
def test_activities_read_in_small_blocks_are_the_rows_of_one_read(engine, monkeypatch, targeted):
    import numpy as np

    import connector.scoring.snapshot as snapshot
    from connector.scoring.chunks import ContactSlice

    varied_store(engine)

    def read(block_contacts: int, part: ContactSlice) -> list[tuple[int, ...]]:
        monkeypatch.setattr(snapshot, "READ_BLOCK_CONTACTS", block_contacts)
        with engine.begin() as connection:
            if targeted:
                snapshot.load_targets(connection, np.arange(1, 41, 3))
            table = snapshot.read_activity_table(connection, int(NOW.timestamp()), targeted, None, part)
        return sorted(map(tuple, table.tolist()))

    for part in (ContactSlice(), ContactSlice(5, 33)):
        whole = read(1_000, part)
        assert whole and read(3, part) == whole and read(1, part) == whole
    assert {row[0] for row in read(3, ContactSlice(5, 33))} <= set(range(5, 34))


def test_a_slice_in_blocks_covers_its_ids_once_and_keeps_its_shard():
    from connector.scoring.chunks import ContactSlice

    shard = Shard(1, 3)
    blocks = ContactSlice(10, 31, shard).blocks(0, 1_000, 10)

    assert [(block.first, block.last) for block in blocks] == [(10, 17), (18, 25), (26, 31)]
    assert {block.shard for block in blocks} == {shard}
    assert [(block.first, block.last) for block in ContactSlice().blocks(1, 4, 10)] == [(1, 4)]
    # counted contacts size the blocks: 25 of the run's contacts spread over 1,000 ids are three blocks, not 100
    counted = ContactSlice(contacts=25).blocks(1, 1_000, 10)
    assert [(block.first, block.last) for block in counted] == [(1, 334), (335, 668), (669, 1_000)]
    assert [(b.first, b.last) for b in ContactSlice(contacts=0).blocks(1, 1_000, 10)] == [(1, 1_000)]
    assert [(b.first, b.last) for b in ContactSlice(7, 6).blocks(1, 1_000, 10)] == [(7, 6)]  # empty: one read
