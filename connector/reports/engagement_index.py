"""The engagement index: the percentage of contacts engaged, overall and per value of a contact field, per account
(`--by account`: the live contacts each live account holds) or per score group (the model's `groups`: engaged means
the group's engagement reaches `engaged_at_least`)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine

from connector.crm import CONTACT_FIELDS
from connector.errors import InputError
from connector.scoring.groups import group_documents
from connector.scoring.replay import Replay
from connector.store.bulk import placeholder, raw_rows

REPLAY_TABLE = "replayed_score"
#: The name of the grouping in `EngagementIndex.by` for the index per score group.
BY_SCORE_GROUP = "score group"
#: `--by account`: one row per account, named `Acme Corp (001ACME)`; a contact of several accounts counts in each,
#: and contacts of no account are the "(empty)" row.
BY_ACCOUNT = "account"
ACCOUNT_GROUPING = (
    "LEFT JOIN (SELECT ac.contact_id, a.id, a.name, a.crm_id FROM account_contact ac JOIN account a "
    "ON a.id = ac.account_id WHERE a.deleted = ? AND a.merged_into_id IS NULL) a ON a.contact_id = c.id"
)


@dataclass(frozen=True)
class IndexRow:
    group: str | None
    contacts: int
    engaged: int

    @property
    def percent(self) -> float:
        return 100.0 * self.engaged / self.contacts if self.contacts else 0.0


@dataclass(frozen=True)
class EngagementIndex:
    by: str | None
    overall: IndexRow
    groups: tuple[IndexRow, ...]


def engagement_index(engine: Engine, by: str | None = None, by_group: bool = False) -> EngagementIndex:
    """From the stored (live) scores: one grouped query, largest groups first. `by_group`: one row per score group,
    from the group documents stored with the scores (`contact_score.groups`)."""
    _check_group(by, by_group)
    with engine.connect() as connection:
        index = _index_of(connection, "contact_score", by)
        if not by_group:
            return index
        sql = "SELECT s.groups FROM contact_score s JOIN contact c ON c.id = s.contact_id WHERE c.deleted = ?"
        stored = (_document(value) for batch in raw_rows(connection, sql, (False,)) for (value,) in batch)
        return EngagementIndex(BY_SCORE_GROUP, index.overall, _score_group_rows(stored))


def replayed_index(
    engine: Engine, replays: Callable[[Connection], list[Replay]], by: str | None = None, by_group: bool = False
) -> EngagementIndex:
    """The index at another moment, from replays computed on the same connection; the store is left unchanged.

    The replayed `engaged` flags go into a temporary table that the same grouped query reads instead of
    `contact_score`, so the live and the replayed index are one definition; per score group, the replayed group
    documents are counted as the stored ones are.
    """
    _check_group(by, by_group)
    with engine.connect() as connection:
        try:
            replayed = replays(connection)
            _load_replayed(connection, [row for replay in replayed for row in _engaged_rows(replay)])
            index = _index_of(connection, REPLAY_TABLE, by)
        finally:
            connection.rollback()  # the temporary table goes with the transaction
    if not by_group:
        return index
    documents = (document for replay in replayed for document in group_documents(replay.frame))
    return EngagementIndex(BY_SCORE_GROUP, index.overall, _score_group_rows(documents))


def _check_group(by: str | None, by_group: bool = False) -> None:
    if by is not None and by not in (*CONTACT_FIELDS, BY_ACCOUNT):
        raise InputError(f"cannot group by {by!r}; use {BY_ACCOUNT} or one of: {', '.join(CONTACT_FIELDS)}")
    if by is not None and by_group:
        raise InputError(f"group by a contact field ({by}) or by score group, not both")


def _score_group_rows(documents: Iterable[dict]) -> tuple[IndexRow, ...]:
    """Per score group: the contacts whose scores have that group, and those engaged in it; largest first."""
    contacts: Counter[str] = Counter()
    engaged: Counter[str] = Counter()
    for document in documents:
        for group, entry in document.items():
            contacts[group] += 1
            engaged[group] += bool(entry.get("engaged"))
    rows = [IndexRow(group, count, engaged[group]) for group, count in contacts.items()]
    return tuple(sorted(rows, key=lambda row: (-row.contacts, str(row.group))))


def _document(stored: object) -> dict:
    """A stored group document, whether the driver returned JSON text (SQLite) or a dict (PostgreSQL)."""
    return (json.loads(stored) if isinstance(stored, str) else stored) or {}


def _index_of(connection: Connection, table: str, by: str | None) -> EngagementIndex:
    _check_group(by)
    base = f"FROM {table} s JOIN contact c ON c.id = s.contact_id WHERE c.deleted = ?"
    counts = "COUNT(*), SUM(CASE WHEN s.engaged THEN 1 ELSE 0 END)"
    [[(total, engaged)]] = list(raw_rows(connection, f"SELECT {counts} {base}", (False,)))
    groups: list[IndexRow] = []
    if by == BY_ACCOUNT:
        groups = _account_rows(connection, table)
    elif by is not None:
        sql = f"SELECT c.{by}, {counts} {base} GROUP BY c.{by}"
        groups = [IndexRow(_text(row[0]), row[1], int(row[2] or 0)) for b in raw_rows(connection, sql, (False,))
                  for row in b]  # fmt: skip
    groups.sort(key=lambda row: (-row.contacts, str(row.group)))
    return EngagementIndex(by, IndexRow(None, int(total), int(engaged or 0)), tuple(groups))


def _account_rows(connection: Connection, table: str) -> list[IndexRow]:
    """One row per live account with live contacts, named with its CRM id; contacts of none in one "(empty)" row."""
    sql = (
        f"SELECT a.name, a.crm_id, COUNT(*), SUM(CASE WHEN s.engaged THEN 1 ELSE 0 END) FROM {table} s "
        f"JOIN contact c ON c.id = s.contact_id {ACCOUNT_GROUPING} WHERE c.deleted = ? GROUP BY a.id, a.name, a.crm_id"
    )
    rows = (row for batch in raw_rows(connection, sql, (False, False)) for row in batch)
    return [IndexRow(_account_label(name, crm_id), count, int(engaged or 0)) for name, crm_id, count, engaged in rows]


def _account_label(name: str | None, crm_id: str | None) -> str | None:
    return None if crm_id is None else f"{name or '(no name)'} ({crm_id})"


def _engaged_rows(replay: Replay) -> zip:
    return zip(replay.contact_ids.tolist(), replay.engaged.tolist(), strict=True)


def _load_replayed(connection: Connection, rows: list[tuple[int, bool]]) -> None:
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {REPLAY_TABLE} (contact_id BIGINT PRIMARY KEY, engaged BOOLEAN)"
    )
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        mark = placeholder(connection)
        cursor.executemany(f"INSERT INTO {REPLAY_TABLE} (contact_id, engaged) VALUES ({mark}, {mark})", rows)
    finally:
        cursor.close()


def _text(value: object) -> str | None:
    return None if value is None else str(value)
