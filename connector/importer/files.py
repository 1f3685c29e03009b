"""Reading import files: CSV or JSON Lines rows with their line numbers, and the log of problems found in them.

A file is checked as a whole first (readable, UTF-8, required columns present) and rejected with an `InputError`
before anything is written; after that each row stands on its own and its problems go to the `ProblemLog`.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connector.errors import InputError

FORMATS_BY_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
#: Problems kept for the report; beyond this only counted, so a broken million-row file cannot exhaust memory.
KEPT_PROBLEMS = 1_000
REQUIRED_MISSING = "required value missing"
NOT_ISO_TIME = "not an ISO 8601 time (e.g. 2026-03-01T09:30:00Z)"
NAIVE_TIME = "no UTC offset (add Z or +00:00, or import with --assume-utc)"
BYTE_ORDER_MARK = "\ufeff"
#: Columns a file may have: far more than contacts' extra fields or activity attributes need, few enough that a
#: header gone wrong (a whole file on one line) is refused at once instead of being worked through.
MAX_COLUMNS = 1_000
#: Bytes read from the start of a file to estimate how many rows it holds.
ROW_SAMPLE_BYTES = 1 << 20


@dataclass(frozen=True)
class RowProblem:
    """One unusable value: where it is, what it was, what is wrong, and whether the row was skipped for it."""

    path: str
    line: int
    column: str
    value: str
    problem: str
    row_skipped: bool

    def __str__(self) -> str:
        outcome = "row skipped" if self.row_skipped else "field left empty"
        return f"{self.path}:{self.line}: {self.column}={self.value!r}: {self.problem} ({outcome})"


@dataclass
class ProblemLog:
    """The problems of one file: the first `KEPT_PROBLEMS` kept in order, all of them counted."""

    path: str
    kept: list[RowProblem] = field(default_factory=list)
    warnings: int = 0
    rejected_rows: int = 0

    def warn(self, line: int, column: str, value: object, problem: str) -> None:
        self.warnings += 1
        self._keep(RowProblem(self.path, line, column, _shown(value), problem, row_skipped=False))

    def reject(self, line: int, column: str, value: object, problem: str) -> None:
        self.rejected_rows += 1
        self._keep(RowProblem(self.path, line, column, _shown(value), problem, row_skipped=True))

    def _keep(self, problem: RowProblem) -> None:
        if len(self.kept) < KEPT_PROBLEMS:
            self.kept.append(problem)


def estimated_rows(path: Path) -> int:
    """About how many rows (lines) a file holds: its size over the mean line length of its first megabyte; exact
    for a smaller file, 0 for one that cannot be read (opening it for the import reports that)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            sample = stream.read(ROW_SAMPLE_BYTES)
    except OSError:
        return 0
    return size * sample.count(b"\n") // len(sample) if sample else 0


def file_format_of(path: Path, file_format: str | None) -> str:
    if file_format:
        if file_format not in FORMATS_BY_SUFFIX.values():
            raise InputError(f"{path}: unknown format {file_format!r}; use csv or jsonl")
        return file_format
    try:
        return FORMATS_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise InputError(f"{path}: cannot tell the format from the extension; use --format csv or jsonl") from None


@contextmanager
def opened(path: Path) -> Iterator[Any]:
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            yield stream
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except csv.Error as error:  # a field over the csv module's limit, 131,072 characters unless raised
        raise InputError(f"{path}: {error} (at most {csv.field_size_limit():,} characters a field)") from None


def csv_header(path: Path, reader: Any, required: tuple[str, ...]) -> list[str]:
    """The header row, stripped; an `InputError` when a required column is missing or a name repeats."""
    header = [name.strip() for name in next(reader, [])]
    if len(header) > MAX_COLUMNS:
        raise InputError(f"{path}:1: the header has {len(header):,} columns; at most {MAX_COLUMNS:,} are allowed")
    if header:
        # Spreadsheets often start a CSV export with a byte order mark; decoding as plain UTF-8 is much faster
        # than "utf-8-sig", so the mark is taken off the first name here instead.
        header[0] = header[0].removeprefix(BYTE_ORDER_MARK)
    missing = [name for name in required if name not in header]
    if missing:
        found = ", ".join(header) or "nothing"
        raise InputError(f"{path}:1: missing required column(s) {', '.join(missing)} (the header has {found})")
    duplicated = sorted(name for name, count in Counter(header).items() if count > 1)
    if duplicated:
        raise InputError(f"{path}:1: column(s) {', '.join(duplicated)} appear more than once in the header")
    return header


def csv_records(reader: Any, header: list[str], log: ProblemLog) -> Iterator:
    """(line, values) for each CSV row with as many values as the header; other rows are reported and left out."""
    width = len(header)
    for row in reader:
        if len(row) == width:
            yield reader.line_num, row
        elif row:  # blank lines are no rows
            log.reject(reader.line_num, "*", ",".join(row)[:80], f"has {len(row)} values, the header has {width}")


def json_records(path: Path, stream: Any, required: tuple[str, ...], log: ProblemLog) -> Iterator:
    """(line, object) for each JSON Lines row; the first object must hold the required keys, like a header."""
    first = True
    for line, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            record = error
        if not isinstance(record, dict):
            problem = f"not a JSON object ({record})" if isinstance(record, Exception) else "not a JSON object"
            if first:
                raise InputError(f"{path}:{line}: {problem}")
            log.reject(line, "*", text.strip()[:80], problem)
            continue
        if first:
            missing = [name for name in required if name not in record]
            if missing:
                raise InputError(f"{path}:{line}: the first record lacks required key(s) {', '.join(missing)}")
            first = False
        yield line, record


@contextmanager
def table_rows(path: Path, file_format: str | None, required: tuple[str, ...], log: ProblemLog) -> Iterator[Iterator]:
    """(line, {column: value}) for each row, after checking that the required columns are there."""
    with opened(path) as stream:
        if file_format_of(path, file_format) == "csv":
            reader = csv.reader(stream)
            header = csv_header(path, reader, required)
            yield ((line, dict(zip(header, row, strict=True))) for line, row in csv_records(reader, header, log))
        else:
            yield json_records(path, stream, required, log)


def text_of(value: object) -> str | None:
    """A JSON or CSV value as stripped text; None for empty values."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict | list) else str(value)
    return text.strip() or None


def parse_time(text: str, assume_utc: bool = False) -> datetime:
    """An ISO 8601 time with a UTC offset, as an aware datetime; naive times only with ``assume_utc``."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(NOT_ISO_TIME) from None
    if moment.tzinfo is None:
        if not assume_utc:
            raise ValueError(NAIVE_TIME)
        moment = moment.replace(tzinfo=UTC)
    return moment


def _shown(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value, default=str)
