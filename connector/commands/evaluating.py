"""`backtest` and `suggest`: test a model on history and suggest points from outcomes, without publishing anything.

Both read the store and model that the connector file names (as `score` does) and replay history: nothing they do
is stored, so they never change what sales see in the CRM. `suggest` writes a candidate model file for the admin
to review; it never replaces the model in use.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from connector.analytics import DEFAULT_HORIZON_DAYS
from connector.commands.options import DATABASE_HELP, STORE_CONFIG_HELP, StoreSources, parse_as_of
from connector.errors import InputError
from connector.score_catalog import CONTACT_SCORES as SCORE_NAMES

if TYPE_CHECKING:
    from connector.scoring.model import ScoringModel
    from connector.scoring.scope import ContactScope

LIVE_MODEL_HELP = (
    "The model in use, to compare against (default: the connector file's; without one mappings/scoring.yaml "
    "here, else the model shipped with ScoreBridge)."
)
CONNECTION_HELP = "Only this connection's contacts, with its model (default: every contact, the connector's model)."
WITHIN_HELP = "A contact counts as won when a won deal it belongs to closed within this many days after the moment."
SCORE_HELP = "The score ranked for AUC and lift: " + ", ".join(SCORE_NAMES) + "."
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dw]?)\s*$")


def backtest(
    model: Path = typer.Option(..., "--model", "-m", help="The candidate model file to test."),
    start: str | None = typer.Option(None, "--from", help="First moment (ISO 8601); default 12 steps before --to."),
    end: str | None = typer.Option(
        None, "--to", help="Last moment (ISO 8601); default now minus --within, the last whose outcomes are known."
    ),
    every: str = typer.Option("7d", "--every", help="Step between moments: days (7d) or weeks (2w)."),
    within: str = typer.Option(f"{DEFAULT_HORIZON_DAYS}d", "--within", help=WITHIN_HELP),
    score: str = typer.Option("combined", "--score", help=SCORE_HELP),
    connection: str | None = typer.Option(None, "--connection", help=CONNECTION_HELP),
    live_model: Path | None = typer.Option(None, "--live-model", help=LIVE_MODEL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON instead of tables."),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    config: Path | None = typer.Option(None, "--config", "-c", help=STORE_CONFIG_HELP),
) -> None:
    """Replay a candidate model and the live one over history and compare them side by side: new MQLs per
    period, MQL -> won, AUC and top-decile lift, precision and recall at the MQL stage, stage counts.

    Every moment is replayed from the stored activities on a read-only connection: nothing is stored, and the
    next sync writes nothing because of it. Exits 1 when the history holds too few outcomes to say anything."""
    from connector.analytics.backtest import backtest as run_backtest
    from connector.analytics.cohorts import evaluation_moments
    from connector.analytics.evaluation_console import print_backtest
    from connector.scoring import load_model
    from connector.terminal import command_console

    _check_score(score)
    candidate = load_model(model)  # a candidate that does not validate stops here, before the store is opened
    sources = StoreSources.read(config, database, live_model)
    scope, live = _scope_and_model(sources, connection)
    step, horizon = days_of(every, "--every"), days_of(within, "--within")
    last = parse_as_of(end) if end else parse_as_of(None) - timedelta(days=horizon)
    first = parse_as_of(start) if start else last - timedelta(days=12 * step)
    moments = evaluation_moments(_ordered(first, last), last, step)
    result = run_backtest(sources.open_store(), live, candidate, moments, horizon, scope, score)
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2))
        return
    print_backtest(command_console(), result)


def days_of(text: str, option: str) -> float:
    """'7d', '2w' or '7' as a number of days."""
    found = DURATION.match(text)
    if not found or float(found.group(1)) <= 0:
        raise InputError(f"{option} {text!r} is not a duration: write days (7d) or weeks (2w)")
    return float(found.group(1)) * (7 if found.group(2) == "w" else 1)


def _check_score(score: str) -> None:
    if score not in SCORE_NAMES:
        raise InputError(f"--score {score!r} is not a score; use one of {', '.join(SCORE_NAMES)}")


def _ordered(first: datetime, last: datetime) -> datetime:
    if first > last:
        raise InputError(f"--from {first.isoformat()} is after --to {last.isoformat()}")
    return first


def _scope_and_model(sources: StoreSources, connection: str | None) -> tuple[ContactScope | None, ScoringModel]:
    """The contacts to replay and the live model: one connection's, or every contact with the connector's."""
    from connector.scoring import ContactScope, load_model

    if connection is None:
        return None, load_model(sources.model_path())
    named = [each for each in (sources.connector.connections if sources.connector else ()) if each.name == connection]
    if not named:
        raise InputError(f"--connection {connection!r} is not a connection of the connector file")
    return ContactScope(named[0].crm, named[0].name), load_model(sources.model_path(connection))


def suggest(
    output: Path = typer.Option(Path("suggested.yaml"), "--output", "-o", help="The candidate model file to write."),
    start: str | None = typer.Option(None, "--from", help="First moment (ISO 8601); default a year before --to."),
    end: str | None = typer.Option(
        None, "--to", help="Last moment (ISO 8601); default now minus --within, the last whose outcomes are known."
    ),
    every: str = typer.Option("30d", "--every", help="Step between moments: days (30d) or weeks (4w)."),
    within: str = typer.Option(f"{DEFAULT_HORIZON_DAYS}d", "--within", help=WITHIN_HELP),
    score: str = typer.Option("combined", "--score", help=SCORE_HELP + " Used to judge and pick the half-life."),
    connection: str | None = typer.Option(None, "--connection", help=CONNECTION_HELP),
    model: Path | None = typer.Option(None, "--model", "-m", help=LIVE_MODEL_HELP),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    config: Path | None = typer.Option(None, "--config", "-c", help=STORE_CONFIG_HELP),
) -> None:
    """Suggest points from outcomes: a regularized logistic regression of winning on each rule's evidence,
    trained on earlier moments and judged on later ones, written as a candidate model file.

    The file has the current model's vocabulary, rules and stages, new points on the current model's scale,
    and comments naming what changed and why; the held-out comparison is printed. Nothing is published or
    stored: review the file, `scorebridge backtest --model` it, then point the connector file at it."""
    from connector.analytics.cohorts import evaluation_moments
    from connector.analytics.evaluation_console import print_backtest
    from connector.analytics.suggest import suggest as suggest_points
    from connector.analytics.suggested_model import write_suggestion
    from connector.terminal import command_console

    _check_score(score)
    sources = StoreSources.read(config, database, model)
    scope, current = _scope_and_model(sources, connection)
    current_path = sources.model_path(connection)
    if output.resolve() == current_path.resolve():
        raise InputError(f"--output {output} is the model in use; suggest writes a candidate beside it, never over it")
    step, horizon = days_of(every, "--every"), days_of(within, "--within")
    last = parse_as_of(end) if end else parse_as_of(None) - timedelta(days=horizon)
    first = parse_as_of(start) if start else last - timedelta(days=365)
    moments = evaluation_moments(_ordered(first, last), last, step)
    suggestion = suggest_points(sources.open_store(), current, moments, horizon, scope, score)
    write_suggestion(output, current_path, current, suggestion)
    console = command_console()
    print_backtest(console, suggestion.held_out, title="Held-out moments, current (live) vs suggested (candidate)")
    console.print(f"Wrote {output} (not in use; review it, then point the connector file at it).")
