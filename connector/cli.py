"""The `scorebridge` command: thin wiring from arguments to the core; the one place that picks an adapter."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from connector.config import ConnectionConfig, ConnectorConfig, load_config
from connector.crm import CrmAdapter
from connector.errors import ScoreBridgeError

app = typer.Typer(
    name="scorebridge",
    help="Lead, engagement, fit and recency scoring for Salesforce and HubSpot, with write-back and sales tasks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


# --- service section: `serve`, `runs`, `status` (connector/service.py, connector/runs.py) ----------------------

SERVICE_CONFIG_HELP = "The connector file (connections, schedules, store, service settings)."


@app.command(rich_help_panel="Run")
def serve(
    config: Path = typer.Option(Path("connector.yaml"), "--config", "-c", help=SERVICE_CONFIG_HELP),
    port: int | None = typer.Option(None, "--port", help="Port of /healthz /readyz /metrics (default: service.port)."),
    log_format: str = typer.Option("auto", "--log-format", help="text, json, or auto (json when not a terminal)."),
    adapter_factory: str = typer.Option(
        "connector.cli:build_adapter", "--adapter-factory", hidden=True, help="module:function building an adapter."
    ),
) -> None:
    """Run every connection on its schedule, with health and metrics endpoints, until SIGTERM or Ctrl-C."""
    from connector.logs import configure_logging
    from connector.service import SyncService
    from connector.store import make_engine, upgrade_store

    configure_logging(log_format)
    loaded = load_config(config)
    engine = make_engine(loaded.database_url)
    upgrade_store(engine)
    SyncService(loaded, config, engine, adapter_factory_ref=adapter_factory, port=port).run_until_stopped()


@app.command(rich_help_panel="Operate")
def runs(
    config: Path | None = typer.Option(None, "--config", "-c", help=f"{SERVICE_CONFIG_HELP} Only its store is used."),
    connection: str | None = typer.Option(None, "--connection", help="Only the runs of this connection."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many of the newest runs to list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List recent sync runs: when, how long, how they ended and what they moved."""
    from connector.runs import recent_runs, run_as_dict, runs_table

    store = _store_of(load_config(config).database_url if config else None)
    found = recent_runs(store, connection=connection, limit=limit)
    _print_json_or_table([run_as_dict(run) for run in found] if as_json else runs_table(found))


@app.command(rich_help_panel="Operate")
def status(
    config: Path = typer.Option(Path("connector.yaml"), "--config", "-c", help=SERVICE_CONFIG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Per connection: the last run, how far each stream has been pulled, and the write-back backlog."""
    from connector.runs import connection_statuses, status_as_dict, status_table

    loaded = load_config(config)
    pairs = [(each.name, each.crm) for each in loaded.connections]
    found = connection_statuses(_store_of(loaded.database_url), pairs)
    _print_json_or_table([status_as_dict(each) for each in found] if as_json else status_table(found))


def _store_of(database_url: str | None):
    from connector.runs import require_run_history
    from connector.store import make_engine

    engine = make_engine(database_url)
    require_run_history(engine)
    return engine


def _print_json_or_table(output) -> None:
    from rich.console import Console

    if isinstance(output, list):
        typer.echo(json.dumps(output, indent=2))
        return
    console = Console()
    if not console.is_terminal:
        console.width = 200  # piped into a file or less: keep one run per line instead of wrapping at 80
    console.print(output)


# --- end of service section -----------------------------------------------------------------------------------


# --- import section: `import contacts`, `import activities` (connector/importer/) -------------------------------

import_app = typer.Typer(
    help="Load contacts or activities from CSV or JSON Lines files into the store (safe to repeat).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import", rich_help_panel="Score")

IMPORT_FILE_HELP = "A .csv (header row) or .jsonl/.ndjson (one JSON object per line) file."
IMPORT_FORMAT_HELP = "csv or jsonl; by default taken from the file's extension."
IMPORT_SOURCE_HELP = "Where the records come from; with --instance and the CRM id it identifies a contact."
IMPORT_INSTANCE_HELP = "Which instance of the source (e.g. one Salesforce org)."
IMPORT_DATABASE_HELP = "Store URL (default: SCOREBRIDGE_DATABASE_URL, else sqlite:///scorebridge.db)."
IMPORT_UTC_HELP = "Take times without a UTC offset as UTC (by default such rows or fields are reported)."
IMPORT_REPORT_HELP = "Also write the problems found (up to 1,000) to this CSV file."
SHOWN_PROBLEMS = 20
_STORE_SKIPS = {
    "contacts": "repeated in the file or deletions of unknown contacts",
    "activities": "of unknown contacts",
}


@import_app.command("contacts")
def import_contacts_command(
    file: Path = typer.Argument(..., help=IMPORT_FILE_HELP),
    file_format: str | None = typer.Option(None, "--format", help=IMPORT_FORMAT_HELP),
    source: str = typer.Option("import", "--source", help=IMPORT_SOURCE_HELP),
    instance: str = typer.Option("default", "--instance", help=IMPORT_INSTANCE_HELP),
    database: str | None = typer.Option(None, "--database", help=IMPORT_DATABASE_HELP),
    assume_utc: bool = typer.Option(False, "--assume-utc", help=IMPORT_UTC_HELP),
    report: Path | None = typer.Option(None, "--report", help=IMPORT_REPORT_HELP),
) -> None:
    """Insert or update contacts. Columns: crm_id (required), object_type (default Lead), email, first_name,
    last_name, title, seniority, department, company, industry, employees, annual_revenue, country, lead_source,
    product_interest, lifecycle, owner_id, is_customer, email_opt_out, created_at, modified_at, deleted,
    merged_into; any other column is kept as an extra field."""
    from connector.importer import import_contacts

    engine = _import_store(database)
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
    database: str | None = typer.Option(None, "--database", help=IMPORT_DATABASE_HELP),
    assume_utc: bool = typer.Option(False, "--assume-utc", help=IMPORT_UTC_HELP),
    model: Path | None = typer.Option(None, "--model", help="Reject rows whose type is not in this scoring model."),
    report: Path | None = typer.Option(None, "--report", help=IMPORT_REPORT_HELP),
) -> None:
    """Add activities not stored yet. Columns: source_id, contact_crm_id, type, occurred_at (ISO 8601 with a UTC
    offset) are required; contact_object_type defaults to Lead; any other column (url, campaign, ...) becomes an
    attribute. Import the contacts first: activities of unknown contacts are skipped and counted."""
    from connector.importer import import_activities

    vocabulary = None
    if model is not None:
        from connector.scoring.model import load_model

        vocabulary = frozenset(load_model(model).activity_types)
    engine = _import_store(database)
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


def _import_store(database: str | None):
    from connector.store import make_engine, upgrade_store

    engine = make_engine(database)
    upgrade_store(engine)
    return engine


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
    )


# --- end of import section ------------------------------------------------------------------------------------


# --- scoring section: `validate`, `score`, `explain`, `index`, `export` (connector/scoring/) ------------------

MODEL_HELP = "The scoring model file."
DEFAULT_MODEL_PATH = Path("mappings/scoring.yaml")
DATABASE_HELP = "Store URL (default: SCOREBRIDGE_DATABASE_URL, else sqlite:///scorebridge.db)."
AS_OF_HELP = "Score as of this moment (ISO 8601; UTC when no offset); default now."


@app.command(rich_help_panel="Configure")
def validate(
    model: Path = typer.Option(DEFAULT_MODEL_PATH, "--model", "-m", help=MODEL_HELP),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Also check this connector file, each connection's model and mapping."
    ),
    online: bool = typer.Option(False, "--online", help="With --config: also check the mappings against each CRM."),
) -> None:
    """Check the scoring model (and with --config the connector file and mappings); one error line per problem."""
    from connector.config import mapping_problems
    from connector.errors import ConfigError
    from connector.scoring import load_model

    if config is None:
        loaded = load_model(model)
        typer.echo(f"{model}: valid ({len(loaded.behavior.rules)} behavior rules, {len(loaded.stages)} stages), "
                   f"version {loaded.version[:12]}")  # fmt: skip
        return
    connector_config = load_config(config)
    problems = []
    for each in connector_config.connections:
        each_model = load_model(connector_config.model_path(each))
        produced = _mapping_activity_types(connector_config, each)
        problems += mapping_problems(each, produced, each_model.activity_types)
        if online:
            problems += [f"{each.name}: {problem}" for problem in build_adapter(connector_config, each).check()]
        typer.echo(f"{each.name}: model {each_model.version[:12]}, mapping {connector_config.resolve(each.mapping)}")
    if problems:
        raise ConfigError("; ".join(problems), source=str(config))
    typer.echo(f"{config}: valid ({len(connector_config.connections)} connection(s){', checked online' * online})")


def _mapping_activity_types(config: ConnectorConfig, connection: ConnectionConfig) -> frozenset[str]:
    """What a connection's mapping file can produce, read offline (no credentials needed)."""
    path = config.resolve(connection.mapping)
    if connection.crm == "salesforce":
        from adapters.salesforce.mapping import load_mapping

        return load_mapping(path).activity_types()
    from adapters.hubspot.mapping import load_mapping as load_hubspot_mapping

    return load_hubspot_mapping(path).activities.activity_types()


@app.command(rich_help_panel="Score")
def score(
    model: Path = typer.Option(DEFAULT_MODEL_PATH, "--model", "-m", help=MODEL_HELP),
    full: bool = typer.Option(False, "--full", help="Rescore every contact, not only those that changed."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Score the store: fit, lead, engagement, recency, combined, grade and stage, incrementally by default."""
    from rich.console import Console

    from connector.scoring import load_model, score_store
    from connector.scoring.console import print_summary, progress_bar

    loaded = load_model(model)  # before touching the store: a bad model leaves it as it was
    moment = _as_of(as_of)
    engine = _scoring_store(database)
    console = Console()
    with progress_bar(Console(stderr=True)) as report:
        summary = score_store(engine, loaded, moment, full=full, progress=report)
    print_summary(console, summary)


@app.command(rich_help_panel="Score")
def explain(
    contact: str = typer.Argument(..., help="Store id, CRM id or email of the contact."),
    model: Path = typer.Option(DEFAULT_MODEL_PATH, "--model", "-m", help=MODEL_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Every point of one contact: which rule, which activity, caps and window, and why its stage is what it is."""
    from rich.console import Console

    from connector.scoring import load_model
    from connector.scoring.console import print_explanation
    from connector.scoring.explain import explain as explain_contact

    loaded = load_model(model)
    print_explanation(Console(), explain_contact(_scoring_store(database), loaded, contact, _as_of(as_of)))


@app.command(rich_help_panel="Score")
def index(
    by: str | None = typer.Option(None, "--by", help="Group by a contact field: lead_source, owner_id, ..."),
    model: Path = typer.Option(DEFAULT_MODEL_PATH, "--model", "-m", help=MODEL_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help="Score as of this moment first (see `score`)."),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """The engagement index: percent of contacts engaged, overall and per group, from the stored scores."""
    from rich.console import Console

    from connector.scoring import load_model, score_store
    from connector.scoring.console import index_table
    from connector.scoring.engagement_index import engagement_index

    engine = _scoring_store(database)
    if as_of is not None:
        score_store(engine, load_model(model), _as_of(as_of))
    Console().print(index_table(engagement_index(engine, by)))


@app.command(rich_help_panel="Score")
def export(
    output: Path = typer.Option(Path("scores.csv"), "--output", "-o", help="CSV file to write."),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Write the stored scores, stages and reasons of every contact to a CSV file."""
    from connector.scoring.export import export_scores

    count = export_scores(_scoring_store(database), output)
    typer.echo(f"{count} contact(s) written to {output}")


def _as_of(text: str | None):
    from datetime import UTC, datetime

    from connector.errors import InputError

    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of {text!r} is not an ISO 8601 time (e.g. 2026-10-02T12:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _scoring_store(database: str | None):
    from connector.store import make_engine, upgrade_store

    engine = make_engine(database)
    upgrade_store(engine)
    return engine


# --- end of scoring section -----------------------------------------------------------------------------------


# --- sync section: `sync`, `setup`, adapter choice (connector/sync.py) ----------------------------------------

CONNECTION_HELP = "Only this connection (repeatable); default: every connection in the file."


def build_adapter(config: ConnectorConfig, connection: ConnectionConfig) -> CrmAdapter:
    """The one place that turns a connection's `crm:` into an adapter."""
    mapping = config.resolve(connection.mapping)
    if connection.crm == "salesforce":
        from adapters.salesforce.adapter import SalesforceAdapter

        return SalesforceAdapter.from_connection(connection.settings, mapping)
    from adapters.hubspot.adapter import HubSpotAdapter

    return HubSpotAdapter.from_connection(connection.settings, mapping)


@app.command(rich_help_panel="Run")
def sync(
    config: Path = typer.Option(Path("connector.yaml"), "--config", "-c", help=SERVICE_CONFIG_HELP),
    connection: list[str] = typer.Option([], "--connection", help=CONNECTION_HELP),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Compute everything, print what would be written, write nothing."
    ),
    full: bool = typer.Option(False, "--full", help="Ignore the bookmarks and pull everything again."),
    log_format: str = typer.Option("auto", "--log-format", help="text, json, or auto (json when not a terminal)."),
) -> None:
    """Pull, score, stage, create tasks and write back, once, for each connection.

    Exit code: 0 all succeeded, 1 a run failed or was stopped, 4 a CRM daily limit was reached, 6 another run of
    the connection was in progress."""
    from rich.console import Console

    from connector.logs import configure_logging
    from connector.store import make_engine, upgrade_store
    from connector.sync import EXIT_CODES, run_sync
    from connector.sync_console import print_report, sync_progress

    configure_logging(log_format)
    loaded = load_config(config)
    chosen = [loaded.connection(name) for name in connection] or loaded.connections
    engine = make_engine(loaded.database_url)
    upgrade_store(engine)
    console = Console()
    exit_code = 0
    for each in chosen:
        with sync_progress(Console(stderr=True)) as progress:
            report = run_sync(
                engine, loaded, each, build_adapter(loaded, each), dry_run=dry_run, full=full, progress=progress
            )
        print_report(console, report)
        exit_code = max(exit_code, EXIT_CODES.get(report.status, 1))
    raise typer.Exit(exit_code)


@app.command(rich_help_panel="Configure")
def setup(
    config: Path = typer.Option(Path("connector.yaml"), "--config", "-c", help=SERVICE_CONFIG_HELP),
    connection: list[str] = typer.Option([], "--connection", help=CONNECTION_HELP),
) -> None:
    """Create the write-back fields or properties each CRM is missing (safe to repeat) and say what was done."""
    loaded = load_config(config)
    for each in [loaded.connection(name) for name in connection] or loaded.connections:
        actions = build_adapter(loaded, each).setup()
        typer.echo(f"{each.name}: " + ("; ".join(actions) if actions else "nothing to do, every field exists"))


# --- end of sync section --------------------------------------------------------------------------------------


# --- demo section: `demo` (connector/demo.py, adapters/sandbox/demo.py) -----------------------------------------


@app.command(rich_help_panel="Run")
def demo(
    contacts: int = typer.Option(2000, "--contacts", min=10, help="People generated in each stand-in."),
    seed: int = typer.Option(7, "--seed", help="Seed of the generated data (same seed, same data)."),
    workdir: Path = typer.Option(Path("scorebridge-demo"), "--workdir", help="Folder for the demo's store and files."),
    model: Path = typer.Option(DEFAULT_MODEL_PATH, "--model", "-m", help=MODEL_HELP),
) -> None:
    """Try ScoreBridge with no CRM and no credentials: built-in Salesforce and HubSpot stand-ins, two syncs."""
    import shutil
    from datetime import UTC, datetime

    from rich.console import Console

    from adapters.sandbox.demo import start_demo_sandbox
    from connector.config import ConnectionConfig, ConnectorConfig
    from connector.demo import DemoCrm, run_demo
    from connector.store import make_engine, upgrade_store

    shutil.rmtree(workdir, ignore_errors=True)  # a demo always starts from scratch
    workdir.mkdir(parents=True)
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 150)  # a log file or pipe: keep the tables' rows on one line
    now = datetime.now(UTC)
    mappings = Path(model).parent
    sandboxes = [
        start_demo_sandbox(crm, workdir / crm, contacts=contacts, seed=seed + offset, now=now)
        for offset, crm in enumerate(("salesforce", "hubspot"))
    ]
    try:
        connections = [
            ConnectionConfig(
                name=f"demo-{box.crm}", crm=box.crm, mapping=mappings / f"{box.crm}.yaml", settings=box.settings
            )
            for box in sandboxes
        ]
        config = ConnectorConfig(database_url=f"sqlite:///{workdir / 'store.db'}", model=model, connections=connections)
        engine = make_engine(config.database_url)
        upgrade_store(engine)
        crms = [
            DemoCrm(
                connection,
                lambda connection=connection: build_adapter(config, connection),
                lambda box=box: box.users_keep_working(datetime.now(UTC)),
            )
            for connection, box in zip(connections, sandboxes, strict=True)
        ]
        console.print(f"Stand-ins started with {contacts:,} generated people each; store: {workdir / 'store.db'}")
        run_demo(console, engine, config, crms)
    finally:
        for box in sandboxes:
            box.stop()


# --- end of demo section --------------------------------------------------------------------------------------


def _register_subcommands() -> None:
    # Sub-apps live beside what they drive; the CLI only mounts them.
    from adapters.sandbox.cli import sandbox_app

    app.add_typer(sandbox_app, name="sandbox", rich_help_panel="Try")


def main() -> None:
    """Console entry point: turns ScoreBridge errors into one clear line and a non-zero exit code."""
    _register_subcommands()
    try:
        app()  # standalone: usage errors print click's message and exit 2
    except ScoreBridgeError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
