"""`scorebridge sandbox ...`: run a local Salesforce or HubSpot stand-in."""

from __future__ import annotations

import typer

sandbox_app = typer.Typer(help="Run a local Salesforce or HubSpot stand-in for trials, tests and benchmarks.")
