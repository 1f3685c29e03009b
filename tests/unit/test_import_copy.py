"""`scorebridge import activities` into PostgreSQL through COPY (connector/store/activity_copy.py): the same stored
rows, counts and problem report as the executemany path, the later of two rows of one record wins, and a failure
midway leaves nothing. Chunks and flushes are made small so that a few hundred rows cross several of each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import connector.importer as importer
from connector.importer import import_activities, import_contacts
from connector.store import activity_copy
from connector.store.activity_writer import ActivityWriter
from connector.store.tables import Activity, ActivityKind, Contact
from tests.conftest import postgres_schema
from tests.store.store_reads import count, empty_rescore_queue, queued

HEADER = "source_id,contact_object_type,contact_crm_id,type,occurred_at,url\n"
CONTACTS = "object_type,crm_id\n" + "".join(f"Lead,L{n}\n" for n in range(1, 6))
BAD_TIME = "not an ISO 8601 time (e.g. 2026-03-01T09:30:00Z)"


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr("connector.importer.activities.CHUNK_ROWS", 64)
    monkeypatch.setattr(activity_copy, "FLUSH_ROWS", 150)


@pytest.fixture
def other_postgres(postgres_available):
    """A second PostgreSQL store, so the two paths start from the same state."""
    with postgres_schema() as engine:
        SQLModel.metadata.create_all(engine)
        yield engine


def activity_line(number: int, contact: str = "L1", kind: str = "page_view", url: str = "/pricing") -> str:
    return f"a{number},Lead,{contact},{kind},2026-03-01T10:{number % 60:02d}:00Z,{url}\n"


def mixed_file(tmp_path: Path) -> Path:
    """Good rows for five contacts, bad rows, rows of an unknown contact, identical repeats, a NUL in an attribute,
    a source id too long to store, and rows that restate stored activities (one under another kind)."""
    lines = [activity_line(n, f"L{n % 5 + 1}", ("page_view", "email_open")[n % 2], f"/p{n % 7}") for n in range(400)]
    lines[50] = "a50,Lead,L1,page_view,yesterday,/x\n"
    lines[120] = "a120,Lead,L2,,2026-03-01T10:00:00Z,/x\n"
    lines[130] = "a130,Lead,L404,page_view,2026-03-01T10:00:00Z,/x\n"
    lines[200] = "a200,Lead,L3,page_view,2026-03-01T10:00:00Z,/nul\x00here\n"
    lines[250] = f"{'x' * 121},Lead,L4,page_view,2026-03-01T10:00:00Z,/x\n"
    lines += [lines[10], lines[300], "a7,Lead,L3,call,2026-03-01T10:07:00Z,/p0\n"]
    path = tmp_path / "mixed.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def prepared(engine: Engine, tmp_path: Path) -> Engine:
    """Contacts, a few stored activities (a7 as a page view, restated as a call by the file), all scored."""
    import_contacts(engine, write(tmp_path, "contacts.csv", CONTACTS))
    import_activities(engine, write(tmp_path, "before.csv", HEADER + activity_line(7, "L3") + activity_line(8, "L4")))
    empty_rescore_queue(engine)
    return engine


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def stored(engine: Engine) -> set[tuple]:
    """Every activity by what it means, not by its ids: contact, source id, kind and time."""
    query = (
        select(Contact.crm_id, Activity.source_id, ActivityKind.type, ActivityKind.attributes, Activity.occurred_at)
        .join(Contact, Contact.id == Activity.contact_id)
        .join(ActivityKind, ActivityKind.id == Activity.kind_id)
    )
    with engine.connect() as connection:
        return {(*row[:3], json.dumps(row[3], sort_keys=True), row[4]) for row in connection.execute(query)}


def imported_both_ways(store: Engine, old_store: Engine, path: Path, monkeypatch, background: bool) -> tuple:
    """(report of ``path`` imported into ``store`` by the writer the importer picks, into ``old_store`` by
    executemany)."""
    by_picked_writer = import_activities(store, path, parse_in_background=background)
    monkeypatch.setattr(
        importer,
        "activity_writer_for",
        lambda connection, source, instance, **_: ActivityWriter(connection, source, instance),
    )
    return by_picked_writer, import_activities(old_store, path, parse_in_background=background)


@pytest.mark.postgres
@pytest.mark.parametrize("background", [False, True], ids=["in-process", "background-parser"])
def test_copy_stores_what_executemany_stores_with_the_same_counts_and_report(
    postgres_engine, other_postgres, tmp_path, monkeypatch, background
):
    SQLModel.metadata.create_all(postgres_engine)
    copy_store, old_store = prepared(postgres_engine, tmp_path), prepared(other_postgres, tmp_path)
    path = mixed_file(tmp_path)

    by_copy, by_executemany = imported_both_ways(copy_store, old_store, path, monkeypatch, background)

    assert stored(copy_store) == stored(old_store)
    assert queued(copy_store) == queued(old_store) == {"L1", "L2", "L3", "L4", "L5"}
    assert by_copy.stored == by_executemany.stored
    # a7 changes twice: to an email open, then to a call (the file's last row)
    assert (by_copy.stored.inserted, by_copy.stored.updated, by_copy.stored.skipped) == (394, 3, 2)
    assert [str(problem) for problem in by_copy.problems] == [str(problem) for problem in by_executemany.problems]
    assert ("L3", "a200", "page_view", '{"url": "/nulhere"}') in {row[:4] for row in stored(copy_store)}


def test_a_bad_row_in_the_middle_of_a_big_file_is_reported_and_the_good_rows_land(engine, tmp_path):
    import_contacts(engine, write(tmp_path, "contacts.csv", CONTACTS))
    lines = [activity_line(n, f"L{n % 5 + 1}") for n in range(2_000)]
    lines[1_000] = "a1000,Lead,L1,page_view,2026-02-30T10:00:00Z,/pricing\n"
    path = write(tmp_path, "big.csv", HEADER + "".join(lines))

    report = import_activities(engine, path, parse_in_background=True)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:1002: occurred_at='2026-02-30T10:00:00Z': {BAD_TIME} (row skipped)"
    ]
    assert (report.rows_read, report.stored.inserted, report.skipped) == (2_000, 1_999, 1)
    assert count(engine, Activity) == 1_999


def test_of_two_rows_of_one_record_the_later_wins_within_the_file_and_against_the_store(engine, tmp_path):
    prepared(engine, tmp_path)
    filler = [activity_line(n, "L5") for n in range(100, 400)]
    lines = [
        activity_line(1, "L1", "page_view"),  # a1 three times: within one chunk, then two chunks and a flush later
        activity_line(1, "L1", "email_open"),
        *filler[:150],
        activity_line(8, "L4", "webinar_attended", url="/w"),  # stored as a page view before
        activity_line(7, "L3"),  # stored as it is
        *filler[150:],
        activity_line(1, "L1", "call", url="/c"),
        activity_line(2, "L2"),
        activity_line(2, "L2", "email_open"),  # within one chunk and one flush
    ]
    path = write(tmp_path, "repeats.csv", HEADER + "".join(lines))

    report = import_activities(engine, path)

    kinds = {(row[0], row[1]): (row[2], row[3]) for row in stored(engine)}
    assert kinds[("L1", "a1")] == ("call", '{"url": "/c"}')
    assert kinds[("L4", "a8")] == ("webinar_attended", '{"url": "/w"}')
    assert kinds[("L3", "a7")] == ("page_view", '{"url": "/pricing"}')
    assert kinds[("L2", "a2")] == ("email_open", '{"url": "/pricing"}')
    assert count(engine, Activity) == 2 + 1 + 1 + 300
    assert (report.stored.inserted, report.stored.updated, report.stored.unchanged) == (302, 2, 3)
    assert queued(engine) == {"L1", "L2", "L4", "L5"}


def test_a_failure_midway_leaves_nothing_written(engine, tmp_path, monkeypatch):
    prepared(engine, tmp_path)
    before = stored(engine)
    path = write(tmp_path, "big.csv", HEADER + "".join(activity_line(n, f"L{n % 5 + 1}", f"t{n}") for n in range(600)))
    calls = []
    insert_resolved = ActivityWriter.insert_resolved

    def failing_on_the_fifth_chunk(self, params, skipped=0):
        calls.append(len(params))
        if len(calls) == 5:  # after a flush on PostgreSQL: rows are in `activity`, uncommitted
            raise RuntimeError("the connection dropped")
        return insert_resolved(self, params, skipped)

    monkeypatch.setattr(ActivityWriter, "insert_resolved", failing_on_the_fifth_chunk)

    with pytest.raises(RuntimeError, match="connection dropped"):
        import_activities(engine, path)

    assert stored(engine) == before
    assert count(engine, ActivityKind) == 1
    assert queued(engine) == set()
