"""Reading the store into the arrays the scoring pipeline works on: plain cursors, integers, no ORM objects."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import chain

import numpy as np
from sqlalchemy.engine import Connection

from connector.scoring.chunks import ContactSlice
from connector.scoring.conditions import TextColumn
from connector.scoring.fields import BOOLEAN_FIELDS, EXTRA_PREFIX, NUMERIC_FIELDS
from connector.scoring.frame import ActivityArrays, ContactColumns, PreviousState
from connector.scoring.kinds import KindRow, KindTable, classify_kinds
from connector.scoring.model import ScoringModel
from connector.scoring.scope import Condition, ContactScope, contact_in_scope, owner_in_scope
from connector.scoring.stages import NO_STAGE
from connector.store.bulk import placeholder, raw_rows
from connector.store.scores import ALIAS, read_score_rows

TARGET_TABLE = "scoring_target"


def load_targets(connection: Connection, contact_ids: np.ndarray) -> None:
    """Put the contact ids an incremental run scores into a temporary table the reads join against."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{TARGET_TABLE}")
    else:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{TARGET_TABLE}")
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {TARGET_TABLE} (contact_id BIGINT PRIMARY KEY)")
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        sql = f"INSERT INTO {TARGET_TABLE} (contact_id) VALUES ({placeholder(connection)})"
        cursor.executemany(sql, [(int(value),) for value in contact_ids])
    finally:
        cursor.close()
    if connection.dialect.name == "postgresql":
        # Autovacuum never analyzes temporary tables: without row counts the planner guesses the number of targets.
        # And with the default random_page_cost (4, for spinning disks) it reads all of `activity` for a hash join
        # rather than look up each target's rows by the (contact_id, occurred_at) index: 1.07 s against 0.12-0.22 s
        # for 1,000 targets among 2,000,000 activities. 1.1 is the usual value for SSDs and cached data
        # (https://www.postgresql.org/docs/current/runtime-config-query.html#GUC-RANDOM-PAGE-COST); SET LOCAL ends
        # with this run's transaction.
        connection.exec_driver_sql(f"ANALYZE {TARGET_TABLE}")
        connection.exec_driver_sql("SET LOCAL random_page_cost = 1.1")


def _target_join(targeted: bool, column: str) -> str:
    return f" JOIN {TARGET_TABLE} t ON t.contact_id = {column}" if targeted else ""


def _untargeted(targeted: bool, scope: ContactScope | None, contact_column: str) -> Condition:
    """The scope's condition for a full read; an incremental read is already limited by its (scoped) targets."""
    return Condition() if targeted else owner_in_scope(scope, contact_column)


def model_fields(model: ScoringModel) -> set[str]:
    fields = set(model.fit.fields) | {rule.field for rule in model.fit.disqualifiers}
    fields |= {c.field for stage in model.stages for c in stage.when if c.field is not None}
    return fields


def read_contacts(
    connection: Connection,
    model: ScoringModel,
    targeted: bool,
    now: int,
    scope: ContactScope | None = None,
    part: ContactSlice = ContactSlice(),
) -> ContactColumns:
    """The live (not deleted, not merged) contacts of the scope in `part`, with the columns the model reads."""
    fields = sorted(model_fields(model))
    stored = sorted({_stored_column(name) for name in fields})
    select = ", ".join(["c.id", "c.created_at", *[f"c.{name}" for name in stored]])
    in_scope = (Condition() if targeted else contact_in_scope(scope)).also(part.on("c.id"))  # targets: in scope
    sql = (
        f"SELECT {select} FROM contact c{_target_join(targeted, 'c.id')} "
        f"WHERE c.deleted = ? AND c.merged_into_id IS NULL{in_scope.and_clause} ORDER BY c.id"
    )
    rows = [row for batch in raw_rows(connection, sql, (False, *in_scope.params)) for row in batch]
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    created = [row[1] for row in rows]
    raw = {name: [row[2 + index] for row in rows] for index, name in enumerate(stored)}
    warnings: dict[str, int] = {}
    future = sum(1 for value in created if value is not None and value > now)
    if future:
        warnings["contacts created in the future"] = future
    columns = {name: _column(name, raw, warnings) for name in fields}
    return ContactColumns(ids, columns, warnings)


def _stored_column(field: str) -> str:
    if field.startswith(EXTRA_PREFIX):
        return "extra"
    return "email" if field == "email_domain" else field


def _column(field: str, raw: dict[str, list], warnings: dict[str, int]):
    values = raw[_stored_column(field)]
    if field in NUMERIC_FIELDS:
        numbers = np.array([np.nan if value is None else float(value) for value in values], dtype=np.float64)
        negative = numbers < 0
        if negative.any():
            warnings[f"{field} negative (rules skipped)"] = int(negative.sum())
            numbers[negative] = np.nan
        return numbers
    if field in BOOLEAN_FIELDS:
        return np.array([bool(value) for value in values], dtype=bool)
    if field == "email_domain":
        return TextColumn.from_values([_domain(value) for value in values])
    if field.startswith(EXTRA_PREFIX):
        key = field.removeprefix(EXTRA_PREFIX)
        return TextColumn.from_values(_extra_values(values, key))
    return TextColumn.from_values(values)


def _domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower()


def _extra_values(stored: list[object], key: str) -> list[str | None]:
    """One key of every contact's extra fields. SQLite hands back JSON text: contacts share few distinct texts
    (often "{}"), so each text is decoded once rather than 100,000 `json.loads` per run."""
    decoded: dict[str, str | None] = {}
    values = []
    for extra in stored:
        if not isinstance(extra, str):  # PostgreSQL's driver returns dicts already
            values.append(_extra_value(extra, key))
            continue
        if extra not in decoded:
            decoded[extra] = _extra_value(extra, key)
        values.append(decoded[extra])
    return values


def _extra_value(extra: object, key: str) -> str | None:
    if isinstance(extra, str):
        extra = json.loads(extra or "{}")
    value = extra.get(key) if isinstance(extra, dict) else None
    return None if value is None else str(value)


def read_kinds(connection: Connection, model: ScoringModel) -> KindTable:
    rows = (
        KindRow(kind_id, kind_type, kind_attributes(attributes))
        for batch in raw_rows(connection, "SELECT id, type, attributes FROM activity_kind")
        for kind_id, kind_type, attributes in batch
    )
    return classify_kinds(model, rows)


def kind_attributes(stored: object) -> dict:
    """An activity kind's attributes as a dict, whether the driver returned JSON text, a dict or nothing."""
    value = json.loads(stored) if isinstance(stored, str) else stored
    return value if isinstance(value, dict) else {}


def read_activities(
    connection: Connection,
    contacts: ContactColumns,
    as_of: int,
    targeted: bool,
    scope: ContactScope | None = None,
    part: ContactSlice = ContactSlice(),
) -> ActivityArrays:
    """The activities of the scored contacts (of `part`) at or before as_of, as integer arrays."""
    owned = _untargeted(targeted, scope, "a.contact_id").also(part.on("a.contact_id"))
    if targeted:
        # CROSS JOIN fixes SQLite's join order: walk the few targets, then the (contact_id, occurred_at) index
        sql = (
            f"SELECT a.contact_id, a.kind_id, a.occurred_at FROM {TARGET_TABLE} t CROSS JOIN activity a "
            f"WHERE a.contact_id = t.contact_id AND a.occurred_at <= ?{owned.and_clause}"
        )
    else:
        # unary + keeps SQLite off the occurred_at index: a full read is a table scan, not 2M index lookups, and a
        # chunk's read (an id range) walks the (contact_id, occurred_at) index
        columns = "a.contact_id, a.kind_id, a.occurred_at"
        sql = f"SELECT {columns} FROM activity a WHERE +a.occurred_at <= ?{owned.and_clause}"
    table = _int_table(raw_rows(connection, sql, (as_of, *owned.params)), 3)
    position = contact_positions(contacts.ids, table[:, 0])
    live = position >= 0
    return ActivityArrays(position[live], table[live, 1], table[live, 2])


def contact_positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each wanted id sits in the ascending `ids`, or -1; a direct lookup array since store ids are dense."""
    if not len(ids) or not len(wanted):
        return np.full(len(wanted), -1, dtype=np.int64)
    highest = max(int(ids.max()), int(wanted.max()))
    if highest > 8 * len(ids) + 1_000_000:  # sparse ids: a lookup array would waste memory, search instead
        position = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
        return np.where(ids[position] == wanted, position, -1)
    lookup = np.full(highest + 1, -1, dtype=np.int64)
    lookup[ids] = np.arange(len(ids))
    return lookup[wanted]


def _int_table(batches: Iterable[list[tuple]], width: int) -> np.ndarray:
    # fromiter over the flattened tuples is about 4x faster than np.array on a list of tuples
    parts = [
        np.fromiter(chain.from_iterable(batch), dtype=np.int64, count=len(batch) * width).reshape(-1, width)
        for batch in batches
    ]
    return np.concatenate(parts) if parts else np.zeros((0, width), dtype=np.int64)


def count_future_activities(
    connection: Connection,
    now: int,
    targeted: bool,
    scope: ContactScope | None = None,
    part: ContactSlice = ContactSlice(),
) -> int:
    owned = _untargeted(targeted, scope, "a.contact_id").also(part.on("a.contact_id"))
    sql = (
        f"SELECT COUNT(*) FROM activity a{_target_join(targeted, 'a.contact_id')} "
        f"WHERE a.occurred_at > ?{owned.and_clause}"
    )
    return int(next(raw_rows(connection, sql, (now, *owned.params)))[0][0])


def read_previous(
    connection: Connection,
    model: ScoringModel,
    contacts: ContactColumns,
    targeted: bool,
    scope: ContactScope | None = None,
    part: ContactSlice = ContactSlice(),
) -> tuple[list[tuple | None], PreviousState]:
    """The stored score rows (connector/store/scores.py ScoreRow) of the scored contacts, aligned with
    `contacts.ids` (None where unscored), and the state the next stages follow from."""
    contact = f"{ALIAS}.contact_id"
    owned = _untargeted(targeted, scope, contact).also(part.on(contact))
    join = _target_join(targeted, contact)
    stored = read_score_rows(connection, contacts.ids, join, owned.where_clause, owned.params)
    return stored, _previous_state(model, stored)


def _previous_state(model: ScoringModel, stored: list[tuple | None]) -> PreviousState:
    index = {name: position for position, name in enumerate(model.stage_names)}
    stage = np.array([NO_STAGE if row is None else index.get(row.stage, NO_STAGE) for row in stored], dtype=np.int64)
    flags = np.array([row is not None and row.reengaged for row in stored], dtype=bool)
    return PreviousState(stage, flags)
