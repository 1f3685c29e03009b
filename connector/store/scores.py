"""The scores the store keeps: a named row per contact (`contact_score`), the history of score changes
(`score_change`) and stage transitions (`stage_transition`), read and written set-based.

Row shapes and column names come from the table definitions (connector/store/tables.py): a column added there is
read, compared and written here without another list to keep in step. Rows are namedtuples, so the scoring run
compares a whole row at C speed (unchanged contacts cause no write) and still reads `row.stage`, never `row[6]`.
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from operator import attrgetter

import numpy as np
from sqlalchemy import Column, Table
from sqlalchemy.engine import Connection

from connector.store.bulk import insert_rows, raw_rows, selected_as_text, upsert_rows
from connector.store.tables import ContactScore, ScoreChange, StageTransition

SCORES: Table = ContactScore.__table__  # type: ignore[attr-defined]
HISTORY: Table = ScoreChange.__table__  # type: ignore[attr-defined]
TRANSITIONS: Table = StageTransition.__table__  # type: ignore[attr-defined]
KEY = "contact_id"
#: When a row was written: bookkeeping, not part of what is compared.
SCORED_AT = "scored_at"
#: The fingerprint of a row's values (connector/scoring/digest.py): stands for them, is not one of them.
DIGEST = "digest"
#: The name `contact_score` has in `read_score_rows`' query, for the join and condition a caller adds.
ALIAS = "s"


def _kept_columns(table: Table, left_out: set[str]) -> list[Column]:
    return [column for column in table.columns if column.name not in left_out]


#: A contact's kept values: the columns of `contact_score` but its key and `scored_at`, in table order.
ScoreRow = namedtuple("ScoreRow", [column.name for column in _kept_columns(SCORES, {KEY, SCORED_AT, DIGEST})])  # type: ignore[misc]
#: A ScoreRow from a tuple of its values, without a Python call per row (the engine reads 100,000s of them).
_named: Callable[[Iterable[object]], tuple] = partial(tuple.__new__, ScoreRow)
#: The values whose change makes a `score_change` row: the columns the history shares with the current row.
HISTORY_FIELDS = tuple(column.name for column in _kept_columns(HISTORY, {"id", KEY, SCORED_AT}))
history_values: Callable[[tuple], tuple] = attrgetter(*HISTORY_FIELDS)
#: The columns of a stage transition as `stage_transition` keeps it (its id is the database's).
TRANSITION_COLUMNS = tuple(column.name for column in _kept_columns(TRANSITIONS, {"id"}))


#: One encoder for every call: `json.dumps` with any option builds a new encoder each time.
_JSON = json.JSONEncoder(sort_keys=True)


def json_text(value: object) -> str:
    """The one text form of a JSON value, so a stored document and a computed one compare equal."""
    return _JSON.encode(value)


def score_rows(columns: Mapping[str, Sequence[object]]) -> list[tuple]:
    """One ScoreRow per contact from one list per column, named; a missing column is a KeyError naming it."""
    return list(map(_named, zip(*(columns[name] for name in ScoreRow._fields), strict=True)))


# JSON read as text, so a stored document compares with a computed one as a string. Numbers and booleans need no
# conversion: 40 == 40.0 and 1 == True.
_SELECTED_VALUES = ", ".join(selected_as_text(SCORES.c[name], ALIAS) for name in ScoreRow._fields)
_SELECTED = f"{ALIAS}.{KEY}, {_SELECTED_VALUES}"


def read_score_rows(
    connection: Connection, contact_ids: np.ndarray, join: str = "", where: str = "", params: Sequence[object] = ()
) -> list[tuple | None]:
    """The stored rows of `contact_ids` (ascending), aligned with them: None where a contact has none.

    `join` and `where` narrow the read (a targets table, a connection's contacts), naming the table `ALIAS`.
    """
    sql = f"SELECT {_SELECTED} FROM {SCORES.name} {ALIAS}{join}{where}"
    rows = [row for batch in raw_rows(connection, sql, params) for row in batch]
    stored: list[tuple | None] = [None] * len(contact_ids)
    positions, found = _positions(contact_ids, rows)
    for row, position, wanted in zip(rows, positions.tolist(), found.tolist(), strict=True):
        if wanted:
            stored[position] = _named(row[1:])
    return stored


#: The values of a row with an index of their own (planning looks contacts up by them).
INDEXED_FIELDS = tuple(name for name in ScoreRow._fields if any(name in index.columns for index in SCORES.indexes))


def write_score_rows(
    connection: Connection,
    ids: Sequence[int],
    rows: Sequence[tuple],
    scored_at: int,
    digests: Sequence[int | None] | None = None,
    before: Sequence[tuple | None] | None = None,
) -> None:
    """Insert or replace the current rows of these contacts, with their fingerprints (None: none). The driver gets
    plain tuples: sqlite3 binds a tuple subclass (a namedtuple) through its generic sequence path, at half the
    speed.

    With the rows as stored `before`, SQLite leaves out of each update the indexed values that did not change:
    it rewrites an index entry for every column an UPDATE sets, changed or not, and an incremental run moves
    `last_engaged_at` for most of its contacts but `fall_below_at` for few (a fifth of its log pages, otherwise).
    PostgreSQL writes every index entry of an updated row whatever changed (no room for a HOT update in a full
    page), so it gets one statement."""
    columns = (KEY, *ScoreRow._fields, SCORED_AT, DIGEST)
    digests = [None] * len(ids) if digests is None else digests
    values = [(key, *row, scored_at, digest) for key, row, digest in zip(ids, rows, digests, strict=True)]
    if before is None or connection.dialect.name == "postgresql":
        upsert_rows(connection, SCORES, columns, values)
        return
    by_kept: dict[tuple[str, ...], list[tuple]] = {}
    for value, row, stored in zip(values, rows, before, strict=True):
        kept = () if stored is None else _unchanged_indexed(stored, row)
        by_kept.setdefault(kept, []).append(value)
    for kept, group in by_kept.items():
        upsert_rows(connection, SCORES, columns, group, left_as_stored=kept)


def _unchanged_indexed(stored: tuple, row: tuple) -> tuple[str, ...]:
    return tuple(name for name in INDEXED_FIELDS if getattr(stored, name) == getattr(row, name))


@dataclass(frozen=True)
class StoredDigests:
    """Per contact of a run (aligned with its ids): the stored fingerprint and the little else a run reads of every
    contact's stored row: the stage it is in and whether it was re-engaged. A run that expects most of its contacts
    to change (an incremental one) reads their whole rows with them, in the same statement."""

    #: True where a row is stored, and where that row has a fingerprint.
    scored: np.ndarray
    has_digest: np.ndarray
    digest: np.ndarray
    stage: list[str | None]
    reengaged: np.ndarray
    #: The whole stored rows (None where a contact has none), when read up front; else None.
    rows: list[tuple | None] | None = None

    def unchanged(self, digests: np.ndarray) -> np.ndarray:
        """Where the stored fingerprint equals the computed one."""
        return self.has_digest & (self.digest == digests)

    def rows_at(self, connection: Connection, contact_ids: np.ndarray, positions: np.ndarray) -> list[tuple | None]:
        """The stored rows of the contacts at `positions` of the run's ascending `contact_ids`: from the rows read
        up front, or else read now (only the changed contacts' rows, in a full run)."""
        if self.rows is not None:
            return [self.rows[position] for position in positions.tolist()]
        return read_score_rows_of(connection, contact_ids[positions])


def read_stored_digests(
    connection: Connection,
    contact_ids: np.ndarray,
    join: str = "",
    where: str = "",
    params: Sequence[object] = (),
    *,
    whole_rows: bool = False,
) -> StoredDigests:
    """The fingerprints, stages and re-engaged flags of `contact_ids` (ascending), and with `whole_rows` the stored
    rows too; `join` and `where` as for `read_score_rows`."""
    size = len(contact_ids)
    scored, has_digest = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    digest, reengaged = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=bool)
    stage: list[str | None] = [None] * size
    whole: list[tuple | None] | None = [None] * size if whole_rows else None
    selected = f"{ALIAS}.{KEY}, {ALIAS}.{DIGEST}, {ALIAS}.stage, {ALIAS}.reengaged"
    if whole_rows:
        selected += f", {_SELECTED_VALUES}"
    sql = f"SELECT {selected} FROM {SCORES.name} {ALIAS}{join}{where}"
    rows = [row for batch in raw_rows(connection, sql, params) for row in batch]
    positions, found = _positions(contact_ids, rows)
    if not len(positions):
        return StoredDigests(scored, has_digest, digest, stage, reengaged, whole)
    kept = [row for row, wanted in zip(rows, found.tolist(), strict=True) if wanted]
    at = positions[found]
    scored[at] = True
    digests = [row[1] for row in kept]
    has_digest[at] = [value is not None for value in digests]
    digest[at] = [value or 0 for value in digests]
    reengaged[at] = [bool(row[3]) for row in kept]
    for position, row in zip(at.tolist(), kept, strict=True):
        stage[position] = row[2]
        if whole is not None:
            whole[position] = _named(row[4:])
    return StoredDigests(scored, has_digest, digest, stage, reengaged, whole)


def _positions(contact_ids: np.ndarray, rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
    """Where each row's contact (its first value) sits in the ascending `contact_ids`, and whether it is there."""
    if not rows or not len(contact_ids):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    found = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    positions = np.minimum(np.searchsorted(contact_ids, found), len(contact_ids) - 1)
    return positions, contact_ids[positions] == found


#: Ids per `IN (...)` list when reading the rows of a few contacts: well under SQLite's oldest limit on bound
#: parameters (999, https://www.sqlite.org/limits.html#max_variable_number).
IDS_PER_READ = 500


def read_score_rows_of(connection: Connection, contact_ids: np.ndarray) -> list[tuple | None]:
    """The stored rows of `contact_ids` (ascending), aligned with them: one range read when they are most of their
    id range, else a read per `IDS_PER_READ` of them."""
    if not len(contact_ids):
        return []
    first, last = int(contact_ids[0]), int(contact_ids[-1])
    if 4 * len(contact_ids) >= last - first + 1:
        return read_score_rows(connection, contact_ids, "", f" WHERE {ALIAS}.{KEY} BETWEEN ? AND ?", (first, last))
    rows: list[tuple | None] = []
    for start in range(0, len(contact_ids), IDS_PER_READ):
        part = contact_ids[start : start + IDS_PER_READ]
        marks = ", ".join("?" * len(part))
        rows += read_score_rows(connection, part, "", f" WHERE {ALIAS}.{KEY} IN ({marks})", part.tolist())
    return rows


def write_history(connection: Connection, ids: Sequence[int], rows: Sequence[tuple], scored_at: int) -> None:
    """A `score_change` row per contact whose history values changed."""
    history = [(key, *history_values(row), scored_at) for key, row in zip(ids, rows, strict=True)]
    insert_rows(connection, HISTORY, (KEY, *HISTORY_FIELDS, SCORED_AT), history)


def write_transitions(connection: Connection, columns: Mapping[str, Sequence[object]]) -> None:
    """Stage transitions given as one list per column, named; a missing column is a KeyError naming it."""
    rows = list(zip(*(columns[name] for name in TRANSITION_COLUMNS), strict=True))
    insert_rows(connection, TRANSITIONS, TRANSITION_COLUMNS, rows)
