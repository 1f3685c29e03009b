"""Which scoring runs may overlap: runs over different connections may, runs over the same contacts never.

Every run holds the lock of its own checkpoint, "scoring:<checkpoint>", so two runs of one connection cannot
interleave. Every run also holds the store-wide "scoring" lock: shared by a run over one connection, exclusive by
a run over the whole store. So the syncs of a Salesforce org and a HubSpot portal score side by side, while
`scorebridge score` (every contact) runs alone. Locks are tried, never waited for: a busy store raises
StoreBusyError before anything is read or written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy.engine import Engine

from connector.errors import StoreBusyError
from connector.scoring.scope import ContactScope, checkpoint_name
from connector.store.lock import connection_lock

STORE_LOCK = "scoring"


def scope_lock_name(scope: ContactScope | None) -> str:
    return f"{STORE_LOCK}:{checkpoint_name(scope)}"


@contextmanager
def scoring_lock(engine: Engine, scope: ContactScope | None) -> Iterator[None]:
    """Hold the locks of a run over `scope` (None: every contact) for the block, or raise StoreBusyError."""
    with ExitStack() as held:
        try:
            held.enter_context(connection_lock(engine, scope_lock_name(scope)))
            held.enter_context(connection_lock(engine, STORE_LOCK, shared=scope is not None))
        except StoreBusyError:
            raise StoreBusyError(_busy_message(scope)) from None
        yield


def _busy_message(scope: ContactScope | None) -> str:
    if scope is None:
        return "another scoring run is in progress (a sync or `scorebridge score`); nothing was scored, try again later"
    return (
        f"another scoring run over the contacts of {scope.source} connection {scope.instance!r} is in progress "
        "(this connection's sync or `scorebridge score`); nothing was scored, try again later"
    )
