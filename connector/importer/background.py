"""Parsing a large activity file in a second process while this one writes, so the two halves of an import overlap.

The parser gets the contacts' ids up front (a file's activities cannot add contacts) and asks the writer for the id
of each kind the first time it meets it (the writer creates kinds in the store, in the import's transaction; a file
holds a few dozen kinds, so the question is rare). It then sends ready rows, sorted by contact: for PostgreSQL the
rows of COPY's text format (`CopyChunk`), which the writer only forwards to the server; otherwise contact ids, kind
ids and epoch seconds as numpy arrays plus the source ids (`ResolvedChunk`). At the end it says whether any two rows
of the file share a key (contact, source id), so that the store can skip de-duplicating them when none do.

The file is checked (header, first record) before the process starts, so a bad file still fails at once and writes
nothing; the parser's problem log is merged back at the end. The parser dies with the writer, even when the writer
is killed with -9.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from queue import Empty

import numpy as np

from connector.errors import InputError
from connector.importer.activities import ActivityRules, activity_chunks
from connector.importer.files import ProblemLog
from connector.store.activity_copy import CopyActivityWriter, copy_text
from connector.store.activity_writer import storable_source_ids
from connector.store.records import ActivityRow, ActivityWriter, ContactKey, KindKey, UpsertCounts

#: Stands for "contact not in the store" in the id column (store ids start at 1).
NO_CONTACT = 0
#: Chunks parsed ahead of the writer: enough to keep both busy, few enough to keep memory flat.
CHUNKS_AHEAD = 4
#: How long the writer waits for a chunk before checking that the parser is still alive.
POLL_SECONDS = 1.0
#: prctl(2) option: the signal this process gets when its parent dies (<linux/prctl.h>).
PR_SET_PDEATHSIG = 1
#: Odd multiplier that spreads contact ids over 64 bits before they are mixed with a source id's hash.
CONTACT_SPREAD = np.int64(-7_046_029_254_386_353_131)  # 0x9E3779B97F4A7C15 as a signed 64-bit number


@dataclass(frozen=True)
class ResolvedChunk:
    """Activity rows with their ids known, sorted by contact, in a form that crosses processes cheaply."""

    contact_ids: np.ndarray
    kind_ids: np.ndarray
    occurred_at: np.ndarray
    source_ids: list[str]
    #: Rows left out because their contact is not in the store or their source id cannot be stored.
    skipped: int

    def write(self, writer: ActivityWriter) -> UpsertCounts:
        # The driver binds Python ints, not numpy scalars: tolist() converts in C.
        columns = (self.contact_ids.tolist(), self.kind_ids.tolist(), self.occurred_at.tolist(), self.source_ids)
        return writer.insert_resolved(list(zip(*columns, strict=True)), skipped=self.skipped)


@dataclass(frozen=True)
class CopyChunk:
    """The same rows as COPY text-format lines (see `activity_copy.copy_text`), for a `CopyActivityWriter`."""

    text: str
    rows: int
    skipped: int

    def write(self, writer: CopyActivityWriter) -> UpsertCounts:
        return writer.stage_copy_text(self.text, self.rows, skipped=self.skipped)


@dataclass
class ParsedFile:
    """What the writer learns once the parser is done, beside the problem log."""

    #: No two stored rows of the file share (contact, source id): the store need not keep the last of each.
    unique_keys: bool = False


@contextmanager
def resolved_chunks_in_background(
    path: Path,
    file_format: str | None,
    log: ProblemLog,
    rules: ActivityRules,
    contact_ids: Mapping,
    kind_ids: Callable[[list[KindKey]], list[int]],
    *,
    as_copy_text: bool = False,
) -> Iterator[tuple[Iterator[ResolvedChunk | CopyChunk], ParsedFile]]:
    """Chunks parsed by a second process, and what it says of the whole file once they are all read.

    ``kind_ids`` gives the store ids of new kind keys (the writer's `ActivityKinds`, creating them as needed).
    """
    with activity_chunks(path, file_format, ProblemLog(log.path), rules):
        pass  # opening checks the file as a whole, raising InputError before any process starts
    queue = multiprocessing.Queue(maxsize=CHUNKS_AHEAD)
    answers, asked = multiprocessing.Pipe(duplex=False)
    known_contacts = {key: contact_id for key, contact_id in contact_ids.items() if contact_id is not None}
    arguments = (os.getpid(), path, file_format, log.path, rules, known_contacts, queue, answers, as_copy_text)
    parser = multiprocessing.Process(target=_parse, args=arguments, daemon=True)
    parser.start()
    parsed = ParsedFile()
    try:
        yield _received(queue, parser, log, lambda keys: asked.send(kind_ids(keys)), parsed), parsed
    finally:
        if parser.is_alive():
            parser.kill()
        parser.join()
        queue.close()
        answers.close()
        asked.close()


def _parse(
    writer: int,
    path: Path,
    file_format: str | None,
    shown_path: str,
    rules: ActivityRules,
    contact_ids,
    queue,
    answers,
    as_copy_text: bool,
) -> None:
    _die_with(writer)
    # Rows, tuples and arrays hold no reference cycles, so reference counting frees them all, and the cyclic
    # collector, set off by the millions of objects a parse allocates, only costs time (about 5-10% of the parse):
    # "you can disable the collector if you are sure your program does not create reference cycles"
    # (https://docs.python.org/3/library/gc.html). The process ends with the parse.
    gc.disable()
    log = ProblemLog(shown_path)
    kinds = KindIdsAsked(queue, answers)
    keys = KeyHashes()
    try:
        with activity_chunks(path, file_format, log, rules) as chunks:
            for chunk in chunks:
                resolved = _resolved(chunk, contact_ids, kinds)
                keys.add(resolved.contact_ids, resolved.source_ids)
                queue.put(("rows", _as_copy_text(resolved) if as_copy_text else resolved))
    except Exception as error:  # anything the parser hits must reach the writer, which reports it
        queue.put(("failed", f"{type(error).__name__}: {error}"))
        return
    queue.put(("done", (log.kept, log.warnings, log.rejected_rows, keys.all_distinct())))


def _die_with(parent: int) -> None:
    """End this process when ``parent`` dies: `daemon=True` only covers a parent that exits normally, and a parser
    left behind would block for ever on a full queue. Linux signals us (prctl(2), PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before we asked
        os._exit(1)


class KindIdsAsked:
    """Parser side: store ids of kind keys, asked of the writer the first time each key appears."""

    def __init__(self, queue, answers) -> None:
        self._queue = queue
        self._answers = answers
        self._indexes: dict[KindKey, int] = {}
        self._ids: list[int] = []

    def ids(self, keys: Sequence[KindKey]) -> np.ndarray:
        indexes = self._indexes
        positions = list(map(indexes.get, keys))
        if None in positions:  # new kinds: rare, a file holds a few dozen
            for key in keys:
                indexes.setdefault(key, len(indexes))
            self._queue.put(("kinds", list(indexes)[len(self._ids) :]))
            self._ids.extend(self._answers.recv())
            positions = list(map(indexes.get, keys))
        return np.asarray(self._ids, dtype=np.int64)[positions]


class KeyHashes:
    """Whether any two rows of a file share (contact id, source id), told from one 64-bit hash per row.

    Equal keys always hash alike, so hashes all distinct prove the keys all distinct; two keys that only hash alike
    (at a million rows, about one file in 40 million: n^2 / 2^65) merely cost the store the de-duplication it does
    anyway. Memory: 8 bytes a row, 8 MB per million.
    """

    def __init__(self) -> None:
        self._hashes: list[np.ndarray] = []

    def add(self, contact_ids: np.ndarray, source_ids: list[str]) -> None:
        source_hashes = np.fromiter(map(hash, source_ids), dtype=np.int64, count=len(source_ids))
        with np.errstate(over="ignore"):  # wrapping around 2^64 is the point
            self._hashes.append(source_hashes ^ (contact_ids * CONTACT_SPREAD))

    def all_distinct(self) -> bool:
        hashes = np.sort(np.concatenate(self._hashes)) if self._hashes else np.empty(0, dtype=np.int64)
        return not np.any(hashes[1:] == hashes[:-1])


def _resolved(rows: list[ActivityRow], contact_ids: Mapping[ContactKey, int], kinds: KindIdsAsked) -> ResolvedChunk:
    # Column by column through map and numpy, which loop in C: this runs for every row of the file.
    count = len(rows)
    contacts = np.fromiter(map(contact_ids.get, map(_contact, rows), repeat(NO_CONTACT)), np.int64, count)
    kind_ids = kinds.ids(list(map(_kind, rows)))
    occurred_at = np.fromiter(map(_occurred_at, rows), np.int64, count)
    # Sorted by contact, the rows land close together in the (contact, ...) indexes: far fewer page writes.
    order = np.argsort(contacts, kind="stable")
    order = order[contacts[order] != NO_CONTACT]
    source_ids = np.array(list(map(_source_id, rows)), dtype=object)[order].tolist()
    storable = storable_source_ids(source_ids)
    if storable is not None:
        order, source_ids = order[storable], [source_ids[position] for position in storable]
    return ResolvedChunk(
        contact_ids=contacts[order],
        kind_ids=kind_ids[order],
        occurred_at=occurred_at[order],
        source_ids=source_ids,
        skipped=len(rows) - len(order),
    )


_contact, _kind, _occurred_at, _source_id = (itemgetter(column) for column in range(4))


def _as_copy_text(chunk: ResolvedChunk) -> CopyChunk:
    text = copy_text(chunk.contact_ids.tolist(), chunk.kind_ids.tolist(), chunk.occurred_at.tolist(), chunk.source_ids)
    return CopyChunk(text, len(chunk.source_ids), chunk.skipped)


def _received(queue, parser: multiprocessing.Process, log: ProblemLog, answer_kinds, parsed: ParsedFile) -> Iterator:
    while True:
        try:
            kind, payload = queue.get(timeout=POLL_SECONDS)
        except Empty:
            if not parser.is_alive():
                raise InputError(f"{log.path}: the parsing process ended without finishing") from None
            continue
        if kind == "rows":
            yield payload
        elif kind == "kinds":
            answer_kinds(payload)
        elif kind == "failed":
            raise InputError(f"{log.path}: {payload}")
        else:
            kept, log.warnings, log.rejected_rows, parsed.unique_keys = payload
            log.kept.extend(kept)
            return
