"""`score`, `explain`, `index`, `export`: the scores in the store."""

from __future__ import annotations

from pathlib import Path

import typer

from connector.commands.options import (
    AS_OF_HELP,
    DATABASE_HELP,
    DEFAULT_MODEL_PATH,
    MODEL_HELP,
    open_store,
    parse_as_of,
)


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
    moment = parse_as_of(as_of)
    engine = open_store(database)
    console = Console()
    with progress_bar(Console(stderr=True)) as report:
        summary = score_store(engine, loaded, moment, full=full, progress=report)
    print_summary(console, summary)


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
    print_explanation(Console(), explain_contact(open_store(database), loaded, contact, parse_as_of(as_of)))


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

    engine = open_store(database)
    if as_of is not None:
        score_store(engine, load_model(model), parse_as_of(as_of))
    Console().print(index_table(engagement_index(engine, by)))


def export(
    output: Path = typer.Option(Path("scores.csv"), "--output", "-o", help="CSV file to write."),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Write the stored scores, stages and reasons of every contact to a CSV file."""
    from connector.scoring.export import export_scores

    count = export_scores(open_store(database), output)
    typer.echo(f"{count} contact(s) written to {output}")
