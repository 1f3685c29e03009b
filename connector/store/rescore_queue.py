"""The contacts an incremental scoring run must score because something about them changed.

Every writer that changes what a score is computed from puts the contact in the queue: a new contact, a changed
field that matters, a merge, an activity added, changed or removed, an account link or an account's values. The
planning of the next run reads the queue (connector/scoring/planning.py), and the run takes out the contacts it
scored, in its one transaction. A narrow table of its own rather than a flag on `contact`: raising and lowering a
flag rewrote a wide contact row and an index entry each time (migration 0009 says how much that cost).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, true
from sqlalchemy.engine import Connection

from connector.store.bulk import insert_ignoring_duplicates, placeholder
from connector.store.tables import RescoreQueue

RESCORE_QUEUE = RescoreQueue.__table__


def queue_for_rescore(connection: Connection, contact_ids: Sequence[int] | Select) -> None:
    """Put contacts (ids, any number of them: one executemany, no IN list; or a SELECT of ids) in the queue; a
    contact queued already stays queued once."""
    statement = insert_ignoring_duplicates(connection, RESCORE_QUEUE)
    if isinstance(contact_ids, Select):
        # SQLite reads "ON CONFLICT" after a bare FROM as a join's ON: a WHERE clause keeps the two apart
        # (https://www.sqlite.org/lang_upsert.html, "Parsing Ambiguity")
        selected = contact_ids.distinct()
        if selected.whereclause is None:
            selected = selected.where(true())
        connection.execute(statement.from_select(["contact_id"], selected))
    elif contact_ids:
        connection.execute(statement, [{"contact_id": contact_id} for contact_id in contact_ids])


def take_out(connection: Connection, scored: str | None, params: Sequence[object] = ()) -> None:
    """Take the contacts a run scored out of the queue: those the SQL `scored` selects (`?` parameters), or all."""
    where = "" if scored is None else f" WHERE contact_id IN ({scored})"
    sql = f"DELETE FROM {RESCORE_QUEUE.name}{where}"
    connection.exec_driver_sql(sql.replace("?", placeholder(connection)), tuple(params))
