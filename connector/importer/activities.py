"""Activity rows of an import file as store rows, in chunks; bad rows are reported and left out.

This is the loop that runs millions of times per import (goal: 100,000 activities per second including the
writes), so the CSV path works on row positions worked out once per file, and remembers each distinct
(type, attribute values) combination once instead of building a kind per row.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from connector.importer.files import (
    NAIVE_TIME,
    NOT_ISO_TIME,
    REQUIRED_MISSING,
    ProblemLog,
    csv_header,
    file_format_of,
    json_records,
    opened,
    text_of,
)
from connector.store.records import CHUNK_ROWS, ActivityRow, KindKey, kind_key
from connector.store.storable import KIND_TYPE_LIMIT

REQUIRED_ACTIVITY_COLUMNS = ("source_id", "contact_crm_id", "type", "occurred_at")
#: Columns with a meaning of their own; any other column becomes an attribute (url, campaign, ...).
ACTIVITY_COLUMNS = ("contact_object_type", *REQUIRED_ACTIVITY_COLUMNS)
DEFAULT_OBJECT_TYPE = "Lead"
UNKNOWN_TYPE = "not an activity type of the scoring model"
TYPE_TOO_LONG = f"longer than the store's {KIND_TYPE_LIMIT} characters for an activity type"


@dataclass(frozen=True)
class ActivityRules:
    """What makes an activity row acceptable beyond its required values."""

    assume_utc: bool = False
    #: The scoring model's vocabulary; None accepts any type.
    activity_types: frozenset[str] | None = None

    def type_problem(self, activity_type: str) -> str | None:
        if not activity_type:
            return REQUIRED_MISSING
        if self.activity_types is not None and activity_type not in self.activity_types:
            return UNKNOWN_TYPE
        if len(activity_type) > KIND_TYPE_LIMIT:
            return TYPE_TOO_LONG
        return None

    def epoch_or_problem(self, text: str) -> int | str:
        """Whole UTC epoch seconds of an ISO 8601 time, or the problem with it."""
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return NOT_ISO_TIME
        if moment.tzinfo is None:
            if not self.assume_utc:
                return NAIVE_TIME
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())


@contextmanager
def activity_chunks(path: Path, file_format: str | None, log: ProblemLog, rules: ActivityRules) -> Iterator:
    """Chunks of store rows from a file whose header (or first record) has been checked on entering."""
    with opened(path) as stream:
        if file_format_of(path, file_format) == "csv":
            reader = csv.reader(stream)
            header = csv_header(path, reader, REQUIRED_ACTIVITY_COLUMNS)
            yield _csv_chunks(reader, header, log, rules)
        else:
            records = json_records(path, stream, REQUIRED_ACTIVITY_COLUMNS, log)
            yield _json_chunks(records, log, rules)


class KindsByValues:
    """Kind keys by (type, attribute values in column order), worked out once per distinct combination."""

    def __init__(self, attribute_names: tuple[str, ...], rules: ActivityRules) -> None:
        self._names = attribute_names
        self._rules = rules
        #: A kind key, or "" for a combination whose type is unusable (its problem is in `problems`).
        self.keys: dict[tuple[str, ...], KindKey] = {}
        self.problems: dict[tuple[str, ...], str] = {}

    def learn(self, values: tuple[str, ...]) -> KindKey:
        problem = self._rules.type_problem(values[0])
        if problem:
            self.problems[values] = problem
            self.keys[values] = ""
        else:
            self.keys[values] = kind_key(values[0], zip(self._names, values[1:], strict=True))
        return self.keys[values]


def _csv_chunks(reader: Any, header: list[str], log: ProblemLog, rules: ActivityRules) -> Iterator[list[ActivityRow]]:
    position = {name: index for index, name in enumerate(header)}
    pick = itemgetter(position["source_id"], position["contact_crm_id"], position["occurred_at"])
    object_type_at = position.get("contact_object_type")
    names = tuple(sorted(name for name in header if name not in ACTIVITY_COLUMNS))
    pick_kind = _tuple_getter(position["type"], *(position[name] for name in names))
    kinds = KindsByValues(names, rules)
    known, width, parse = kinds.keys, len(header), datetime.fromisoformat
    chunk: list[ActivityRow] = []
    for row in reader:
        if len(row) != width:
            if row:  # blank lines are no rows
                log.reject(reader.line_num, "*", ",".join(row)[:80], f"has {len(row)} values, the header has {width}")
            continue
        source_id, crm_id, occurred_at = pick(row)
        values = pick_kind(row)
        kind = known.get(values)
        if kind is None:
            kind = kinds.learn(values)
        if not (source_id and crm_id and kind):
            _reject_required(log, reader.line_num, source_id, crm_id, kinds.problems.get(values), values[0])
            continue
        try:
            moment = parse(occurred_at)
            epoch = int(moment.timestamp()) if moment.tzinfo is not None else rules.epoch_or_problem(occurred_at)
        except ValueError:
            epoch = NOT_ISO_TIME
        if isinstance(epoch, str):
            log.reject(reader.line_num, "occurred_at", occurred_at, epoch)
            continue
        object_type = (
            (row[object_type_at] or DEFAULT_OBJECT_TYPE) if object_type_at is not None else DEFAULT_OBJECT_TYPE
        )
        chunk.append(((object_type, crm_id), kind, epoch, source_id))
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _json_chunks(records: Iterator, log: ProblemLog, rules: ActivityRules) -> Iterator[list[ActivityRow]]:
    chunk: list[ActivityRow] = []
    for line, record in records:
        source_id, crm_id, activity_type, occurred_at = (
            text_of(record.get(name)) or "" for name in REQUIRED_ACTIVITY_COLUMNS
        )
        type_problem = rules.type_problem(activity_type)
        if not (source_id and crm_id) or type_problem:
            _reject_required(log, line, source_id, crm_id, type_problem, activity_type)
            continue
        epoch = rules.epoch_or_problem(occurred_at)
        if isinstance(epoch, str):
            log.reject(line, "occurred_at", occurred_at, epoch)
            continue
        object_type = text_of(record.get("contact_object_type")) or DEFAULT_OBJECT_TYPE
        attributes = ((name, text_of(value)) for name, value in record.items() if name not in ACTIVITY_COLUMNS)
        chunk.append(((object_type, crm_id), kind_key(activity_type, attributes), epoch, source_id))
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _reject_required(
    log: ProblemLog, line: int, source_id: str, crm_id: str, type_problem: str | None, activity_type: str
) -> None:
    if not source_id:
        log.reject(line, "source_id", source_id, REQUIRED_MISSING)
    elif not crm_id:
        log.reject(line, "contact_crm_id", crm_id, REQUIRED_MISSING)
    else:
        log.reject(line, "type", activity_type, type_problem or REQUIRED_MISSING)


def _tuple_getter(*positions: int) -> Callable[[list[str]], tuple[str, ...]]:
    # itemgetter with a single position returns the bare item, not a 1-tuple.
    getter = itemgetter(*positions)
    return getter if len(positions) > 1 else lambda row: (getter(row),)
