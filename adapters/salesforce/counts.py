"""COUNT() answers that choose Bulk API 2.0 or REST for a first sync, shared between the streams of a sync.

(One more small answer rides along: whether the org held any task of ours when the run began; tasks.py.)

A Composite call carries up to five query subrequests and counts as one API call (composite.py); a stream rarely
fills it (accounts: one object, contacts: two). So the call a stream makes for its own counts also carries, in
its free slots, the counts of the objects later streams read, in sync order: a first sync of every stream then
costs one count call per five objects instead of one per stream, and no call is added when only one stream is
new (the spare answers are simply not used). Counts only pick a read path, so an answer a few minutes old does;
still, each serves once, and the adapter (so this) lives for one sync.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.composite import MAX_QUERIES_PER_CALL, Query, first_pages


class SharedCounts:
    def __init__(
        self, client: SalesforceClient, upcoming: Callable[[], Sequence[str]] = tuple, probes: Sequence[str] = ()
    ) -> None:
        """``upcoming``: the COUNT() statements of every stream's objects, in the order the sync reads them.
        ``probes``: other small queries, carried only by a call where a failed subrequest fails alone (describe)."""
        self._client = client
        self._upcoming = upcoming
        self._probes = tuple(probes)
        self._ready: dict[str, int] = {}
        self._asked: set[str] = set()

    def counts(self, statements: Sequence[str]) -> list[int]:
        """The row count of each statement, in order; the statements not answered yet are asked now, with as many
        upcoming ones as fit in the same calls."""
        wanted = list(dict.fromkeys(statements))
        missing = [statement for statement in wanted if statement not in self._ready]
        if missing:
            asked = [*missing, *self.spare(-len(missing) % MAX_QUERIES_PER_CALL, besides=missing)]
            answers = first_pages(self._client, [Query(statement, _what(statement)) for statement in asked])
            for statement, answer in zip(asked, answers, strict=True):
                self.keep(statement, answer)
        found = {statement: self._ready.pop(statement) for statement in wanted}
        return [found[statement] for statement in statements]

    def spare(self, room: int, besides: Sequence[str] = (), *, probes: bool = False) -> list[str]:
        """Up to ``room`` upcoming statements never asked yet: what another call can carry in its free slots."""
        candidates = [*(self._probes if probes else ()), *self._upcoming()]
        fresh = [s for s in dict.fromkeys(candidates) if s not in self._asked and s not in besides]
        return fresh[:room]

    def answered(self, statement: str) -> int | None:
        """The row count an earlier call brought for ``statement`` (served once), or None: nothing is asked here."""
        return self._ready.pop(statement, None)

    def forget(self, statement: str) -> None:
        self._ready.pop(statement, None)

    def keep(self, statement: str, answer: Mapping[str, Any]) -> None:
        """The answer of a COUNT() query another call carried."""
        self._asked.add(statement)
        self._ready[statement] = int(answer["totalSize"])


def _what(statement: str) -> str:
    return "count of " + statement.split(" FROM ", 1)[1].split(" ", 1)[0]
