"""`sync`, `setup`, `demo`, `init`: runs against CRMs, real or stand-in, and a project folder to start from."""

from __future__ import annotations

from pathlib import Path

import typer

from connector.commands.options import CONFIG_HELP, CONNECTION_HELP, LOG_FORMAT_HELP, model_option
from connector.config import load_config


def sync(
    config: Path = typer.Option(Path("connector.yaml"), "--config", "-c", help=CONFIG_HELP),
    connection: list[str] = typer.Option([], "--connection", help=CONNECTION_HELP),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Compute everything, print what would be written, write nothing."
    ),
    full: bool = typer.Option(
        False,
        "--full",
        help="Pull everything again and drop stored activities the mapping no longer selects "
        "(a changed mapping does this by itself).",
    ),
    log_format: str = typer.Option("auto", "--log-format", help=LOG_FORMAT_HELP),
) -> None:
    """Pull, score, stage, create tasks and write back, once, for each connection.

    Exit code: 0 all succeeded, 1 a run failed or was stopped, 4 a CRM daily limit was reached, 6 another run of
    the connection was in progress."""
    from rich.console import Console

    from connector.cli import build_adapter
    from connector.logs import configure_logging
    from connector.store import make_engine, upgrade_store
    from connector.sync import EXIT_CODES, run_sync
    from connector.sync_console import print_report, sync_progress
    from connector.terminal import command_console

    configure_logging(log_format)
    loaded = load_config(config)
    chosen = [loaded.connection(name) for name in connection] or loaded.connections
    engine = make_engine(loaded.database_url)
    upgrade_store(engine)
    console = command_console()
    exit_code = 0
    for each in chosen:
        with sync_progress(Console(stderr=True)) as progress:
            report = run_sync(
                engine, loaded, each, build_adapter(loaded, each), dry_run=dry_run, full=full, progress=progress
            )
        print_report(console, report)
        exit_code = max(exit_code, EXIT_CODES.get(report.status, 1))
    raise typer.Exit(exit_code)


def setup(
    config: Path = typer.Option(Path("connector.yaml"), "--config", "-c", help=CONFIG_HELP),
    connection: list[str] = typer.Option([], "--connection", help=CONNECTION_HELP),
) -> None:
    """Create the write-back fields or properties each CRM is missing (safe to repeat) and say what was done."""
    from connector.cli import build_adapter

    loaded = load_config(config)
    for each in [loaded.connection(name) for name in connection] or loaded.connections:
        actions = build_adapter(loaded, each).setup()
        typer.echo(f"{each.name}: " + ("; ".join(actions) if actions else "nothing to do, every field exists"))


def demo(
    contacts: int = typer.Option(2000, "--contacts", min=10, help="People generated in each stand-in."),
    seed: int = typer.Option(7, "--seed", help="Seed of the generated data (same seed, same data)."),
    workdir: Path = typer.Option(
        Path("scorebridge-demo"),
        "--workdir",
        help="Folder for the demo's store and files: new, empty, or a previous demo's (which is replaced).",
    ),
    model: Path = model_option(),
) -> None:
    """Try ScoreBridge with no CRM and no credentials: built-in Salesforce and HubSpot stand-ins, two syncs.

    The mappings are the salesforce.yaml and hubspot.yaml beside the model, else the ones shipped with ScoreBridge."""
    from datetime import UTC, datetime

    from adapters.registry import crm_names
    from adapters.sandbox.demo import start_demo_sandbox
    from connector.cli import build_adapter
    from connector.config import ConnectionConfig, ConnectorConfig
    from connector.demo import DemoCrm, prepare_demo_folder, run_demo, write_demo_report
    from connector.store import make_engine, upgrade_store
    from connector.terminal import command_console

    prepare_demo_folder(workdir)  # a demo always starts from scratch, but never deletes someone's files
    console = command_console()
    now = datetime.now(UTC)
    sandboxes = [
        start_demo_sandbox(crm, workdir / crm, contacts=contacts, seed=seed + offset, now=now)
        for offset, crm in enumerate(crm_names())
    ]
    try:
        connections = [
            ConnectionConfig(
                name=f"demo-{box.crm}", crm=box.crm, mapping=_mapping_beside(model, box.crm), settings=box.settings
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
        write_demo_report(console, engine, config, workdir / "report.html")
    finally:
        for box in sandboxes:
            box.stop()


def _mapping_beside(model: Path, crm: str) -> Path:
    from connector.defaults import mapping_file_name, packaged_file

    beside = model.parent / mapping_file_name(crm)
    return beside if beside.is_file() else packaged_file(mapping_file_name(crm))


def init(
    folder: Path = typer.Argument(
        ..., metavar="DIR", help="The project folder to create or fill: acme, or . for the working directory."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite starter files that already exist there."),
) -> None:
    """Write a project to start from: connector.yaml and the model and mappings to adapt (files private to you)."""
    from connector.starter import next_steps, write_starter_project

    for path in write_starter_project(folder, force=force):
        typer.echo(f"wrote {path}")
    typer.echo(next_steps(folder))
