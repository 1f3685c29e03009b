"""`--help` reads as prose: a command's paragraphs are wrapped to the terminal, not broken where the source breaks."""

import inspect
import re

import pytest
from typer.testing import CliRunner

from connector.cli import app

COMMANDS = [command.callback for command in app.registered_commands]


def _paragraphs(text: str) -> list[str]:
    """A docstring's paragraphs after the first, each on one line, as the help shows them (code marks dropped)."""
    paragraphs = inspect.cleandoc(text).split("\n\n")[1:]
    return [" ".join(paragraph.replace("`", "").split()) for paragraph in paragraphs]


@pytest.mark.parametrize(
    "callback", [c for c in COMMANDS if c.__doc__ and "\n\n" in c.__doc__], ids=lambda c: c.__name__
)
def test_each_paragraph_of_a_commands_help_is_wrapped_as_one(callback):
    name = next(c.name or c.callback.__name__ for c in app.registered_commands if c.callback is callback)
    result = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "1000", "NO_COLOR": "1"})
    shown = [" ".join(line.split()) for line in result.output.splitlines()]
    for paragraph in _paragraphs(callback.__doc__):
        assert paragraph in shown, f"{name} --help breaks the paragraph {paragraph[:60]!r}"


def test_at_least_one_command_has_a_paragraph_to_check():
    assert any(re.search(r"\n\s*\n", c.__doc__ or "") for c in COMMANDS)
