"""Running the `scorebridge` command in the test's own process, through its real entry point."""

from __future__ import annotations

import sys

from connector.cli import main


def run_cli(monkeypatch, *arguments: str) -> int:
    """`scorebridge ARGUMENTS` in this process; its exit code."""
    monkeypatch.setattr(sys, "argv", ["scorebridge", *arguments])
    try:
        main()
    except SystemExit as done:
        return done.code or 0
    return 0
