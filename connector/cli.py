"""The `scorebridge` command: mounts the subcommands of `connector/commands/`; the one place that picks an adapter."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from connector.commands import evaluating, importing, operating, reporting, running, scoring, validating
from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import CrmAdapter
from connector.errors import ConfigError, ScoreBridgeError

if TYPE_CHECKING:
    from adapters.registry import CrmKind
    from connector.mapping_checks import MappingProfile

app = typer.Typer(
    name="scorebridge",
    help="Lead, engagement, fit and recency scoring for Salesforce and HubSpot, with write-back and sales tasks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Markdown joins a docstring paragraph's lines and wraps them to the terminal; "rich" keeps every source line
    # break (https://typer.tiangolo.com/tutorial/commands/help/#rich-markdown-and-markup).
    rich_markup_mode="markdown",
)

COMMANDS = {
    "Run": (running.sync, operating.serve, running.demo),
    "Configure": (running.init, validating.validate, running.setup),
    "Score": (scoring.score, scoring.explain, scoring.index, scoring.export),
    "Evaluate": (reporting.report, evaluating.backtest, evaluating.suggest),
    "Operate": (operating.runs, operating.status),
}
for panel, commands in COMMANDS.items():
    for command in commands:
        app.command(rich_help_panel=panel)(command)
app.add_typer(importing.import_app, name="import", rich_help_panel="Score")


def build_adapter(config: ConnectorConfig, connection: ConnectionConfig) -> CrmAdapter:
    """The one place that turns a connection's `crm:` into an adapter; a problem in its `settings:` block is
    reported with the connector file and the connection's key path."""
    try:
        return _adapter(config, connection)
    except ConfigError as error:
        if not (error.key or "").startswith("settings") or config.source_path is None:
            raise
        key = f"connections[{config.connections.index(connection)}].{error.key}"
        raise ConfigError(error.message, source=str(config.source_path), key=key) from None


def _adapter(config: ConnectorConfig, connection: ConnectionConfig) -> CrmAdapter:
    from adapters.registry import AdapterOptions

    mapping = config.resolve(connection.mapping)
    options = AdapterOptions(config_folder=config.folder)
    return _crm(config, connection).adapter(connection.settings, mapping, options)


def _crm(config: ConnectorConfig, connection: ConnectionConfig) -> CrmKind:
    """The registered CRM a connection names (adapters/registry.py, the one list of CRMs)."""
    from adapters.registry import crm_named

    try:
        return crm_named(connection.crm)
    except KeyError as unknown:
        key = f"connections[{config.connections.index(connection)}].crm"
        raise ConfigError(unknown.args[0], source=str(config.source_path or ""), key=key) from None


def mapping_profile(config: ConnectorConfig, connection: ConnectionConfig) -> MappingProfile:
    """The activity types and attributes and the contact fields a connection's mapping file produces, read
    offline (no credentials needed)."""
    from adapters.registry import account_write_target_keys
    from connector.mapping_checks import MappingProfile

    crm = _crm(config, connection)
    mapping = crm.load_mapping(config.resolve(connection.mapping))
    return MappingProfile(
        config.resolve(connection.mapping),
        mapping.activity_attributes(),
        mapping.filled_fields(),
        crm.write_target_keys(mapping),
        account_write_target_keys(mapping),
    )


def _register_sandbox() -> None:
    # The sandbox's commands live beside the stand-ins they drive; imported late so `--help` stays fast.
    from adapters.sandbox.cli import sandbox_app

    app.add_typer(sandbox_app, name="sandbox", rich_help_panel="Try")


def main() -> None:
    """Console entry point: turns ScoreBridge errors into one clear line and a non-zero exit code."""
    _register_sandbox()
    try:
        app()  # standalone: usage errors print click's message and exit 2
    except ScoreBridgeError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
