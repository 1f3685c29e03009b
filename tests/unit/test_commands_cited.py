"""Every `scorebridge <command>` the docs, files and messages tell people to run is a command that exists."""

import re
from pathlib import Path

from connector.cli import app

ROOT = Path(__file__).parents[2]
#: Where users read commands: the guides, the files they edit, and our own messages and help texts.
CITING = ["README.md", "docs/**/*.md", "mappings/**/*.yaml", "examples/**/*", "deploy/**/*", "connector/**/*.py",
          "connector/**/*.yaml", "adapters/**/*.py"]  # fmt: skip
CITED = re.compile(r"\bscorebridge ([a-z][a-z_-]+)")


def _commands() -> set[str]:
    named = {command.name or command.callback.__name__ for command in app.registered_commands}
    # `main()` mounts the sandbox's commands late, to keep `--help` fast.
    return named | {group.name for group in app.registered_groups} | {"sandbox"}


def test_every_cited_command_exists():
    commands = _commands()
    unknown = [
        f"{path.relative_to(ROOT)}: scorebridge {word}"
        for pattern in CITING
        for path in sorted(ROOT.glob(pattern))
        if path.is_file() and "__pycache__" not in path.parts
        for word in CITED.findall(path.read_text(errors="replace"))
        if word not in commands
    ]
    assert unknown == []
