"""Column types shared by the store's tables."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator


class UTCEpoch(TypeDecorator):
    """A timezone-aware UTC datetime stored as whole epoch seconds.

    Integers keep SQLite and PostgreSQL identical and let the scoring engine read millions of timestamps as
    plain numbers without parsing them.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | int | None, dialect) -> int | None:
        if value is None or isinstance(value, int):
            return value
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given where UTC is required")
        return int(value.timestamp())

    def process_result_value(self, value: int | None, dialect) -> datetime | None:
        return None if value is None else datetime.fromtimestamp(value, UTC)


def to_epoch(moment: datetime) -> int:
    """Whole UTC epoch seconds of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} given where UTC is required")
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
