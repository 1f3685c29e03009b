"""The checkpoints of a sharded run: one per shard, and the scope's own once every shard has scored.

A shard's run plans from its own checkpoint, "<scope checkpoint>#i/N", and moves only that one. After a shard's
run has committed, the scope's checkpoint (the one an unsharded run and the sync read) is moved when every shard
of N holds a checkpoint of the same model, to the earliest of their moments: every contact of the scope has then
been scored with that model at that moment or later, and an unsharded run planning from there rescores a superset
of what changed (planning is conservative in its start). It is checked after the commit, in its own transaction,
so of two shards finishing together the later one always sees the other's checkpoint.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from connector.scoring.model import ScoringModel
from connector.scoring.planning import read_checkpoint, write_checkpoint
from connector.scoring.scope import ContactScope, checkpoint_name
from connector.scoring.shard import Shard, run_checkpoint_name
from connector.store.bulk import raw_rows


def combine_shard_checkpoints(engine: Engine, scope: ContactScope | None, shard: Shard, model: ScoringModel) -> bool:
    """Move the scope's checkpoint when every shard of `shard.count` is scored with `model`; whether it moved."""
    names = [run_checkpoint_name(scope, Shard(index, shard.count)) for index in range(shard.count)]
    with engine.begin() as connection:
        marks = ", ".join("?" * len(names))
        sql = f"SELECT model_version, as_of FROM scoring_checkpoint WHERE scope IN ({marks})"
        rows = [row for batch in raw_rows(connection, sql, names) for row in batch]
        if len(rows) < shard.count or any(version != model.version for version, _ in rows):
            return False
        earliest = min(int(as_of) for _, as_of in rows)
        current = read_checkpoint(connection, checkpoint_name(scope))
        if current is not None and current.model_version == model.version and current.as_of >= earliest:
            return False
        write_checkpoint(connection, checkpoint_name(scope), model, earliest)
        return True
