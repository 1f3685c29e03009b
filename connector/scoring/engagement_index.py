"""The engagement index: the percentage of contacts engaged, overall and per value of a contact field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine

from connector.crm import CONTACT_FIELDS
from connector.errors import InputError
from connector.scoring.replay import Replay
from connector.scoring.snapshot import placeholder, raw_rows

REPLAY_TABLE = "replayed_score"


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


def engagement_index(engine: Engine, by: str | None = None) -> EngagementIndex:
    """From the stored (live) scores: one grouped query, largest groups first."""
    with engine.connect() as connection:
        return _index_of(connection, "contact_score", by)


def replayed_index(
    engine: Engine, replays: Callable[[Connection], list[Replay]], by: str | None = None
) -> EngagementIndex:
    """The index at another moment, from replays computed on the same connection; the store is left unchanged.

    The replayed `engaged` flags go into a temporary table that the same grouped query reads instead of
    `contact_score`, so the live and the replayed index are one definition.
    """
    _check_group(by)
    with engine.connect() as connection:
        try:
            rows = [row for replay in replays(connection) for row in _engaged_rows(replay)]
            _load_replayed(connection, rows)
            return _index_of(connection, REPLAY_TABLE, by)
        finally:
            connection.rollback()  # the temporary table goes with the transaction


def _check_group(by: str | None) -> None:
    if by is not None and by not in CONTACT_FIELDS:
        raise InputError(f"cannot group by {by!r}; use one of: {', '.join(CONTACT_FIELDS)}")


def _index_of(connection: Connection, table: str, by: str | None) -> EngagementIndex:
    _check_group(by)
    base = f"FROM {table} s JOIN contact c ON c.id = s.contact_id WHERE c.deleted = ?"
    counts = "COUNT(*), SUM(CASE WHEN s.engaged THEN 1 ELSE 0 END)"
    [[(total, engaged)]] = list(raw_rows(connection, f"SELECT {counts} {base}", (False,)))
    groups: list[IndexRow] = []
    if by is not None:
        sql = f"SELECT c.{by}, {counts} {base} GROUP BY c.{by}"
        groups = [IndexRow(_text(row[0]), row[1], int(row[2] or 0)) for b in raw_rows(connection, sql, (False,))
                  for row in b]  # fmt: skip
    groups.sort(key=lambda row: (-row.contacts, str(row.group)))
    return EngagementIndex(by, IndexRow(None, int(total), int(engaged or 0)), tuple(groups))


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
