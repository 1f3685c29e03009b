"""What several commands share: option help texts, the --as-of parser, opening the store, JSON-or-table output."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer
from sqlalchemy.engine import Engine

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


def model_option():
    """The `--model` option of every command that reads the model; the default is found when the command runs."""
    return typer.Option(default_model_path, "--model", "-m", help=MODEL_HELP, show_default=False)


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
    from rich.console import Console

    if isinstance(output, list):
        typer.echo(json.dumps(output, indent=2))
        return
    console = Console()
    if not console.is_terminal:
        console.width = 200  # piped into a file or less: keep one row per line instead of wrapping at 80
    console.print(output)
