"""Reading the store into the arrays the scoring pipeline works on: plain cursors, integers, no ORM objects."""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy.engine import Connection

from connector.scoring.account_values import read_account_values
from connector.scoring.chunks import ContactSlice
from connector.scoring.conditions import TextColumn
from connector.scoring.fields import (
    BOOLEAN_FIELDS,
    EXTRA_PREFIX,
    NON_NEGATIVE_FIELDS,
    NUMERIC_FIELDS,
    is_account_value,
)
from connector.scoring.frame import ActivityArrays, ContactColumns, PreviousState
from connector.scoring.kinds import KindRow, KindTable, classify_kinds
from connector.scoring.model import ScoringModel
from connector.scoring.scope import Condition, ContactScope, contact_in_scope, owner_in_scope
from connector.scoring.stages import NO_STAGE
from connector.store.bulk import insert_rows, raw_rows, selected_as_text
from connector.store.contact_ids import CONTACT_TABLE
from connector.store.packed_rows import IntColumn, read_int_columns
from connector.store.scores import ALIAS, StoredDigests, read_stored_digests

TARGET_TABLE = "scoring_target"
#: Contacts per activity read: its rows come as one text of about 18 bytes a row (packed_rows.py), some 3.6 MB for
#: 10,000 contacts of 20 activities; both databases cap a text at 1 GB.
READ_BLOCK_CONTACTS = 10_000


def load_targets(connection: Connection, contact_ids: np.ndarray) -> None:
    """Put the contact ids an incremental run scores into a temporary table the reads join against."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{TARGET_TABLE}")
    else:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{TARGET_TABLE}")
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {TARGET_TABLE} (contact_id BIGINT PRIMARY KEY)")
    insert_rows(connection, TARGET_TABLE, ("contact_id",), [(value,) for value in contact_ids.tolist()])
    if connection.dialect.name != "postgresql":
        # Without statistics SQLite takes the targets table for as large as any, and walks all of `contact` and
        # `contact_score` probing it (24-33 ms per read at 100,000 contacts for 1,350 targets); with them it walks
        # the targets and looks each row up by key (3-6 ms). https://www.sqlite.org/lang_analyze.html
        connection.exec_driver_sql(f"ANALYZE temp.{TARGET_TABLE}")
    else:
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
    stored = sorted({_stored_column(name) for name in fields if not is_account_value(name)})
    select = ", ".join(["c.id", "c.created_at", *[selected_as_text(CONTACT_TABLE.c[name], "c") for name in stored]])
    in_scope = (Condition() if targeted else contact_in_scope(scope)).also(part.on("c.id"))  # targets: in scope
    sql = (
        f"SELECT {select} FROM contact c{_target_join(targeted, 'c.id')} "
        f"WHERE c.deleted = ? AND c.merged_into_id IS NULL{in_scope.and_clause} ORDER BY c.id"
    )
    rows = [row for batch in raw_rows(connection, sql, (False, *in_scope.params)) for row in batch]
    by_column = list(zip(*rows, strict=True)) or [()] * (2 + len(stored))  # rows to columns, in C
    ids = np.fromiter(by_column[0], dtype=np.int64, count=len(rows))
    created = by_column[1]
    raw = {name: by_column[2 + index] for index, name in enumerate(stored)}
    raw.update(read_account_values(connection, ids, fields))  # `account.stage` and the like: account_values.py
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
        if negative.any() and field in NON_NEGATIVE_FIELDS:  # an account's fit or score may well be negative
            warnings[f"{field} negative (rules skipped)"] = int(negative.sum())
            numbers[negative] = np.nan
        return numbers
    if field in BOOLEAN_FIELDS:
        return np.array([bool(value) for value in values], dtype=bool)
    if field == "email_domain":
        return TextColumn.from_values(list(map(_domain, values)))
    if field.startswith(EXTRA_PREFIX):
        key = field.removeprefix(EXTRA_PREFIX)
        return TextColumn.from_values(_extra_values(values, key))
    return TextColumn.from_values(values)


def _domain(email: str | None) -> str | None:
    if not email:
        return None
    _, at, domain = email.rpartition("@")
    return domain.strip().lower() if at else None


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
    return activity_arrays(contacts, read_activity_table(connection, as_of, targeted, scope, part))


def read_activity_table(
    connection: Connection,
    as_of: int,
    targeted: bool,
    scope: ContactScope | None = None,
    part: ContactSlice = ContactSlice(),
) -> np.ndarray:
    """(contact id, kind id, time) of the activities of `part` at or before as_of, of any contact, live or not.

    Read in blocks of about READ_BLOCK_CONTACTS of the run's contacts (`ContactSlice.blocks`), each walking the
    (contact_id, occurred_at, kind_id) index: a read sends its rows as one text (packed_rows.py), and a block keeps
    that text small."""
    columns = _activity_columns(connection, as_of, part)
    owned = _untargeted(targeted, scope, "a.contact_id")
    if targeted:
        # CROSS JOIN fixes SQLite's join order: walk the targets of the block, then each one's index entries
        sql, id_column = f"FROM {TARGET_TABLE} t CROSS JOIN activity a WHERE a.contact_id = t.contact_id AND ", "t"
    else:
        # unary + keeps SQLite off the occurred_at index: a block walks the (contact_id, occurred_at) index
        sql, id_column = "FROM activity a WHERE +", "a"
    tables = []
    for block in part.blocks(columns[0].least, columns[0].greatest, READ_BLOCK_CONTACTS):
        within = owned.also(block.on(f"{id_column}.contact_id"))
        tables.append(
            read_int_columns(
                connection, columns, f"{sql}a.occurred_at <= ?{within.and_clause}", (as_of, *within.params)
            )
        )
    return np.concatenate(tables)


def activity_arrays(contacts: ContactColumns, table: np.ndarray) -> ActivityArrays:
    """The rows of `read_activity_table` that belong to the scored contacts, by their position among them."""
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


def _activity_columns(connection: Connection, as_of: int, part: ContactSlice) -> tuple[IntColumn, ...]:
    """(contact, kind, time) with the ranges they can hold, so the read can pack them (packed_rows.py): one
    statement, each bound one index lookup."""
    bounds = (
        "SELECT (SELECT max(id) FROM contact), (SELECT max(id) FROM activity_kind),"
        " (SELECT min(occurred_at) FROM activity)"
    )
    [values] = next(raw_rows(connection, bounds))
    highest_contact, highest_kind, earliest = (int(value or 0) for value in values)
    first, last = (0, highest_contact) if part.first is None else (part.first, part.last)
    return (
        IntColumn("a.contact_id", first, last),
        IntColumn("a.kind_id", 0, highest_kind),
        IntColumn("a.occurred_at", min(earliest, as_of), as_of),
    )


def count_future_activities(
    connection: Connection,
    now: int,
    targeted: bool,
    scope: ContactScope | None = None,
    part: ContactSlice = ContactSlice(),
) -> int:
    owned = _untargeted(targeted, scope, "a.contact_id").also(part.on("a.contact_id"))
    # the few future activities by the occurred_at index, each checked against the targets: walking each target's
    # own activities instead read 13,000 index pages again at a million contacts. CROSS JOIN: that order on SQLite
    targets = f" CROSS JOIN {TARGET_TABLE} t" if targeted else ""
    within = Condition("t.contact_id = a.contact_id") if targeted else Condition()
    owned = within.also(owned)
    sql = f"SELECT COUNT(*) FROM activity a{targets} WHERE a.occurred_at > ?{owned.and_clause}"
    return int(next(raw_rows(connection, sql, (now, *owned.params)))[0][0])


def read_previous(
    connection: Connection,
    model: ScoringModel,
    contacts: ContactColumns,
    targeted: bool,
    scope: ContactScope | None = None,
    part: ContactSlice = ContactSlice(),
) -> tuple[StoredDigests, PreviousState]:
    """The stored fingerprints of the scored contacts' rows (connector/store/scores.py), aligned with
    `contacts.ids`, and the state the next stages follow from."""
    contact = f"{ALIAS}.contact_id"
    owned = _untargeted(targeted, scope, contact).also(part.on(contact))
    join = _target_join(targeted, contact)
    # an incremental run's contacts mostly change: their whole rows come with the fingerprints, in one read
    stored = read_stored_digests(connection, contacts.ids, join, owned.where_clause, owned.params, whole_rows=targeted)
    return stored, _previous_state(model, stored)


def _previous_state(model: ScoringModel, stored: StoredDigests) -> PreviousState:
    index = {name: position for position, name in enumerate(model.stage_names)}
    stage = np.array([NO_STAGE if name is None else index.get(name, NO_STAGE) for name in stored.stage], np.int64)
    return PreviousState(stage, stored.reengaged)


#: The same column reading for the account roll-up (connector/accounts/reading.py): the contact column a field is
#: read from (extra.* from "extra", email_domain from "email"), and a field's column for conditions from the stored
#: values by column.
stored_column = _stored_column
field_column = _column
