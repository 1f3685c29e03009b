"""The account values a contact's conditions read (`account.stage`, `account.industry`, ...), per contact.

A contact's account here is its primary one (Salesforce Contact.AccountId, HubSpot's primary company, a lead's
match); a contact the CRM links to several accounts without a primary takes the highest-scored. A contact with no
live account has none of the values (missing): rules with `missing: true` hold, others do not, so contacts without
accounts score exactly as they would without the conditions.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sqlalchemy.engine import Connection

from connector.scoring.fields import ACCOUNT_PREFIX, ACCOUNT_SCORE_VALUES, is_account_value
from connector.store.bulk import raw_rows

#: Contacts above which all links are read at once rather than looked up in IN lists.
READ_ALL_AFTER = 5_000
LOOKUP_KEYS = 900


def account_values_read(fields: Iterable[str]) -> frozenset[str]:
    """The account value names (`stage`, `industry`) among a model's contact fields."""
    return frozenset(name.removeprefix(ACCOUNT_PREFIX) for name in fields if is_account_value(name))


def read_account_values(connection: Connection, ids: np.ndarray, fields: Iterable[str]) -> dict[str, list]:
    """For each `account.<name>` field, its value for every contact of `ids` (ascending), None without an account."""
    names = sorted(account_values_read(fields))
    if not names:
        return {}
    chosen = _primary_account_rows(connection, ids, names)
    return {ACCOUNT_PREFIX + name: [None if row is None else row[i] for row in chosen] for i, name in enumerate(names)}


def _primary_account_rows(connection: Connection, ids: np.ndarray, names: list[str]) -> list[tuple | None]:
    values = ", ".join(f"s.{name}" if name in ACCOUNT_SCORE_VALUES else f"a.{name}" for name in names)
    sql = (
        f"SELECT l.contact_id, l.is_primary, COALESCE(s.score, 0), a.id, {values} FROM account_contact l "
        "JOIN account a ON a.id = l.account_id LEFT JOIN account_score s ON s.account_id = a.id "
        "WHERE a.deleted = ? AND a.merged_into_id IS NULL"
    )
    rows: list[tuple] = []
    if len(ids) > READ_ALL_AFTER:
        rows = [row for batch in raw_rows(connection, sql, (False,)) for row in batch]
    else:
        for start in range(0, len(ids), LOOKUP_KEYS):
            batch_ids = [int(value) for value in ids[start : start + LOOKUP_KEYS]]
            marks = ", ".join("?" for _ in batch_ids)
            query = f"{sql} AND l.contact_id IN ({marks})"
            rows += [row for batch in raw_rows(connection, query, (False, *batch_ids)) for row in batch]
    # the best link first for each contact: primary, then the highest-scored account, then the oldest account
    rows.sort(key=lambda row: (row[0], not row[1], -float(row[2]), row[3]))
    best: dict[int, tuple] = {}
    for row in rows:
        best.setdefault(row[0], row[4:])
    return [best.get(int(contact_id)) for contact_id in ids]
