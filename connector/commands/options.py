"""What several commands share: option help texts, the --as-of and --format checks, opening the store, JSON-or-table
output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy.engine import Engine

from connector.config import ConnectorConfig, load_config
from connector.defaults import default_model_path
from connector.errors import InputError

CONFIG_HELP = "The connector file (connections, schedules, store, service settings)."
CONNECTION_HELP = "Only this connection (repeatable); default: every connection in the file."
DATABASE_HELP = "Store URL (default: SCOREBRIDGE_DATABASE_URL, else sqlite:///scorebridge.db)."
MODEL_HELP = (
    "The scoring model file; default: mappings/scoring.yaml in the working directory if there is one, "
    "else the model shipped with ScoreBridge."
)
AS_OF_HELP = "Score as of this moment (ISO 8601; UTC when no offset); default now."
LOG_FORMAT_HELP = "text, json, or auto (json when not a terminal)."
STORE_CONFIG_HELP = "Connector file whose store and models to use (default: connector.yaml when present)."
MODEL_OVERRIDE_HELP = (
    "The scoring model file (default: the connector file's; without one mappings/scoring.yaml here, "
    "else the model shipped with ScoreBridge)."
)
#: The connector file read commands use when no --config is given, as `sync` does.
DEFAULT_CONFIG = Path("connector.yaml")


def model_option():
    """The `--model` option of every command that reads the model; the default is found when the command runs."""
    return typer.Option(default_model_path, "--model", "-m", help=MODEL_HELP, show_default=False)


def check_format(output_format: str, formats: tuple[str, ...]) -> None:
    """`--format`'s value is one of `formats`, else click's usage error (exit 2)."""
    if output_format not in formats:
        raise typer.BadParameter(
            f"{output_format!r}: use {', '.join(formats[:-1])} or {formats[-1]}", param_hint="--format"
        )


def parse_as_of(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of {text!r} is not an ISO 8601 time (e.g. 2026-10-02T12:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def open_store(database: str | None) -> Engine:
    """The store at this URL (or the default), its schema brought up to date."""
    from connector.store import make_engine, upgrade_store

    engine = make_engine(database)
    upgrade_store(engine)
    return engine


def print_json_or_table(output) -> None:
    from connector.terminal import command_console

    if isinstance(output, list):
        typer.echo(json.dumps(output, indent=2))
        return
    command_console().print(output)


@dataclass(frozen=True)
class StoreSources:
    """Where a command's store and model come from: flags first, then the connector file, then the defaults."""

    connector: ConnectorConfig | None
    database: str | None
    model: Path | None

    @classmethod
    def read(cls, config: Path | None, database: str | None, model: Path | None) -> StoreSources:
        if config is None and DEFAULT_CONFIG.is_file():
            config = DEFAULT_CONFIG
        return cls(load_config(config) if config else None, database, model)

    def open_store(self) -> Engine:
        return open_store(self.database or (self.connector.database_url if self.connector else None))

    def model_path(self, connection: str | None = None) -> Path:
        if self.model is not None:
            return self.model
        if self.connector is None:
            return default_model_path()
        named = [each for each in self.connector.connections if each.name == connection]
        return self.connector.model_path(named[0] if named else None)

    def scopes(self):
        """(scope, model path) per connection of the connector file; one whole-store pair without one."""
        from connector.scoring import ContactScope

        if self.connector is None or not self.connector.connections or self.model is not None:
            return [(None, self.model_path())]
        return [(ContactScope(each.crm, each.name), self.model_path(each.name)) for each in self.connector.connections]
