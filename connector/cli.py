"""The `scorebridge` command: thin wiring from arguments to the core; the one place that picks an adapter."""

from __future__ import annotations

import sys

import typer

from connector.errors import ScoreBridgeError

app = typer.Typer(
    name="scorebridge",
    help="Lead, engagement, fit and recency scoring for Salesforce and HubSpot, with write-back and sales tasks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _register_subcommands() -> None:
    # Sub-apps live beside what they drive; the CLI only mounts them.
    from adapters.sandbox.cli import sandbox_app

    app.add_typer(sandbox_app, name="sandbox")


def main() -> None:
    """Console entry point: turns ScoreBridge errors into one clear line and a non-zero exit code."""
    _register_subcommands()
    try:
        app(standalone_mode=False)
    except ScoreBridgeError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        sys.exit(error.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        typer.secho("aborted", err=True)
        sys.exit(130)
    except Exception as error:  # click's usage errors arrive here in non-standalone mode
        from click.exceptions import ClickException

        if isinstance(error, ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise


if __name__ == "__main__":
    main()
