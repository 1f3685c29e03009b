"""`report`: the closed loop read from the store: funnel by score band, how well the scores foretell wins, the
engagement index by week, the score distribution and the reasons among won and lost contacts.

Read-only, like `index` and `explain`: nothing is scored or written to the store, so it can never change what
sales see. Where the store and model come from is the same as for those commands.
"""

from __future__ import annotations

from pathlib import Path

import typer

from connector.commands.options import DATABASE_HELP, MODEL_OVERRIDE_HELP, STORE_CONFIG_HELP, StoreSources, parse_as_of


def report(
    html: Path | None = typer.Option(
        None, "--html", help="Also write the report as one self-contained HTML page (no script, no network) here."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    won_within: int = typer.Option(
        90, "--won-within", min=1, help="AUC and lift judge the scores of this many days ago on wins since then."
    ),
    weeks: int = typer.Option(26, "--weeks", min=1, help="Weeks of engagement index to show."),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="The report as the store stood at this moment (ISO 8601; default now): later rows are left out.",
    ),
    model: Path | None = typer.Option(None, "--model", "-m", help=MODEL_OVERRIDE_HELP),
    database: str | None = typer.Option(None, "--database", help=DATABASE_HELP),
    config: Path | None = typer.Option(None, "--config", "-c", help=STORE_CONFIG_HELP),
) -> None:
    """Conversion MQL -> SQL -> opportunity -> won by score band, grade, lead source and owner; AUC and lift of
    each score; engagement index by week; score distribution; top reasons won vs lost; the last runs.

    Scores "at the time" come from the score history, never from today's scores. Stores nothing."""
    import json

    from connector.errors import InputError
    from connector.reports.closed_loop import build_report, headline_figures, report_as_dict
    from connector.reports.closed_loop_console import report_tables
    from connector.reports.closed_loop_page import write_page
    from connector.scoring import load_model
    from connector.terminal import command_console

    sources = StoreSources.read(config, database, model)
    loaded = load_model(sources.model_path())
    built = build_report(sources.open_store(), loaded, now=parse_as_of(as_of), won_within_days=won_within, weeks=weeks)
    if html is not None:
        try:
            write_page(built, html)
        except OSError as error:
            raise InputError(f"--html {html}: cannot write the page: {error.strerror}") from None
    if as_json:
        typer.echo(json.dumps(report_as_dict(built), indent=2))
    elif html is not None:
        typer.echo(f"report written to {html}: " + "; ".join(headline_figures(built)))
    else:
        console = command_console()
        for part in report_tables(built):
            console.print(part)
