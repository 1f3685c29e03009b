"""One worker's share of a scoring run: `--shard i/N` scores the contacts whose store id % N == i.

Several workers (pods) sharing one PostgreSQL store each take one shard. The split is by id modulo, not by id
range, so it never moves: a contact belongs to the same shard whatever was imported between two runs, and no two
workers ever score one contact. Each shard keeps a checkpoint and a lock of its own (connector/scoring/run_lock.py,
connector/scoring/shard_checkpoint.py); docs/scaling.md says how to run them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from connector.errors import InputError
from connector.scoring.scope import CHECKPOINT_NAME_LIMIT, Condition, ContactScope, checkpoint_name

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (0 <= index < count)."""

    index: int
    count: int

    @property
    def label(self) -> str:
        """As the command line reads it: 0/4."""
        return f"{self.index}/{self.count}"

    @property
    def key(self) -> str:
        """In checkpoint and lock names (a lock file's name cannot hold "/"): 0-of-4."""
        return f"{self.index}-of-{self.count}"

    def condition(self, id_column: str) -> Condition:
        """Keeps the rows whose contact id (`id_column`) falls in this shard.

        The remainder is spelled with integer division: `%` is a parameter mark to psycopg, and SQLite's `mod()`
        exists only in builds with its math functions.
        """
        return Condition(f"{id_column} - ({id_column} / ?) * ? = ?", (self.count, self.count, self.index))


def parse_shard(text: str) -> Shard:
    """`i/N` as a Shard; InputError naming the value and the form otherwise."""
    match = _SHARD.fullmatch(text)
    if match is None:
        raise InputError(f"--shard {text!r}: give I/N, this worker's number I (0 to N-1) of N workers, e.g. 0/4")
    index, count = int(match[1]), int(match[2])
    if count < 1:
        raise InputError(f"--shard {text!r}: N, the number of workers, must be 1 or more")
    if index >= count:
        raise InputError(f"--shard {text!r}: I must be 0 to {count - 1} when N is {count}")
    return Shard(index, count)


#: Between a scope's checkpoint name and its shard's number; no connection name holds it (see `shard_prefix`).
SHARD_MARK = "#"


def shard_prefix(scope: ContactScope | None) -> str:
    """What the checkpoint names of every shard of `scope` begin with."""
    base = checkpoint_name(scope)
    if len(base) + len(SHARD_MARK) + 16 > CHECKPOINT_NAME_LIMIT:  # room for "#iiiii-of-nnnnn": shorten with a hash
        base = hashlib.sha256(base.encode()).hexdigest()[:40]
    return f"{base}{SHARD_MARK}"


def run_checkpoint_name(scope: ContactScope | None, shard: Shard | None) -> str:
    """The checkpoint a run plans from and moves: the scope's, or its shard's."""
    return checkpoint_name(scope) if shard is None else f"{shard_prefix(scope)}{shard.key}"
