"""Reading accounts and their contacts out of the store into the arrays the roll-up works on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Connection

from connector.scoring.conditions import Column, column_matches
from connector.scoring.fields import EXTRA_PREFIX
from connector.scoring.model_accounts import AccountsModel
from connector.scoring.scope import ContactScope
from connector.scoring.snapshot import field_column, stored_column
from connector.store.bulk import raw_rows

#: No engaging activity ever (the store's `last_engaged_at` is empty).
NEVER = -1


@dataclass(frozen=True)
class AccountColumns:
    """The live accounts being scored: ids ascending, names, and the field columns the account fit reads."""

    ids: np.ndarray
    names: list[str | None]
    columns: dict[str, Column]

    @property
    def size(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Members:
    """One row per (live account, live contact) link: whose it is, how engaged the contact is, what roles it fills."""

    account: np.ndarray  # position in AccountColumns.ids
    contact_id: np.ndarray
    engagement: np.ndarray
    engaged: np.ndarray
    last_engaged: np.ndarray  # epoch seconds, or NEVER
    names: list[str]
    #: Per buying-group role (the model's order), whether the contact's fields fit it.
    roles: np.ndarray


def account_scope_sql(scope: ContactScope | None, table: str = "a") -> tuple[str, tuple]:
    """Live accounts of the scope (all connections for None), as a condition on `account` named `table`."""
    live = f"{table}.deleted = ? AND {table}.merged_into_id IS NULL"
    if scope is None:
        return live, (False,)
    return f"{live} AND {table}.source = ? AND {table}.instance = ?", (False, scope.source, scope.instance)


def read_accounts(
    connection: Connection, accounts: AccountsModel, scope: ContactScope | None, only: int | None = None
) -> AccountColumns:
    """The scope's live accounts (or the one account `only`), with the columns their fit rules test."""
    fields = sorted(_fit_fields(accounts))
    stored = sorted({"extra" if name.startswith(EXTRA_PREFIX) else name for name in fields})
    where, params = account_scope_sql(scope)
    if only is not None:
        where, params = f"{where} AND a.id = ?", (*params, only)
    select = ", ".join(["a.id", "a.name", *(f"a.{name}" for name in stored)])
    sql = f"SELECT {select} FROM account a WHERE {where} ORDER BY a.id"
    rows = [row for batch in raw_rows(connection, sql, params) for row in batch]
    raw = {name: [row[2 + index] for row in rows] for index, name in enumerate(stored)}
    columns = {name: field_column(name, raw, {}) for name in fields}  # the account's fields are typed as a contact's
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    return AccountColumns(ids, [row[1] for row in rows], columns)


def read_members(
    connection: Connection,
    accounts: AccountsModel,
    scope: ContactScope | None,
    account_ids: np.ndarray,
    only: int | None = None,
) -> Members:
    """Every live contact of the accounts read (the scope's, or the one account `only`), with its stored engagement
    and the fields the roles test."""
    role_fields = sorted({role.field for role in accounts.buying_group})
    stored = sorted({stored_column(name) for name in role_fields})
    where, params = account_scope_sql(scope)
    if only is not None:
        where, params = f"{where} AND a.id = ?", (*params, only)
    select = ", ".join(
        ["l.account_id", "l.contact_id", "s.engagement", "s.engaged", "s.last_engaged_at", "c.first_name",
         "c.last_name", "c.email", *(f"c.{name}" for name in stored)]
    )  # fmt: skip
    sql = (
        f"SELECT {select} FROM account_contact l JOIN account a ON a.id = l.account_id "
        "JOIN contact c ON c.id = l.contact_id LEFT JOIN contact_score s ON s.contact_id = c.id "
        f"WHERE {where} AND c.deleted = ? AND c.merged_into_id IS NULL ORDER BY l.account_id, l.contact_id"
    )
    rows = [row for batch in raw_rows(connection, sql, (*params, False)) for row in batch]
    position = np.searchsorted(account_ids, np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
    raw = {name: [row[8 + index] for row in rows] for index, name in enumerate(stored)}
    columns = {name: field_column(name, raw, {}) for name in role_fields}
    roles = np.zeros((len(accounts.buying_group), len(rows)), dtype=bool)
    for index, role in enumerate(accounts.buying_group):
        roles[index] = column_matches(role, columns[role.field])
    return Members(
        account=position.astype(np.int64),
        contact_id=np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows)),
        engagement=np.array([r[2] or 0.0 for r in rows], dtype=np.float64),
        engaged=np.array([bool(r[3]) for r in rows], dtype=bool),
        last_engaged=np.array([NEVER if r[4] is None else r[4] for r in rows], dtype=np.int64),
        names=[_person(r[5], r[6], r[7]) for r in rows],
        roles=roles,
    )


def _fit_fields(accounts: AccountsModel) -> set[str]:
    return set(accounts.fit.fields) | {rule.field for rule in accounts.fit.disqualifiers}


def _person(first: str | None, last: str | None, email: str | None) -> str:
    """How a reason names a contact: the name the CRM holds, else the email address."""
    name = " ".join(part for part in (first, last) if part)
    return name or email or "a contact without a name"
