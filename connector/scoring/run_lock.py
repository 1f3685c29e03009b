"""Which scoring runs may overlap: runs over different connections may, runs over the same contacts never.

Every run holds the lock of its own checkpoint, "scoring:<checkpoint>", so two runs of one connection cannot
interleave. Every run also holds the store-wide "scoring" lock: shared by a run over one connection, exclusive by
a run over the whole store. So the syncs of a Salesforce org and a HubSpot portal score side by side, while
`scorebridge score` (every contact) runs alone. Locks are tried, never waited for: a busy store raises
StoreBusyError before anything is read or written.

A shard's run (`--shard i/N`, connector/scoring/shard.py) holds its shard's lock, and its scope's lock and the
store-wide lock shared: the shards of one scope run side by side, and never beside an unsharded run of that scope.
A shard of the whole store also holds every connection's lock shared, so no connection's sync scores beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy.engine import Engine

from connector.errors import StoreBusyError
from connector.scoring.scope import ContactScope, checkpoint_name
from connector.scoring.shard import Shard, run_checkpoint_name
from connector.store.bulk import raw_rows
from connector.store.lock import run_locks

STORE_LOCK = "scoring"


def scope_lock_name(scope: ContactScope | None) -> str:
    return f"{STORE_LOCK}:{checkpoint_name(scope)}"


@contextmanager
def scoring_lock(engine: Engine, scope: ContactScope | None, shard: Shard | None = None) -> Iterator[None]:
    """Hold the locks of a run over `scope` (None: every contact), or one shard of it, or raise StoreBusyError."""
    with ExitStack() as held:
        try:
            held.enter_context(run_locks(engine, _locks(engine, scope, shard)))
        except StoreBusyError:
            raise StoreBusyError(_busy_message(scope, shard)) from None
        yield


def _locks(engine: Engine, scope: ContactScope | None, shard: Shard | None) -> list[tuple[str, bool]]:
    """(lock name, shared) in the order taken."""
    if shard is None:
        return [(scope_lock_name(scope), False), (STORE_LOCK, scope is not None)]
    own = [(f"{STORE_LOCK}:{run_checkpoint_name(scope, shard)}", False), (scope_lock_name(scope), True)]
    connections = [(scope_lock_name(each), True) for each in _connections(engine)] if scope is None else []
    return [*own, *connections, (STORE_LOCK, True)]


def _connections(engine: Engine) -> list[ContactScope]:
    with engine.connect() as connection:
        rows = raw_rows(connection, "SELECT DISTINCT source, instance FROM contact ORDER BY source, instance")
        return [ContactScope(source, instance) for batch in rows for source, instance in batch]


def _busy_message(scope: ContactScope | None, shard: Shard | None) -> str:
    if shard is not None:
        return (
            f"shard {shard.label} of {'the store' if scope is None else repr(scope.instance)} cannot be scored now: "
            "this shard or an unsharded run of the same contacts is in progress; nothing was scored, try again later"
        )
    if scope is None:
        return "another scoring run is in progress (a sync or `scorebridge score`); nothing was scored, try again later"
    return (
        f"another scoring run over the contacts of {scope.source} connection {scope.instance!r} is in progress "
        "(this connection's sync or `scorebridge score`); nothing was scored, try again later"
    )
