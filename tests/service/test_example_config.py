"""examples/connector.yaml, followed as its header says, syncs both sandboxes."""

from __future__ import annotations

import json
import logging
import re
import shlex
from itertools import pairwise
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli import app

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "connector.yaml"
EXAMPLE_URLS = {"salesforce": "https://127.0.0.1:8443", "hubspot": "http://127.0.0.1:8444"}


def header_commands() -> list[list[str]]:
    lines = [line.removeprefix("#").strip() for line in EXAMPLE.read_text().splitlines() if line.startswith("#   ")]
    return [shlex.split(line, comments=True) for line in lines]


def header_sandbox_options(crm: str) -> dict[str, str]:
    [command] = [
        words for words in header_commands() if words[:3] == ["scorebridge", "sandbox", "serve"] and crm in words
    ]
    return {key: value for key, value in pairwise(command) if key.startswith("--")}


def header_environment() -> dict[str, str]:
    pairs = [word for words in header_commands() if words[:1] == ["export"] for word in words[1:]]
    return dict(pair.split("=", 1) for pair in pairs)


@pytest.fixture
def sandboxes(tmp_path):
    from adapters.sandbox.launch import ServeOptions, start_sandbox

    running = {}
    for crm in ("salesforce", "hubspot"):
        options = header_sandbox_options(crm)
        (tmp_path / crm).mkdir()
        running[crm] = start_sandbox(
            ServeOptions(crm=crm, workdir=tmp_path / crm, token=options["--token"], generate=20, rate_limit=None)
        )
    yield running
    for sandbox in running.values():
        sandbox.stop(None)


def example_on(sandboxes, folder: Path) -> Path:
    """The example with the sandboxes' real ports and CA file, the repository's mappings and a store in `folder`."""
    text = EXAMPLE.read_text()
    for crm, url in EXAMPLE_URLS.items():
        assert url in text, f"the example no longer points at {url}"
        text = text.replace(url, sandboxes[crm].info["base_url"])
    text = re.sub(r"ca_bundle: \S+", f"ca_bundle: {sandboxes['salesforce'].info['ca_file']}", text)
    text = text.replace("../mappings/", f"{REPO / 'mappings'}/")
    text = re.sub(r"^database_url: .*$", f"database_url: sqlite:///{folder / 'store.db'}", text, flags=re.M)
    path = folder / "connector.yaml"
    path.write_text(text)
    return path


def test_example_header_steps_sync_both_sandboxes(sandboxes, tmp_path, monkeypatch):
    monkeypatch.delenv("SCOREBRIDGE_DATABASE_URL", raising=False)
    # `sync` points the root logger at the runner's stream, which closes; later tests keep their own handlers.
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    config = example_on(sandboxes, tmp_path)
    env = header_environment()
    runner = CliRunner()
    for command in (["setup", "--config", str(config)], ["sync", "--config", str(config), "--log-format", "json"]):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 0, f"{command[0]}: {result.output}"
    listing = runner.invoke(app, ["runs", "--config", str(config), "--json"])
    runs = {run["connection"]: run for run in json.loads(listing.output)}
    assert {name: run["status"] for name, run in runs.items()} == {
        "sandbox-salesforce": "succeeded",
        "sandbox-hubspot": "succeeded",
    }
    for run in runs.values():
        assert run["counts"]["pulled_contacts"] > 0
        assert run["counts"]["written"] > 0
