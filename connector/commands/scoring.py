"""`score`, `explain`, `index`, `export`: the scores in the store.

Each reads the store and model that the connector file names (`--config`, or `connector.yaml` when present, as
`sync` does); `--database` and `--model` override them. Looking at another moment (`--as-of` before the last live
scoring) replays it and stores nothing: nothing these commands do can change what sales see in the CRM.
"""

from __future__ import annotations

from pathlib import Path

import typer

from connector.commands.options import (
    AS_OF_HELP,
    DATABASE_HELP,
    MODEL_OVERRIDE_HELP,
    STORE_CONFIG_HELP,
    StoreSources,
    parse_as_of,
)

SHARD_HELP = (
    "Score only this worker's share, I/N: the contacts whose store id modulo N is I (0 to N-1), with a checkpoint "
    "and lock of its own, so N workers sharing one PostgreSQL store score it side by side (docs/scaling.md)."
)
HISTORY_AS_OF_HELP = "Look at this moment (ISO 8601); a moment before the last scoring is replayed, never stored."
WHAT_IF_HELP = (
    "Also show the scores and stage if these activities happened at the as-of moment, never stored: activity types "
    "or rule labels in snake case, comma-separated, NAME*COUNT for several (demo_attended,pricing_page*2)."
)


def score(
    model: Path | None = typer.Option(None, "--model", "-m", help=MODEL_OVERRIDE_HELP),
    full: bool = typer.Option(False, "--full", help="Rescore every contact, not only those that changed."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    config: Path | None = typer.Option(None, "--config", "-c", help=STORE_CONFIG_HELP),
    shard: str | None = typer.Option(None, "--shard", metavar="I/N", help=SHARD_HELP),
) -> None:
    """Score the store: fit, lead, engagement, recency, combined, grade and stage, incrementally by default.

    With a connector file each connection is scored with its own model, as `sync` does. An --as-of before the
    last scoring (or after now) is replayed and reported without storing anything."""
    from datetime import UTC, datetime

    from connector.errors import InputError
    from connector.reports.scoring_console import print_replay, print_summary, progress_bar
    from connector.scoring import load_model, score_store
    from connector.scoring.replay import is_replay, replay_store
    from connector.scoring.shard import parse_shard
    from connector.terminal import command_console

    share = None if shard is None else parse_shard(shard)
    sources = StoreSources.read(config, database, model)
    runs = [(scope, load_model(path)) for scope, path in sources.scopes()]  # a bad model leaves the store untouched
    moment = parse_as_of(as_of)
    engine = sources.open_store()
    console = command_console()
    for scope, loaded in runs:
        if is_replay(engine, moment, datetime.now(UTC), scope, share):
            if share is not None:
                raise InputError("--shard splits live scoring; a replay (--as-of before the last scoring) stores "
                                 "nothing: run it without --shard")  # fmt: skip
            print_replay(console, replay_store(engine, loaded, moment, scope), scope)
            continue
        with progress_bar(command_console(stderr=True)) as report:
            summary = score_store(engine, loaded, moment, full=full, contacts=scope, progress=report, shard=share)
        print_summary(console, summary)


def explain(
    contact: str = typer.Argument(..., help="Store id, CRM id or email of the contact."),
    model: Path | None = typer.Option(None, "--model", "-m", help=MODEL_OVERRIDE_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help=HISTORY_AS_OF_HELP),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    config: Path | None = typer.Option(None, "--config", "-c", help=STORE_CONFIG_HELP),
    what_if: str | None = typer.Option(None, "--what-if", help=WHAT_IF_HELP),
    output_format: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Every point of one contact: which rule, which activity, caps and window, and why its stage is what it is;
    how far the next stage is, and with --what-if the contact as it would be after some activities.

    Uses the model of the connection the contact came through; stores nothing."""
    from connector.reports.explain_output import explanation_json, print_explanation
    from connector.scoring import load_model
    from connector.scoring.explain import contact_connection
    from connector.scoring.explain import explain as explain_contact
    from connector.scoring.what_if import parse_what_if
    from connector.terminal import command_console

    if output_format not in ("table", "json"):
        raise typer.BadParameter(f"{output_format!r}: use table or json", param_hint="--format")
    sources = StoreSources.read(config, database, model)
    engine = sources.open_store()
    loaded = load_model(sources.model_path(contact_connection(engine, contact)))
    items = parse_what_if(what_if, loaded) if what_if else ()
    explanation = explain_contact(engine, loaded, contact, parse_as_of(as_of), what_if=items)
    if output_format == "json":
        print(explanation_json(explanation))
    else:
        print_explanation(command_console(), explanation)


def index(
    by: str | None = typer.Option(None, "--by", help="Group by a contact field: lead_source, owner_id, ..."),
    by_group: bool = typer.Option(
        False, "--by-group", help="One row per score group of the model (engaged in that group's activities)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="The index at this moment, replayed from the stored activities; stores nothing."
    ),
    output_format: str = typer.Option("table", "--format", "-f", help="table, json or csv."),
    model: Path | None = typer.Option(None, "--model", "-m", help=MODEL_OVERRIDE_HELP + " Used with --as-of."),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    config: Path | None = typer.Option(None, "--config", "-c", help=STORE_CONFIG_HELP),
) -> None:
    """The engagement index: percent of contacts engaged, overall and per group (a contact field's values or the
    model's score groups), from the stored scores."""
    from connector.reports.engagement_index import engagement_index, replayed_index
    from connector.reports.index_console import print_index
    from connector.scoring import load_model
    from connector.scoring.replay import replay_on

    if output_format not in ("table", "json", "csv"):
        raise typer.BadParameter(f"{output_format!r}: use table, json or csv", param_hint="--format")
    sources = StoreSources.read(config, database, model)
    engine = sources.open_store()
    if as_of is None:
        result = engagement_index(engine, by, by_group)
    else:
        moment = parse_as_of(as_of)
        runs = [(scope, load_model(path)) for scope, path in sources.scopes()]
        result = replayed_index(
            engine,
            lambda connection: [replay_on(connection, each, moment, scope) for scope, each in runs],
            by,
            by_group,
        )
    print_index(result, output_format)


def export(
    output: Path = typer.Option(Path("scores.csv"), "--output", "-o", help="CSV file to write."),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    config: Path | None = typer.Option(None, "--config", "-c", help=STORE_CONFIG_HELP),
) -> None:
    """Write the stored scores, stages and reasons of every contact to a CSV file."""
    from connector.reports.export import export_scores

    count = export_scores(StoreSources.read(config, database, None).open_store(), output)
    typer.echo(f"{count} contact(s) written to {output}")
