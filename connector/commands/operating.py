"""`serve`, `runs`, `status`: the scheduled service and what it has done."""

from __future__ import annotations

from pathlib import Path

import typer

from connector.commands.options import CONFIG_HELP, LOG_FORMAT_HELP, print_json_or_table
from connector.config import load_config


def serve(
    config: Path = typer.Option(Path("connector.yaml"), "--config", "-c", help=CONFIG_HELP),
    port: int | None = typer.Option(None, "--port", help="Port of /healthz /readyz /metrics (default: service.port)."),
    log_format: str = typer.Option("auto", "--log-format", help=LOG_FORMAT_HELP),
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


def runs(
    config: Path | None = typer.Option(None, "--config", "-c", help=f"{CONFIG_HELP} Only its store is used."),
    connection: str | None = typer.Option(None, "--connection", help="Only the runs of this connection."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many of the newest runs to list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List recent sync runs: when, how long, how they ended and what they moved."""
    from connector.runs import recent_runs, run_as_dict, runs_table

    store = _store_of(load_config(config).database_url if config else None)
    found = recent_runs(store, connection=connection, limit=limit)
    print_json_or_table([run_as_dict(run) for run in found] if as_json else runs_table(found))


def status(
    config: Path = typer.Option(Path("connector.yaml"), "--config", "-c", help=CONFIG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Per connection: the last run, how far each stream has been pulled, and the write-back backlog."""
    from connector.runs import connection_statuses, status_as_dict, status_table

    loaded = load_config(config)
    pairs = [(each.name, each.crm) for each in loaded.connections]
    found = connection_statuses(_store_of(loaded.database_url), pairs)
    print_json_or_table([status_as_dict(each) for each in found] if as_json else status_table(found))


def _store_of(database_url: str | None):
    from connector.runs import require_run_history
    from connector.store import make_engine

    engine = make_engine(database_url)
    require_run_history(engine)
    return engine
