"""Writing an account run to the store: only the account_score rows that changed, and a transition per stage change."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.engine import Connection

from connector.accounts.reading import account_scope_sql
from connector.scoring.scope import ContactScope
from connector.scoring.scores import DECIMALS
from connector.store.account_writer import SHOWN_STAGE
from connector.store.bulk import raw_rows
from connector.store.contact_ids import LOOKUP_KEYS
from connector.store.tables import AccountScore, AccountTransition

SCORE_TABLE: Table = AccountScore.__table__  # type: ignore[attr-defined]
TRANSITION_TABLE: Table = AccountTransition.__table__  # type: ignore[attr-defined]
#: The account_score columns a run computes, in this order in `AccountRow`.
SCORE_COLUMNS = (
    "fit",
    "engagement",
    "score",
    "grade",
    "stage",
    "engaged_contacts",
    "coverage",
    "last_engaged_at",
    "reasons",
    "model_version",
)
#: Where the reasons sit among the values: a run phrases them only for accounts whose other values moved.
REASONS = SCORE_COLUMNS.index("reasons")
COVERAGE = SCORE_COLUMNS.index("coverage")
#: The values a contact's conditions may read (`account.<name>`): a change in one of them rescores its contacts.
CONTACT_VISIBLE = ("fit", "engagement", "score", "grade", "stage", "engaged_contacts")


@dataclass(frozen=True)
class AccountRow:
    account_id: int
    values: tuple  # SCORE_COLUMNS order

    def value(self, name: str) -> object:
        return self.values[SCORE_COLUMNS.index(name)]


@dataclass(frozen=True)
class AccountStageChange:
    account_id: int
    from_stage: str | None
    to_stage: str
    reason: str


@dataclass(frozen=True)
class WrittenAccounts:
    rows_written: int
    transitions: tuple[AccountStageChange, ...]
    #: Accounts whose values a contact condition may read changed: account id -> the names that changed.
    moved_values: dict[int, frozenset[str]]


def without_reasons(row: AccountRow) -> tuple:
    return row.values[:REASONS] + row.values[REASONS + 1 :]


def rounded(values: np.ndarray) -> list[float]:
    """Scores as stored: to `DECIMALS` places, as plain floats (what the store hands back compares equal)."""
    return np.round(values.astype(np.float64), DECIMALS).tolist()


def read_stored(connection: Connection, scope: ContactScope | None) -> dict[int, AccountRow]:
    """The stored rows of the scope's live accounts. Their reasons are not read (None): a run phrases reasons only
    for the accounts whose other values moved, and writes nothing for the others."""
    where, params = account_scope_sql(scope)
    columns = ", ".join("NULL" if name == "reasons" else f"s.{name}" for name in SCORE_COLUMNS)
    sql = f"SELECT s.account_id, {columns} FROM account_score s JOIN account a ON a.id = s.account_id WHERE {where}"
    lists: dict[str, list] = {}
    return {
        row[0]: AccountRow(row[0], _decoded(row[1:], lists))
        for batch in raw_rows(connection, sql, params)
        for row in batch
    }


def write_accounts(
    connection: Connection,
    rows: Sequence[AccountRow],
    stored: dict[int, AccountRow],
    reasons: dict[int, str],
    at: int,
    scored_at: int,
) -> WrittenAccounts:
    """Write the rows that differ from `stored`; `reasons` gives each account's stage reason (for transitions).

    An account this store never scored starts from the stage its CRM record shows (AccountRecord.shown_stage, kept
    in `extra`): a store rebuilt
    from scratch, or a second store of the same org, then sees no transition into a stage the CRM already shows,
    so an account owner never gets a second task for what ScoreBridge already told them."""
    changed = [row for row in rows if stored.get(row.account_id) is None or stored[row.account_id].values != row.values]
    shown = shown_stages(connection, [row.account_id for row in changed if row.account_id not in stored])
    _upsert(connection, changed, stored, scored_at)
    before = {row.account_id: _stage(stored.get(row.account_id), shown.get(row.account_id)) for row in changed}
    transitions = tuple(
        AccountStageChange(row.account_id, before[row.account_id], row.value("stage"), reasons[row.account_id])
        for row in changed
        if before[row.account_id] != row.value("stage")
    )
    if transitions:
        version = rows[0].value("model_version")
        connection.execute(
            insert(TRANSITION_TABLE),
            [{"account_id": t.account_id, "from_stage": t.from_stage, "to_stage": t.to_stage, "at": at,
              "reason": t.reason, "model_version": version} for t in transitions],
        )  # fmt: skip
    return WrittenAccounts(len(changed), transitions, _moved_values(changed, stored))


def _upsert(connection: Connection, changed: Sequence[AccountRow], stored: dict[int, AccountRow], at: int) -> None:
    new = [
        {"account_id": row.account_id, **_values(row), "scored_at": at}
        for row in changed
        if row.account_id not in stored
    ]
    updated = [{"key": row.account_id, **_values(row), "scored_at": at} for row in changed if row.account_id in stored]
    if new:
        connection.execute(insert(SCORE_TABLE), new)
    if updated:
        connection.execute(update(SCORE_TABLE).where(SCORE_TABLE.c.account_id == bindparam("key")), updated)


def _moved_values(changed: Sequence[AccountRow], stored: dict[int, AccountRow]) -> dict[int, frozenset[str]]:
    moved = {}
    for row in changed:
        before = stored.get(row.account_id)
        names = frozenset(n for n in CONTACT_VISIBLE if before is None or before.value(n) != row.value(n))
        if names:
            moved[row.account_id] = names
    return moved


def shown_stages(connection: Connection, account_ids: Sequence[int]) -> dict[int, str]:
    """Account id -> the stage its CRM record shows (`SHOWN_STAGE` in `extra`), for the accounts that show one."""
    shown: dict[int, str] = {}
    for start in range(0, len(account_ids), LOOKUP_KEYS):
        batch = account_ids[start : start + LOOKUP_KEYS]
        sql = f"SELECT id, extra FROM account WHERE id IN ({', '.join('?' * len(batch))})"
        for rows in raw_rows(connection, sql, tuple(batch)):
            for account_id, extra in rows:
                stage = (json.loads(extra) if isinstance(extra, str) else extra or {}).get(SHOWN_STAGE)
                if stage:
                    shown[account_id] = str(stage)
    return shown


def _stage(row: AccountRow | None, shown: str | None = None) -> str | None:
    """The stage an account was in before this run: the stored one, or for a first scoring the CRM's."""
    return shown if row is None else row.value("stage")


def _values(row: AccountRow) -> dict:
    return dict(zip(SCORE_COLUMNS, row.values, strict=True))


def _decoded(values: tuple, lists: dict[str, list]) -> tuple:
    """Stored values as a run computes them: the coverage list decoded (SQLite hands back JSON text; accounts share
    few distinct coverages, so each text is decoded once, through `lists`)."""
    decoded = list(values)
    coverage = decoded[COVERAGE]
    if isinstance(coverage, str):
        decoded[COVERAGE] = lists[coverage] if coverage in lists else lists.setdefault(coverage, json.loads(coverage))
    elif coverage is not None:
        decoded[COVERAGE] = list(coverage)
    return tuple(decoded)
