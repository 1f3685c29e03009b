"""Incremental state: how far each stream of each connection was pulled, written with the records it covers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session

from connector.crm import Bookmark
from connector.store.tables import SyncBookmark


def load_bookmark(session: Session, connection: str, stream: str) -> Bookmark | None:
    row = session.get(SyncBookmark, (connection, stream))
    return None if row is None else Bookmark(stream=stream, modified_at=row.modified_at, last_id=row.last_id)


def save_bookmark(session: Session, connection: str, bookmark: Bookmark, *, now: datetime) -> None:
    """Record ``bookmark`` in the caller's transaction, never moving past ``now`` (the run's start).

    Records changed while a run is going on may carry earlier stamps than the ones already seen (late commits),
    so the bookmark is capped at the run's start and the next run re-reads from there.
    """
    modified_at, last_id = bookmark.modified_at, bookmark.last_id
    if modified_at > now:
        modified_at, last_id = now, ""
    row = session.get(SyncBookmark, (connection, bookmark.stream))
    if row is None:
        row = SyncBookmark(connection=connection, stream=bookmark.stream, modified_at=modified_at, updated_at=now)
    elif (modified_at, last_id) < (row.modified_at, row.last_id):
        return  # a bookmark only moves forward
    row.modified_at, row.last_id, row.updated_at = modified_at, last_id, now
    session.add(row)


def clear_bookmarks(session: Session, connection: str, streams: tuple[str, ...]) -> None:
    """Forget where these streams stopped, so the next pull of them is a full one."""
    session.execute(delete(SyncBookmark).where(SyncBookmark.connection == connection, SyncBookmark.stream.in_(streams)))


#: The pseudo-stream whose row keeps, in `last_id`, the fingerprint of the mapping the stored records were pulled
#: with (64 hex digits fit its 64 characters); `clear_bookmarks` of the pulled streams leaves it alone.
MAPPING_STREAM = "mapping"


def load_mapping_fingerprint(session: Session, connection: str) -> str | None:
    row = session.get(SyncBookmark, (connection, MAPPING_STREAM))
    return None if row is None else row.last_id


def save_mapping_fingerprint(session: Session, connection: str, fingerprint: str, *, now: datetime) -> None:
    """Record, in the caller's transaction, that the store now holds what this mapping selects."""
    row = session.get(SyncBookmark, (connection, MAPPING_STREAM)) or SyncBookmark(
        connection=connection, stream=MAPPING_STREAM, modified_at=now, updated_at=now
    )
    row.modified_at, row.last_id, row.updated_at = now, fingerprint, now
    session.add(row)
