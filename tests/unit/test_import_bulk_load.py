"""A large `scorebridge import activities` into PostgreSQL (connector/store/activity_bulk_load.py): the same rows,
counts and report as the executemany path, `activity`'s keys and indexes back as they were, every row checked
against its keys before the import commits, and nothing changed when it fails. The tests make every load "large"."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from connector.importer import import_activities, import_contacts
from connector.store import activity_bulk_load, upgrade_store
from connector.store.activity_bulk_load import worth_a_bulk_load
from connector.store.activity_copy import CopyActivityWriter
from connector.store.tables import Activity, ActivityKind
from tests.conftest import postgres_schema
from tests.store.store_reads import count, empty_rescore_queue, queued
from tests.unit.test_import_copy import (
    CONTACTS,
    HEADER,
    activity_line,
    imported_both_ways,
    mixed_file,
    prepared,
    small_batches,  # noqa: F401 (an autouse fixture: several chunks in a few hundred rows)
    stored,
    write,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def every_load_is_large(monkeypatch):
    monkeypatch.setattr(activity_bulk_load, "BULK_MIN_ROWS", 0)


@pytest.fixture
def store(postgres_engine) -> Engine:
    """A store built by the migrations, so the keys and indexes carry the names a real store has."""
    upgrade_store(postgres_engine)
    return postgres_engine


@pytest.fixture
def other_store(postgres_available) -> Engine:
    with postgres_schema() as engine:
        upgrade_store(engine)
        yield engine


def keys_and_indexes(engine: Engine) -> list[tuple[str, str]]:
    """Every constraint and index of `activity`, by name and definition."""
    with engine.connect() as connection:
        constraints = connection.exec_driver_sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'activity'::regclass"
        )
        indexes = connection.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'activity' AND schemaname = current_schema()"
        )
        return sorted([*constraints, *indexes])


def test_a_bulk_import_stores_what_executemany_stores_and_puts_keys_and_indexes_back(
    store, other_store, tmp_path, monkeypatch, every_load_is_large
):
    schema_before = keys_and_indexes(store)
    bulk_store, old_store = prepared(store, tmp_path), prepared(other_store, tmp_path)
    path = mixed_file(tmp_path)

    by_bulk, by_executemany = imported_both_ways(bulk_store, old_store, path, monkeypatch, background=True)

    assert stored(bulk_store) == stored(old_store)
    assert queued(bulk_store) == queued(old_store) == {"L1", "L2", "L3", "L4", "L5"}
    # a7 is restated twice (an email open, then a call): two updates chunk by chunk, one stored change in bulk
    assert (by_executemany.stored.updated, by_executemany.stored.unchanged) == (3, 2)
    assert by_bulk.stored == replace(by_executemany.stored, updated=2, unchanged=3)
    assert (by_bulk.stored.inserted, by_bulk.stored.skipped) == (394, 2)
    assert [str(problem) for problem in by_bulk.problems] == [str(problem) for problem in by_executemany.problems]
    assert keys_and_indexes(bulk_store) == schema_before


def index_ids(engine: Engine) -> set[int]:
    """The indexes of `activity` as objects: a rebuilt index is a new one."""
    with engine.connect() as connection:
        return set(connection.exec_driver_sql("SELECT indexrelid FROM pg_index WHERE indrelid = 'activity'::regclass"))


def test_importing_the_same_file_again_adds_nothing_rebuilds_nothing_and_the_later_row_of_a_record_wins(
    store, tmp_path, every_load_is_large
):
    prepared(store, tmp_path)
    filler = [activity_line(n, "L5") for n in range(100, 400)]
    lines = [
        activity_line(1, "L1", "page_view"),
        *filler[:150],
        activity_line(8, "L4", "webinar_attended", url="/w"),  # stored as a page view before
        activity_line(7, "L3"),  # stored as it is
        *filler[150:],
        activity_line(1, "L1", "call", url="/c"),
    ]
    path = write(tmp_path, "repeats.csv", HEADER + "".join(lines))

    first = import_activities(store, path)
    indexes_after_the_first = index_ids(store)
    again = import_activities(store, path)

    kinds = {(row[0], row[1]): (row[2], row[3]) for row in stored(store)}
    assert kinds[("L1", "a1")] == ("call", '{"url": "/c"}')
    assert kinds[("L4", "a8")] == ("webinar_attended", '{"url": "/w"}')
    assert (first.stored.inserted, first.stored.updated, first.stored.unchanged) == (301, 1, 2)
    assert (again.stored.inserted, again.stored.updated, again.stored.unchanged) == (0, 0, 304)
    assert count(store, Activity) == 2 + 1 + 300
    # nothing new the second time: each row checked against the unique key instead of a rebuild
    assert index_ids(store) == indexes_after_the_first


def test_a_bulk_import_that_fails_midway_leaves_rows_keys_and_indexes_as_they_were(
    store, tmp_path, monkeypatch, every_load_is_large
):
    prepared(store, tmp_path)
    rows_before, schema_before = stored(store), keys_and_indexes(store)
    path = write(tmp_path, "big.csv", HEADER + "".join(activity_line(n, f"L{n % 5 + 1}", f"t{n}") for n in range(600)))

    def dropped_connection(self, connection):
        raise RuntimeError("the connection dropped")

    monkeypatch.setattr(activity_bulk_load.SetAside, "restore", dropped_connection)

    with pytest.raises(RuntimeError, match="connection dropped"):
        import_activities(store, path)

    assert stored(store) == rows_before
    assert keys_and_indexes(store) == schema_before
    assert count(store, ActivityKind) == 1


def test_a_row_that_breaks_a_key_fails_the_whole_bulk_import(store, tmp_path, every_load_is_large):
    prepared(store, tmp_path)
    rows_before = stored(store)
    with store.connect() as connection:
        kind_id = connection.scalar(select(ActivityKind.id))

    with pytest.raises(IntegrityError), store.begin() as connection:
        writer = CopyActivityWriter(connection, "import", "default", expected_rows=1)
        writer.insert_resolved([(999_999, kind_id, 1_772_000_000, "orphan")])
        writer.finish()

    assert stored(store) == rows_before


def test_only_a_load_large_next_to_the_table_takes_the_bulk_path(store):
    minimum = activity_bulk_load.BULK_MIN_ROWS
    with store.begin() as connection:
        assert not worth_a_bulk_load(connection, minimum - 1)
        assert worth_a_bulk_load(connection, minimum)  # an empty table
        connection.exec_driver_sql("SELECT setval(pg_get_serial_sequence('activity', 'id'), 4000000)")
        assert not worth_a_bulk_load(connection, 999_999)
        assert worth_a_bulk_load(connection, 1_000_000)


def test_an_activity_inserted_by_hand_still_meets_its_keys_after_a_bulk_import(store, tmp_path, every_load_is_large):
    prepared(store, tmp_path)
    import_activities(store, write(tmp_path, "more.csv", HEADER + activity_line(9, "L2")))

    with pytest.raises(IntegrityError), store.begin() as connection:
        connection.execute(
            insert(Activity).values(contact_id=999_999, kind_id=1, occurred_at=datetime.now(UTC), source_id="x")
        )


def with_contacts(engine: Engine, tmp_path) -> Engine:
    """Contacts only, all scored: `activity` is empty, so a large load goes straight into it
    (`LoadIntoEmptyTable`)."""
    import_contacts(engine, write(tmp_path, "contacts.csv", CONTACTS))
    empty_rescore_queue(engine)
    return engine


@pytest.mark.parametrize("background", [False, True], ids=["in-process", "background-parser"])
def test_a_load_into_an_empty_table_stores_what_executemany_stores_the_later_row_of_a_record_winning(
    store, other_store, tmp_path, monkeypatch, every_load_is_large, background
):
    schema_before = keys_and_indexes(store)
    direct_store, old_store = with_contacts(store, tmp_path), with_contacts(other_store, tmp_path)
    path = mixed_file(tmp_path)  # a10, a300 and a7 twice each: a7 the second time as a call

    by_direct_load, by_executemany = imported_both_ways(direct_store, old_store, path, monkeypatch, background)

    assert stored(direct_store) == stored(old_store)
    assert ("L3", "a7", "call") in {row[:3] for row in stored(direct_store)}
    assert queued(direct_store) == queued(old_store) == {"L1", "L2", "L3", "L4", "L5"}
    assert (by_direct_load.stored.inserted, by_direct_load.stored.updated) == (396, 0)
    assert (by_direct_load.stored.unchanged, by_direct_load.stored.skipped) == (3, 2)
    assert [str(problem) for problem in by_direct_load.problems] == [
        str(problem) for problem in by_executemany.problems
    ]
    assert len(by_direct_load.problems) == 2
    assert keys_and_indexes(direct_store) == schema_before


def test_a_load_into_an_empty_table_that_fails_midway_leaves_it_empty_with_its_keys_and_indexes(
    store, tmp_path, monkeypatch, every_load_is_large
):
    with_contacts(store, tmp_path)
    schema_before = keys_and_indexes(store)
    path = write(tmp_path, "big.csv", HEADER + "".join(activity_line(n, f"L{n % 5 + 1}", f"t{n}") for n in range(600)))

    def dropped_connection(self, connection):
        raise RuntimeError("the connection dropped")

    monkeypatch.setattr(activity_bulk_load.SetAside, "restore", dropped_connection)

    with pytest.raises(RuntimeError, match="connection dropped"):
        import_activities(store, path, parse_in_background=True)

    assert count(store, Activity) == count(store, ActivityKind) == 0
    assert keys_and_indexes(store) == schema_before
    assert queued(store) == set()


def test_source_ids_that_copy_text_must_escape_are_stored_as_they_are(store, tmp_path, every_load_is_large):
    with_contacts(store, tmp_path)
    awkward = ["back\\slash", "tab\there", "new\nline", "carriage\rreturn", "\\N", "\\.", "é😀", 'quote"d', "a,b"]
    rows = [[source_id, "Lead", "L1", "page_view", "2026-03-01T10:00:00Z", "/x"] for source_id in awkward]
    path = tmp_path / "awkward.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([HEADER.strip().split(","), *rows])

    report = import_activities(store, path, parse_in_background=True)

    assert report.stored.inserted == len(awkward) and not report.problems
    assert {row[1] for row in stored(store)} == set(awkward)
