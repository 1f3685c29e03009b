"""Parsing a large activity file in a second process while this one writes, so the two halves of an import overlap.

The parser gets the contacts' ids up front (a file's activities cannot add contacts), so it sends ready rows:
contact ids, a small index per distinct kind, epoch seconds as numpy arrays, sorted by contact, plus the source
ids. The writer only maps kind indexes to kind ids and inserts. The file is checked (header, first record)
before the process starts, so a bad file still fails at once and writes nothing; the parser's problem log is
merged back at the end. The parser dies with the writer, even when the writer is killed with -9.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from queue import Empty

import numpy as np

from connector.errors import InputError
from connector.importer.activities import ActivityRules, activity_chunks
from connector.importer.files import ProblemLog
from connector.store.records import ActivityRow, ActivityWriter, ContactKey, KindKey, UpsertCounts

#: Stands for "contact not in the store" in the id column (store ids start at 1).
NO_CONTACT = 0
#: Chunks parsed ahead of the writer: enough to keep both busy, few enough to keep memory flat.
CHUNKS_AHEAD = 4
#: How long the writer waits for a chunk before checking that the parser is still alive.
POLL_SECONDS = 1.0
#: prctl(2) option: the signal this process gets when its parent dies (<linux/prctl.h>).
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ResolvedChunk:
    """Activity rows with their contact ids known, sorted by contact, in a form that crosses processes cheaply."""

    contact_ids: np.ndarray
    kind_indexes: np.ndarray
    occurred_at: np.ndarray
    source_ids: list[str]
    #: Kind keys first seen in this chunk; their indexes follow those of earlier chunks.
    new_kinds: list[KindKey]
    #: Rows left out because their contact is not in the store.
    skipped: int


class KindIndexes:
    """Writer side: kind ids by the parser's kind indexes, kinds created in the store as they first appear."""

    def __init__(self, writer: ActivityWriter) -> None:
        self._writer = writer
        self._ids: list[int] = []

    def write(self, chunk: ResolvedChunk) -> UpsertCounts:
        if chunk.new_kinds:
            known = self._writer.kinds.resolve(chunk.new_kinds)
            self._ids.extend(known[key] for key in chunk.new_kinds)
        kind_ids = np.asarray(self._ids, dtype=np.int64)[chunk.kind_indexes]
        # The driver binds Python ints, not numpy scalars: tolist() converts in C.
        columns = (chunk.contact_ids.tolist(), kind_ids.tolist(), chunk.occurred_at.tolist(), chunk.source_ids)
        params = list(zip(*columns, strict=True))
        return self._writer.insert_resolved(params, skipped=chunk.skipped)


@contextmanager
def resolved_chunks_in_background(
    path: Path, file_format: str | None, log: ProblemLog, rules: ActivityRules, contact_ids: Mapping
) -> Iterator[Iterator[ResolvedChunk]]:
    with activity_chunks(path, file_format, ProblemLog(log.path), rules):
        pass  # opening checks the file as a whole, raising InputError before any process starts
    queue = multiprocessing.Queue(maxsize=CHUNKS_AHEAD)
    arguments = (os.getpid(), path, file_format, log.path, rules, dict(contact_ids), queue)
    parser = multiprocessing.Process(target=_parse, args=arguments, daemon=True)
    parser.start()
    try:
        yield _received(queue, parser, log)
    finally:
        if parser.is_alive():
            parser.kill()
        parser.join()
        queue.close()


def _parse(
    writer: int, path: Path, file_format: str | None, shown_path: str, rules: ActivityRules, contact_ids, queue
) -> None:
    _die_with(writer)
    log = ProblemLog(shown_path)
    kinds: dict[KindKey, int] = {}
    try:
        with activity_chunks(path, file_format, log, rules) as chunks:
            for chunk in chunks:
                queue.put(("rows", _resolved(chunk, contact_ids, kinds)))
    except Exception as error:  # anything the parser hits must reach the writer, which reports it
        queue.put(("failed", f"{type(error).__name__}: {error}"))
        return
    queue.put(("done", (log.kept, log.warnings, log.rejected_rows)))


def _die_with(parent: int) -> None:
    """End this process when ``parent`` dies: `daemon=True` only covers a parent that exits normally, and a parser
    left behind would block for ever on a full queue. Linux signals us (prctl(2), PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before we asked
        os._exit(1)


def _resolved(rows: list[ActivityRow], contact_ids: Mapping[ContactKey, int | None], kinds: dict) -> ResolvedChunk:
    known_before = len(kinds)
    get = contact_ids.get
    contacts = np.array([get(row[0]) or NO_CONTACT for row in rows], dtype=np.int64)
    indexes = np.array([kinds.setdefault(row[1], len(kinds)) for row in rows], dtype=np.int64)
    occurred_at = np.array([row[2] for row in rows], dtype=np.int64)
    # Sorted by contact, the rows land close together in the (contact, ...) indexes: far fewer page writes.
    order = np.argsort(contacts, kind="stable")
    order = order[contacts[order] != NO_CONTACT]
    return ResolvedChunk(
        contact_ids=contacts[order],
        kind_indexes=indexes[order],
        occurred_at=occurred_at[order],
        source_ids=[rows[position][3] for position in order.tolist()],
        new_kinds=list(kinds)[known_before:],
        skipped=len(rows) - len(order),
    )


def _received(queue, parser: multiprocessing.Process, log: ProblemLog) -> Iterator[ResolvedChunk]:
    while True:
        try:
            kind, payload = queue.get(timeout=POLL_SECONDS)
        except Empty:
            if not parser.is_alive():
                raise InputError(f"{log.path}: the parsing process ended without finishing") from None
            continue
        if kind == "rows":
            yield payload
        elif kind == "failed":
            raise InputError(f"{log.path}: {payload}")
        else:
            kept, log.warnings, log.rejected_rows = payload
            log.kept.extend(kept)
            return
