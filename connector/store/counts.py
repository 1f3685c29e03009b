"""What an upsert did with the records it was given."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class UpsertCounts:
    """What an upsert did with the records it was given."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Records that arrived flagged deleted and changed the store (contact flagged, activity removed).
    deleted: int = 0
    #: Records that could not be stored: activities of contacts not in the store, deletions of unknown contacts.
    skipped: int = 0
    #: Records stored after values the store cannot hold (NUL, lone surrogates) were taken out: see storable.py.
    cleaned: int = 0
    #: Outcome links to contacts the store does not know (the outcome is stored without them): pull or import
    #: the contacts first. For contacts: links to accounts the store does not hold (the contact is stored without
    #: them).
    unlinked: int = 0

    @classmethod
    def classified(
        cls, *, read: int, distinct: int, inserted: int, changed: int, deleted: int, skipped: int, **more: int
    ) -> UpsertCounts:
        """The counts of a chunk of `read` records, `distinct` of them by key (the rest repeat a key: the last
        wins), classified as `inserted`, `changed` (of which `deleted` newly flagged deleted), `skipped`, or else
        unchanged."""
        return cls(
            read=read,
            inserted=inserted,
            updated=changed - deleted,
            unchanged=distinct - inserted - changed - skipped,
            deleted=deleted,
            skipped=skipped + read - distinct,
            **more,
        )

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))
