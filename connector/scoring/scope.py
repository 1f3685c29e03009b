"""Which contacts a scoring run covers: every contact of the store, or those of one CRM connection.

A connector config may hold several connections (a Salesforce org and a HubSpot portal), each scored with its own
model. A run limited to one connection reads, plans and writes only that connection's contacts and keeps its own
checkpoint, so it neither rescores another connection's contacts with the wrong model nor resets their checkpoint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

#: The checkpoint of a run over the whole store (the `scorebridge score` command).
DEFAULT_SCOPE = "default"
#: `scoring_checkpoint.scope` is a VARCHAR(100); a longer name is shortened with a hash to stay distinct.
CHECKPOINT_NAME_LIMIT = 100


@dataclass(frozen=True)
class ContactScope:
    """The contacts of one connection: `contact.source` is the CRM, `contact.instance` the connection name."""

    source: str
    instance: str

    @property
    def checkpoint(self) -> str:
        name = f"{self.source}:{self.instance}"
        if len(name) <= CHECKPOINT_NAME_LIMIT:
            return name
        return f"{self.source}:{hashlib.sha256(self.instance.encode()).hexdigest()[:32]}"


def checkpoint_name(scope: ContactScope | None) -> str:
    return DEFAULT_SCOPE if scope is None else scope.checkpoint


@dataclass(frozen=True)
class Condition:
    """A SQL condition with its `?` parameters; empty (no condition at all) for a run over the whole store."""

    sql: str = ""
    params: tuple = ()

    @property
    def and_clause(self) -> str:
        return f" AND {self.sql}" if self.sql else ""

    @property
    def where_clause(self) -> str:
        return f" WHERE {self.sql}" if self.sql else ""

    def also(self, other: Condition) -> Condition:
        """Both conditions, either of which may be empty."""
        sql = " AND ".join(part for part in (self.sql, other.sql) if part)
        return Condition(sql, (*self.params, *other.params))


def contact_in_scope(scope: ContactScope | None, table: str = "c") -> Condition:
    """Keeps the rows of `contact` (named `table` in the query) that belong to the scope."""
    if scope is None:
        return Condition()
    return Condition(f"{table}.source = ? AND {table}.instance = ?", (scope.source, scope.instance))


def owner_in_scope(scope: ContactScope | None, contact_column: str) -> Condition:
    """Keeps the rows of another table (activity, contact_score) whose contact belongs to the scope.

    The unary + keeps SQLite from driving the query through the contact_id index: it scans the table once and
    probes the scope's contact ids (a small table built once), which beats one index lookup per contact when the
    connection holds most of the store; PostgreSQL plans it as a hashed semi-join either way.
    """
    if scope is None:
        return Condition()
    return Condition(
        f"+{contact_column} IN (SELECT id FROM contact WHERE source = ? AND instance = ?)",
        (scope.source, scope.instance),
    )
