"""`import contacts`, `import activities`, `import outcomes`: CSV or JSON Lines files into the store."""

from __future__ import annotations

from pathlib import Path

import typer

from connector.commands.options import DATABASE_HELP, open_store

import_app = typer.Typer(
    help="Load contacts, activities or outcomes from CSV or JSON Lines files into the store (safe to repeat).",
    no_args_is_help=True,
)

IMPORT_FILE_HELP = "A .csv (header row) or .jsonl/.ndjson (one JSON object per line) file."
IMPORT_FORMAT_HELP = "csv or jsonl; by default taken from the file's extension."
IMPORT_SOURCE_HELP = "Where the records come from; with --instance and the CRM id it identifies a contact."
IMPORT_INSTANCE_HELP = "Which instance of the source (e.g. one Salesforce org)."
IMPORT_UTC_HELP = "Take times without a UTC offset as UTC (by default such rows or fields are reported)."
IMPORT_REPORT_HELP = "Also write the problems found (up to 1,000) to this CSV file."
SHOWN_PROBLEMS = 20
_STORE_SKIPS = {
    "contacts": "repeated in the file or deletions of unknown contacts",
    "activities": "of unknown contacts",
    "outcomes": "deletions of unknown outcomes",
}


@import_app.command("contacts")
def import_contacts_command(
    file: Path = typer.Argument(..., help=IMPORT_FILE_HELP),
    file_format: str | None = typer.Option(None, "--format", help=IMPORT_FORMAT_HELP),
    source: str = typer.Option("import", "--source", help=IMPORT_SOURCE_HELP),
    instance: str = typer.Option("default", "--instance", help=IMPORT_INSTANCE_HELP),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    assume_utc: bool = typer.Option(False, "--assume-utc", help=IMPORT_UTC_HELP),
    report: Path | None = typer.Option(None, "--report", help=IMPORT_REPORT_HELP),
) -> None:
    """Insert or update contacts (leads, contacts from a list export).

    Columns: crm_id (required), object_type (default Lead), email, first_name, last_name, title, seniority,
    department, company, industry, employees, annual_revenue, country, lead_source, product_interest, lifecycle,
    owner_id, is_customer, email_opt_out, created_at, modified_at, deleted, merged_into; any other column is kept
    as an extra field."""
    from connector.importer import import_contacts

    engine = open_store(database)
    done = import_contacts(
        engine, file, source=source, instance=instance, file_format=file_format, assume_utc=assume_utc
    )
    _print_import_report(done, report)


@import_app.command("activities")
def import_activities_command(
    file: Path = typer.Argument(..., help=IMPORT_FILE_HELP),
    file_format: str | None = typer.Option(None, "--format", help=IMPORT_FORMAT_HELP),
    source: str = typer.Option("import", "--source", help=IMPORT_SOURCE_HELP),
    instance: str = typer.Option("default", "--instance", help=IMPORT_INSTANCE_HELP),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    assume_utc: bool = typer.Option(False, "--assume-utc", help=IMPORT_UTC_HELP),
    model: Path | None = typer.Option(None, "--model", help="Reject rows whose type is not in this scoring model."),
    report: Path | None = typer.Option(None, "--report", help=IMPORT_REPORT_HELP),
) -> None:
    """Add activities not stored yet (web analytics, events, any touchpoint).

    Columns: source_id, contact_crm_id, type, occurred_at (ISO 8601 with a UTC
    offset) are required; contact_object_type defaults to Lead; any other column (url, campaign, ...) becomes an
    attribute. Import the contacts first: activities of unknown contacts are skipped and counted."""
    from connector.importer import import_activities

    vocabulary = None
    if model is not None:
        from connector.scoring.model import load_model

        vocabulary = frozenset(load_model(model).activity_types)
    engine = open_store(database)
    done = import_activities(
        engine,
        file,
        source=source,
        instance=instance,
        file_format=file_format,
        assume_utc=assume_utc,
        activity_types=vocabulary,
    )
    _print_import_report(done, report)


@import_app.command("outcomes")
def import_outcomes_command(
    file: Path = typer.Argument(..., help=IMPORT_FILE_HELP),
    file_format: str | None = typer.Option(None, "--format", help=IMPORT_FORMAT_HELP),
    source: str = typer.Option("import", "--source", help=IMPORT_SOURCE_HELP),
    instance: str = typer.Option("default", "--instance", help=IMPORT_INSTANCE_HELP),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    assume_utc: bool = typer.Option(False, "--assume-utc", help=IMPORT_UTC_HELP),
    report: Path | None = typer.Option(None, "--report", help=IMPORT_REPORT_HELP),
) -> None:
    """Insert or update outcomes (opportunities, deals, closed-won data from billing), linked to stored contacts.

    Columns: outcome_id (required); contact_crm_id and/or contact_email (at least one: several contacts
    separated by ';', or one row per outcome and contact); contact_object_type (default Lead), object_type (default
    Opportunity), amount, currency, stage, pipeline, closed, won, created_at, closed_at, modified_at, lead_source,
    deleted. Rows with an amount that is not a number are skipped. Import the contacts first (same --source and
    --instance, or a connection's crm and name): links to unknown contacts are left out and counted."""
    from connector.importer import import_outcomes

    engine = open_store(database)
    done = import_outcomes(
        engine, file, source=source, instance=instance, file_format=file_format, assume_utc=assume_utc
    )
    _print_import_report(done, report)


def _print_import_report(done, report: Path | None) -> None:
    from connector.importer import write_problem_report

    for problem in done.problems[:SHOWN_PROBLEMS]:
        typer.echo(str(problem), err=True)
    if done.problems_total > SHOWN_PROBLEMS:
        more = done.problems_total - SHOWN_PROBLEMS
        typer.echo(f"... and {more} more problem(s){'' if report else ' (use --report FILE to keep them)'}", err=True)
    if report is not None:
        write_problem_report(done, report)
    stored = done.stored
    typer.echo(
        f"{done.path}: {done.rows_read} {done.what} rows read, {stored.inserted} inserted, {stored.updated} updated, "
        f"{stored.unchanged} already up to date, {stored.deleted} deleted, {done.skipped} skipped "
        f"({done.rejected_rows} unusable, {stored.skipped} {_STORE_SKIPS[done.what]}), {done.warnings} warning(s)"
        + (f"; {stored.unlinked} contact(s) named that the store does not hold (left out)" if stored.unlinked else "")
        + (f"; {stored.cleaned} row(s) with values the store cannot hold, cleaned" if stored.cleaned else "")
    )
