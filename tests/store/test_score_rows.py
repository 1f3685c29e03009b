"""The store's own SQL for scores: named rows read and written set-based, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlmodel import select

from connector.store import session_scope
from connector.store.bulk import placeholder
from connector.store.scores import (
    ALIAS,
    ScoreRow,
    json_text,
    read_score_rows,
    score_rows,
    write_history,
    write_score_rows,
    write_transitions,
)
from connector.store.tables import Contact, ContactScore, ScoreChange, StageTransition
from connector.store.types import from_epoch

AS_OF = 1_793_534_400  # 2026-11-01 12:00 UTC
FALLS = AS_OF + 19 * 86_400


def _contacts(engine, count: int) -> list[int]:
    with session_scope(engine) as session:
        contacts = [Contact(source="import", instance="t", object_type="Lead", crm_id=f"L{n}") for n in range(count)]
        session.add_all(contacts)
        session.flush()
        return [contact.id for contact in contacts]


def _row(**changes) -> ScoreRow:
    values = dict(
        fit=10.0, lead=40.0, engagement=12.5, recency=50.0, combined=30.0, grade="B", stage="mql", engaged=True,
        last_engaged_at=AS_OF - 3600, reasons=json_text(["Demo attended +25"]), model_version="m1", reengaged=False,
        groups=json_text({"analytics": {"engagement": 12.5, "lead": 40.0, "stage": "mql"}}), fall_below_at=FALLS,
    )  # fmt: skip
    return ScoreRow(**(values | changes))


def test_rows_come_back_equal_to_what_was_written_so_an_unchanged_contact_is_no_write(engine):
    first, second, unscored = _contacts(engine, 3)
    rows = [_row(), _row(groups=json_text({}), fall_below_at=None, grade=None, engaged=False)]
    with engine.begin() as connection:
        write_score_rows(connection, [first, second], rows, AS_OF)
    with engine.connect() as connection:
        stored = read_score_rows(connection, np.array([first, second, unscored]))
    assert stored == [*rows, None]
    assert stored[0].stage == "mql" and stored[0].fall_below_at == FALLS


def test_a_row_written_through_the_orm_reads_as_the_same_named_row(engine):
    [contact_id] = _contacts(engine, 1)
    groups = {"analytics": {"lead": 40.0, "engagement": 12.5, "stage": "mql"}}
    with session_scope(engine) as session:
        session.add(
            ContactScore(
                contact_id=contact_id, fit=10, lead=40, engagement=12.5, recency=50, combined=30, grade="B",
                stage="mql", engaged=True, last_engaged_at=from_epoch(AS_OF - 3600), reasons=["Demo attended +25"],
                model_version="m1", scored_at=from_epoch(AS_OF), groups=groups, fall_below_at=from_epoch(FALLS),
            )
        )  # fmt: skip
    with engine.connect() as connection:
        [stored] = read_score_rows(connection, np.array([contact_id]))
    assert json.loads(stored.groups) == groups
    assert stored._replace(groups=json_text(json.loads(stored.groups))) == _row()


def test_a_join_and_a_condition_narrow_the_read(engine):
    kept, other = _contacts(engine, 2)
    with engine.begin() as connection:
        write_score_rows(connection, [kept, other], [_row(), _row(stage="lead")], AS_OF)
    with engine.connect() as connection:
        stored = read_score_rows(connection, np.array([kept, other]), "", f" WHERE {ALIAS}.stage = ?", ("mql",))
    assert stored == [_row(), None]


def test_rewriting_a_row_replaces_it_and_history_and_transitions_are_added(engine):
    [contact_id] = _contacts(engine, 1)
    changed = _row(lead=55.0, stage="sql")
    with engine.begin() as connection:
        write_score_rows(connection, [contact_id], [_row()], AS_OF)
        write_score_rows(connection, [contact_id], [changed], AS_OF + 60)
        write_history(connection, [contact_id], [changed], AS_OF + 60)
        write_transitions(
            connection,
            {"contact_id": [contact_id], "from_stage": ["mql"], "to_stage": ["sql"], "at": [AS_OF + 60],
             "reason": ["lead score reached 50"], "model_version": ["m1"], "triggered_at": [None]},
        )  # fmt: skip
    with engine.connect() as connection:
        assert read_score_rows(connection, np.array([contact_id])) == [changed]
    with session_scope(engine) as session:
        [history] = session.exec(select(ScoreChange)).all()
        [transition] = session.exec(select(StageTransition)).all()
        score = session.get(ContactScore, contact_id)
        assert (history.lead, history.stage, history.scored_at) == (55.0, "sql", from_epoch(AS_OF + 60))
        assert (transition.from_stage, transition.to_stage, transition.triggered_at) == ("mql", "sql", None)
        assert score.scored_at == from_epoch(AS_OF + 60)
        assert score.fall_below_at == from_epoch(FALLS)


def test_rows_are_built_from_named_columns_and_a_missing_one_is_named():
    columns = {name: [value] for name, value in _row()._asdict().items()}
    assert score_rows(columns) == [_row()]
    del columns["fall_below_at"]
    with pytest.raises(KeyError, match="fall_below_at"):
        score_rows(columns)


def test_the_rows_of_a_few_contacts_and_their_fingerprints_read_back_aligned(engine, monkeypatch):
    import connector.store.scores as scores

    ids = _contacts(engine, 9)
    written = ids[::2]  # 5 of 9 scored, with fingerprints; one unscored id asked for among them
    rows = [_row(lead=float(n)) for n in range(len(written))]
    with engine.begin() as connection:
        write_score_rows(connection, written, rows, AS_OF, [n * 2**60 - 7 for n in range(len(written))])
    asked = np.array([ids[0], ids[1], ids[4], ids[8]])
    expected = [rows[0], None, rows[2], rows[4]]
    with engine.connect() as connection:
        assert scores.read_score_rows_of(connection, asked) == expected  # most of their id range: one range read
        monkeypatch.setattr(scores, "IDS_PER_READ", 1)
        sparse = np.array([ids[0], ids[8]])
        assert scores.read_score_rows_of(connection, sparse) == [rows[0], rows[4]]  # few: an IN list each
        stored = scores.read_stored_digests(connection, np.array(ids))
    assert stored.scored.tolist() == [n % 2 == 0 for n in range(9)]
    assert stored.digest[::2].tolist() == [n * 2**60 - 7 for n in range(5)]
    assert stored.stage == ["mql" if n % 2 == 0 else None for n in range(9)]
    assert stored.unchanged(stored.digest).tolist() == stored.scored.tolist()


def test_whole_rows_read_with_the_fingerprints_serve_the_changed_contacts_without_another_read(engine, monkeypatch):
    import connector.store.scores as scores

    ids = _contacts(engine, 5)
    rows = [_row(lead=float(n)) for n in range(3)]
    with engine.begin() as connection:
        write_score_rows(connection, ids[:3], rows, AS_OF, [11, 12, 13])
    asked = np.array(ids)
    with engine.connect() as connection:
        fingerprints_only = scores.read_stored_digests(connection, asked)
        whole = scores.read_stored_digests(connection, asked, whole_rows=True)
        changed = np.array([1, 3, 4])
        assert fingerprints_only.rows_at(connection, asked, changed) == [rows[1], None, None]  # read now
        monkeypatch.setattr(scores, "read_score_rows_of", lambda *_: pytest.fail("read again"))
        assert whole.rows_at(connection, asked, changed) == [rows[1], None, None]
    assert whole.rows == [*rows, None, None] and fingerprints_only.rows is None
    assert whole.digest.tolist() == fingerprints_only.digest.tolist() == [11, 12, 13, 0, 0]
    assert whole.stage == fingerprints_only.stage


def test_rows_rewritten_beside_their_stored_ones_come_back_whatever_indexed_values_moved(engine):
    """With the stored rows given, SQLite leaves unchanged indexed values out of each update (one statement per
    combination); every row still reads back as written, and the index lookups planning makes still find them."""
    ids = _contacts(engine, 4)
    stored = [_row(), _row(), _row(), None]
    with engine.begin() as connection:
        write_score_rows(connection, ids[:3], stored[:3], AS_OF)
    new = [
        _row(lead=41.0),  # neither indexed value moved
        _row(last_engaged_at=AS_OF),  # one moved
        _row(last_engaged_at=None, fall_below_at=FALLS + 60),  # both moved
        _row(stage="lead"),  # never stored
    ]
    with engine.begin() as connection:
        write_score_rows(connection, ids, new, AS_OF + 60, [1, 2, 3, 4], stored)
    with engine.connect() as connection:
        assert read_score_rows(connection, np.array(ids)) == new
        falling = "SELECT contact_id FROM contact_score WHERE fall_below_at = ? ORDER BY contact_id"
        engaged = "SELECT contact_id FROM contact_score WHERE last_engaged_at = ?"
        assert connection.exec_driver_sql(falling.replace("?", placeholder(connection)), (FALLS,)).scalars().all() == [
            ids[0],
            ids[1],
            ids[3],
        ]
        assert connection.exec_driver_sql(engaged.replace("?", placeholder(connection)), (AS_OF,)).scalars().all() == [
            ids[1]
        ]
