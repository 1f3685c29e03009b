"""`scorebridge import`: loading contacts, activities and outcomes from CSV or JSON Lines files, with a per-row
problem report.

A file is checked as a whole first (readable, required columns present) and rejected before anything is written.
Then each row is parsed on its own: a value that cannot be used for an optional field leaves the field empty and
counts a warning; a row without a usable required value is skipped. Both are reported as file:line, column,
value and problem. Times must carry a UTC offset (``2026-03-01T09:30:00Z``): a naive time could be any time zone
and would silently move activities in and out of scoring windows, so it is rejected unless ``assume_utc``.
Importing the same file again changes nothing: contacts and outcomes are compared field by field, activities are
keyed by their source id.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from connector.errors import InputError
from connector.importer.activities import ActivityRules, activity_chunks
from connector.importer.background import ParsedFile, resolved_chunks_in_background
from connector.importer.contacts import REQUIRED_CONTACT_COLUMNS, contact_record
from connector.importer.files import ProblemLog, RowProblem, estimated_rows, table_rows
from connector.importer.outcomes import REQUIRED_OUTCOME_COLUMNS, OutcomeRows
from connector.private_files import open_private
from connector.store.activity_copy import CopyActivityWriter, activity_writer_for
from connector.store.contact_emails import contacts_by_email
from connector.store.records import UpsertCounts, bulk_page_cache, upsert_contacts, upsert_outcomes
from connector.store.storable import CONTACT_COLUMNS, storable_ids

__all__ = [
    "ImportReport",
    "RowProblem",
    "import_activities",
    "import_contacts",
    "import_outcomes",
    "write_problem_report",
]

#: Activity files above this size (about 100,000 rows) are parsed in a second process while this one writes.
BACKGROUND_PARSE_BYTES = 8_000_000
SOURCE_LIMIT = CONTACT_COLUMNS.source.type.length
INSTANCE_LIMIT = CONTACT_COLUMNS.instance.type.length


@dataclass(frozen=True)
class ImportReport:
    """What one import did: rows read, what the store did with them, and the problems found."""

    path: str
    what: str
    rows_read: int
    stored: UpsertCounts
    rejected_rows: int
    warnings: int
    #: The first problems, in file order (see `files.KEPT_PROBLEMS`); `problems_total` counts them all.
    problems: tuple[RowProblem, ...]

    @property
    def skipped(self) -> int:
        """Rows not stored: rejected while parsing, or refused by the store (activities of unknown contacts)."""
        return self.rejected_rows + self.stored.skipped

    @property
    def problems_total(self) -> int:
        return self.rejected_rows + self.warnings


def import_contacts(
    engine: Engine,
    path: Path,
    *,
    source: str = "import",
    instance: str = "default",
    file_format: str | None = None,
    assume_utc: bool = False,
) -> ImportReport:
    """Upsert the contacts of a CSV or JSON Lines file, in one transaction."""
    _check_names(source, instance)
    log = ProblemLog(str(path))
    with table_rows(path, file_format, REQUIRED_CONTACT_COLUMNS, log) as rows:
        records = (contact_record(line, row, log, assume_utc) for line, row in rows)
        counts = upsert_contacts(engine, source, instance, (record for record in records if record is not None))
    return _report(path, "contacts", counts, log)


def import_activities(
    engine: Engine,
    path: Path,
    *,
    source: str = "import",
    instance: str = "default",
    file_format: str | None = None,
    assume_utc: bool = False,
    activity_types: frozenset[str] | None = None,
    parse_in_background: bool | None = None,
) -> ImportReport:
    """Add the activities of a CSV or JSON Lines file not stored yet, in one transaction.

    With ``activity_types`` (a scoring model's vocabulary), rows of any other type are rejected. Files larger
    than `BACKGROUND_PARSE_BYTES` are parsed in a second process unless ``parse_in_background`` says otherwise.
    """
    _check_names(source, instance)
    log = ProblemLog(str(path))
    rules = ActivityRules(assume_utc, activity_types)
    if parse_in_background is None:
        parse_in_background = path.is_file() and path.stat().st_size > BACKGROUND_PARSE_BYTES
    counts = UpsertCounts()
    with engine.connect() as connection, bulk_page_cache(connection), connection.begin():
        writer = activity_writer_for(connection, source, instance, expected_rows=estimated_rows(path))
        parsed = ParsedFile()
        if parse_in_background:
            contact_ids = writer.contacts.load_all()
            as_copy_text = isinstance(writer, CopyActivityWriter)
            with resolved_chunks_in_background(
                path, file_format, log, rules, contact_ids, writer.kinds.ids_of, as_copy_text=as_copy_text
            ) as (chunks, parsed):
                for resolved in chunks:
                    counts += resolved.write(writer)
        else:
            with activity_chunks(path, file_format, log, rules) as chunks:
                for chunk in chunks:
                    counts += writer.write(chunk)
        counts += writer.finish(unique_keys=parsed.unique_keys)
    return _report(path, "activities", counts, log)


def import_outcomes(
    engine: Engine,
    path: Path,
    *,
    source: str = "import",
    instance: str = "default",
    file_format: str | None = None,
    assume_utc: bool = False,
) -> ImportReport:
    """Upsert the outcomes of a CSV or JSON Lines file and link them to stored contacts, in one transaction.

    The whole file is read before anything is written (outcomes are few: tens of thousands), so that rows of the
    same outcome can be merged wherever they are in the file.
    """
    _check_names(source, instance)
    log = ProblemLog(str(path))
    outcomes = OutcomeRows()
    with table_rows(path, file_format, REQUIRED_OUTCOME_COLUMNS, log) as rows:
        outcomes.read(str(path), rows, log, assume_utc)
    with engine.begin() as connection:
        by_email = contacts_by_email(connection, source, instance, outcomes.emails())
        records, unknown_emails = outcomes.records(by_email)
        counts = upsert_outcomes(connection, source, instance, records) + UpsertCounts(unlinked=unknown_emails)
    return _report(path, "outcomes", counts, log, rows_read=outcomes.rows)


def _check_names(source: str, instance: str) -> None:
    """--source and --instance are stored on every row, in columns PostgreSQL keeps to a length (`tables.Contact`)."""
    for option, value, limit in (("--source", source, SOURCE_LIMIT), ("--instance", instance, INSTANCE_LIMIT)):
        if not value or not storable_ids((value,), limit):
            raise InputError(f"{option} {value!r}: give 1 to {limit} characters (no NUL)")


def _report(path: Path, what: str, counts: UpsertCounts, log: ProblemLog, rows_read: int | None = None) -> ImportReport:
    """``rows_read`` counts usable rows when several rows make one record (outcomes); by default one row each."""
    return ImportReport(
        path=str(path),
        what=what,
        rows_read=(counts.read if rows_read is None else rows_read) + log.rejected_rows,
        stored=counts,
        rejected_rows=log.rejected_rows,
        warnings=log.warnings,
        problems=tuple(log.kept),
    )


def write_problem_report(report: ImportReport, path: Path) -> None:
    """The problems kept for an import, as CSV: file, line, column, value, problem, outcome."""
    with open_private(path, "w", encoding="utf-8", newline="") as stream:  # it quotes the rows' values
        writer = csv.writer(stream)
        writer.writerow(["file", "line", "column", "value", "problem", "outcome"])
        for problem in report.problems:
            outcome = "row skipped" if problem.row_skipped else "field left empty"
            writer.writerow([problem.path, problem.line, problem.column, problem.value, problem.problem, outcome])
