"""The console every command prints through: rich on a terminal, long lines kept whole when piped."""

from __future__ import annotations

from rich.console import Console

#: Piped into a file or `less`, rich would wrap at 80 columns and cut tables; keep one row per line instead.
PIPED_WIDTH = 200


def command_console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console.width = PIPED_WIDTH
    return console
