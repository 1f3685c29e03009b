"""Reading accounts and their contacts out of the store into the arrays the roll-up works on."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import chain

import numpy as np
from sqlalchemy.engine import Connection

from connector.scoring.conditions import Column, column_matches
from connector.scoring.fields import EXTRA_PREFIX
from connector.scoring.model_accounts import AccountsModel
from connector.scoring.scope import ContactScope, contact_in_scope, owner_in_scope
from connector.scoring.snapshot import field_column, stored_column
from connector.store.bulk import raw_rows

#: No engaging activity ever (the store's `last_engaged_at` is empty).
NEVER = -1
#: Contact ids per name look-up; well under SQLite's limit on bound parameters.
NAME_LOOKUP = 900
#: Contacts above which their fields are read in one scan of the table rather than in IN lists.
READ_ALL_AFTER = 5_000


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
    #: Per buying-group role (the model's order), whether the contact's fields fit it.
    roles: np.ndarray
    #: Contact id -> how reasons name it, for the contacts looked up so far (`with_names`).
    names: dict[int, str] = field(default_factory=dict)

    def name(self, row: int) -> str:
        return self.names.get(int(self.contact_id[row]), f"contact {int(self.contact_id[row])}")


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
    and the roles its fields fit. Names are read later, only for the accounts a run phrases (`with_names`).

    Three plain scans (links, live contacts, scores) joined in numpy: one B-tree look-up per link and table, as a
    SQL join does, costs more than reading the three tables whole."""
    links, live, scores = _member_tables(connection, scope, only)
    account = _positions(account_ids, links[:, 0])
    contact_ids = links[:, 1].astype(np.int64)
    kept = (account >= 0) & (_positions(np.sort(live[:, 0].astype(np.int64)), contact_ids) >= 0)
    order = np.lexsort((contact_ids[kept], account[kept]))
    account, contact_ids = account[kept][order], contact_ids[kept][order]
    score_ids = scores[:, 0].astype(np.int64)
    by_id = np.argsort(score_ids)
    found = _positions(score_ids[by_id], contact_ids)
    row = np.where(found >= 0, by_id[np.maximum(found, 0)] if len(by_id) else 0, -1)
    scored = row >= 0
    scores = scores if len(scores) else np.zeros((1, 4))  # nobody scored yet: every member reads as unscored
    return Members(
        account=account,
        contact_id=contact_ids,
        engagement=np.where(scored, scores[row, 1], 0.0),
        engaged=scored & (scores[row, 2] > 0),
        last_engaged=np.where(scored, scores[row, 3], NEVER).astype(np.int64),
        roles=_roles(connection, accounts, contact_ids),
    )


def _member_tables(
    connection: Connection, scope: ContactScope | None, only: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(account id, contact id) of the links, the ids of live contacts, and (contact id, engagement, engaged, last
    engaged) of the stored scores: of the scope, or of the one account `only`."""
    links_sql = "SELECT account_id, contact_id FROM account_contact"
    contacts_sql = "SELECT id FROM contact c WHERE c.deleted = ? AND c.merged_into_id IS NULL"
    scores_sql = (
        "SELECT contact_id, engagement, CASE WHEN engaged THEN 1 ELSE 0 END, "
        f"COALESCE(last_engaged_at, {NEVER}) FROM contact_score"
    )
    if only is not None:
        of_account = "(SELECT contact_id FROM account_contact WHERE account_id = ?)"
        return (
            _table(connection, f"{links_sql} WHERE account_id = ?", (only,), 2),
            _table(connection, f"{contacts_sql} AND c.id IN {of_account}", (False, only), 1),
            _table(connection, f"{scores_sql} WHERE contact_id IN {of_account}", (only,), 4),
        )
    in_scope, owned = contact_in_scope(scope), owner_in_scope(scope, "contact_id")
    return (
        _table(connection, links_sql, (), 2),
        _table(connection, f"{contacts_sql}{in_scope.and_clause}", (False, *in_scope.params), 1),
        _table(connection, f"{scores_sql}{owned.where_clause}", owned.params, 4),
    )


def _table(connection: Connection, sql: str, params: tuple, width: int) -> np.ndarray:
    """A query's rows of numbers as a 2-D array; fromiter over the flattened tuples is several times faster than
    numpy over a list of tuples."""
    parts = [
        np.fromiter(chain.from_iterable(batch), dtype=np.float64, count=len(batch) * width).reshape(-1, width)
        for batch in raw_rows(connection, sql, params)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, width), dtype=np.float64)


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each wanted id sits in the ascending `ids`, or -1."""
    ids = ids.astype(np.int64)
    wanted = wanted.astype(np.int64)
    if not len(ids):
        return np.full(len(wanted), -1, dtype=np.int64)
    position = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    return np.where(ids[position] == wanted, position, -1)


def _roles(connection: Connection, accounts: AccountsModel, contact_ids: np.ndarray) -> np.ndarray:
    """Per buying-group role and member, whether the contact's fields fit the role; each distinct contact's fields
    read and tested once."""
    roles = np.zeros((len(accounts.buying_group), len(contact_ids)), dtype=bool)
    if not accounts.buying_group or not len(contact_ids):
        return roles
    fields = sorted({role.field for role in accounts.buying_group})
    stored = sorted({stored_column(name) for name in fields})
    rows = _contact_fields(connection, np.unique(contact_ids), stored)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    raw = {name: [row[1 + index] for row in rows] for index, name in enumerate(stored)}
    columns = {name: field_column(name, raw, {}) for name in fields}
    position = np.searchsorted(ids, contact_ids)
    for index, role in enumerate(accounts.buying_group):
        roles[index] = column_matches(role, columns[role.field])[position]
    return roles


def _contact_fields(connection: Connection, ids: np.ndarray, columns: list[str]) -> list[tuple]:
    """(id, *columns) of these contacts, ascending by id: looked up in IN lists, or, for many, one scan."""
    select = f"SELECT id, {', '.join(columns)} FROM contact"
    if len(ids) > READ_ALL_AFTER:
        rows = [row for found in raw_rows(connection, f"{select} ORDER BY id") for row in found]
        wanted = set(ids.tolist())
        return [row for row in rows if row[0] in wanted]
    rows = []
    for start in range(0, len(ids), NAME_LOOKUP):
        batch = ids[start : start + NAME_LOOKUP].tolist()
        sql = f"{select} WHERE id IN ({', '.join('?' for _ in batch)}) ORDER BY id"
        rows += [row for found in raw_rows(connection, sql, batch) for row in found]
    return rows


def with_names(connection: Connection, members: Members, rows: np.ndarray) -> Members:
    """The members with the names of those in `rows` (the engaged contacts of the accounts a run phrases)."""
    wanted = sorted(set(members.contact_id[rows].tolist()) - set(members.names))
    names = dict(members.names)
    for start in range(0, len(wanted), NAME_LOOKUP):
        batch = wanted[start : start + NAME_LOOKUP]
        sql = f"SELECT id, first_name, last_name, email FROM contact WHERE id IN ({', '.join('?' for _ in batch)})"
        for found in raw_rows(connection, sql, batch):
            names.update((row[0], _person(*row[1:])) for row in found)
    return replace(members, names=names)


def _fit_fields(accounts: AccountsModel) -> set[str]:
    return set(accounts.fit.fields) | {rule.field for rule in accounts.fit.disqualifiers}


def _person(first: str | None, last: str | None, email: str | None) -> str:
    """How a reason names a contact: the name the CRM holds, else the email address."""
    name = " ".join(part for part in (first, last) if part)
    return name or email or "a contact without a name"
