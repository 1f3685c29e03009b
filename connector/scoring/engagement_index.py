"""The engagement index: the percentage of contacts engaged, overall and per value of a contact field."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from connector.crm import CONTACT_FIELDS
from connector.errors import InputError
from connector.scoring.snapshot import raw_rows


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
    """From the stored scores (run `score_store` first): one grouped query, largest groups first."""
    if by is not None and by not in CONTACT_FIELDS:
        raise InputError(f"cannot group by {by!r}; use one of: {', '.join(CONTACT_FIELDS)}")
    base = "FROM contact_score s JOIN contact c ON c.id = s.contact_id WHERE c.deleted = ?"
    counts = "COUNT(*), SUM(CASE WHEN s.engaged THEN 1 ELSE 0 END)"
    with engine.connect() as connection:
        [[(total, engaged)]] = list(raw_rows(connection, f"SELECT {counts} {base}", (False,)))
        groups: list[IndexRow] = []
        if by is not None:
            sql = f"SELECT c.{by}, {counts} {base} GROUP BY c.{by}"
            groups = [IndexRow(_text(row[0]), row[1], int(row[2] or 0)) for b in raw_rows(connection, sql, (False,))
                      for row in b]  # fmt: skip
    groups.sort(key=lambda row: (-row.contacts, str(row.group)))
    return EngagementIndex(by, IndexRow(None, int(total), int(engaged or 0)), tuple(groups))


def _text(value: object) -> str | None:
    return None if value is None else str(value)
