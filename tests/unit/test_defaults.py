"""Which model and mappings a command uses when none is named: the project folder's, else the shipped ones."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli import app
from connector.config import load_config
from connector.defaults import packaged_file

ROOT = Path(__file__).parents[2]


@pytest.fixture
def empty_folder(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _project_model(folder: Path) -> Path:
    (folder / "mappings").mkdir()
    model = folder / "mappings" / "scoring.yaml"
    model.write_text(packaged_file("scoring.yaml").read_text())
    return model


def test_the_package_ships_the_model_and_mappings_of_the_mappings_folder():
    for name in ("scoring.yaml", "salesforce.yaml", "hubspot.yaml", "examples/sarah_walkthrough.yaml"):
        assert packaged_file(name).read_bytes() == (ROOT / "mappings" / name).read_bytes(), name


def test_validate_outside_a_project_folder_checks_the_shipped_model(empty_folder):
    result = CliRunner().invoke(app, ["validate"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{packaged_file('scoring.yaml')}: valid")


def test_a_project_folders_model_comes_before_the_shipped_one(empty_folder):
    _project_model(empty_folder)

    result = CliRunner().invoke(app, ["validate"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("mappings/scoring.yaml: valid")


def test_a_connector_file_without_model_uses_the_one_beside_it_else_the_shipped_one(tmp_path):
    config = tmp_path / "connector.yaml"
    config.write_text("connections: []\n")
    assert load_config(config).model_path() == packaged_file("scoring.yaml")

    beside = _project_model(tmp_path)
    assert load_config(config).model_path() == beside
