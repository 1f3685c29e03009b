"""`scorebridge init DIR`: a connector file, the model and the mappings to start from, private, never clobbered."""

import stat
from pathlib import Path

from typer.testing import CliRunner

from connector.cli import app
from connector.defaults import packaged_file
from connector.errors import InputError

STARTER_FILES = ["connector.yaml", "mappings/scoring.yaml", "mappings/salesforce.yaml", "mappings/hubspot.yaml"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_a_project_that_validates_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["init", "acme"])

    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to("acme")) for p in Path("acme").rglob("*") if p.is_file()) == sorted(STARTER_FILES)
    assert "scorebridge validate --config acme/connector.yaml" in result.output
    monkeypatch.chdir(tmp_path.parent)
    checked = CliRunner().invoke(app, ["validate", "--config", str(tmp_path / "acme" / "connector.yaml")])
    assert checked.exit_code == 0, checked.output
    assert f"mapping {tmp_path / 'acme' / 'mappings' / 'salesforce.yaml'}" in checked.output


def test_starter_model_and_mappings_are_the_shipped_ones(tmp_path):
    CliRunner().invoke(app, ["init", str(tmp_path / "acme")])
    for name in ("scoring.yaml", "salesforce.yaml", "hubspot.yaml"):
        assert (tmp_path / "acme" / "mappings" / name).read_text() == packaged_file(name).read_text()


def test_starter_files_are_private_to_their_owner(tmp_path):
    CliRunner().invoke(app, ["init", str(tmp_path / "acme")])

    assert _mode(tmp_path / "acme") == 0o700
    assert _mode(tmp_path / "acme" / "mappings") == 0o700
    assert {_mode(tmp_path / "acme" / name) for name in STARTER_FILES} == {0o600}


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path):
    project = tmp_path / "acme"
    project.mkdir()
    (project / "connector.yaml").write_text("# mine\n")

    result = CliRunner().invoke(app, ["init", str(project)])

    assert isinstance(result.exception, InputError), result.output
    assert "connector.yaml" in str(result.exception) and "--force" in str(result.exception)
    assert (project / "connector.yaml").read_text() == "# mine\n"
    assert not (project / "mappings").exists()


def test_init_force_overwrites_the_starter_files(tmp_path):
    project = tmp_path / "acme"
    project.mkdir()
    (project / "connector.yaml").write_text("# mine\n")

    result = CliRunner().invoke(app, ["init", str(project), "--force"])

    assert result.exit_code == 0, result.output
    assert "scorebridge init" in (project / "connector.yaml").read_text()


def test_init_into_a_file_is_one_line(tmp_path):
    (tmp_path / "taken").write_text("")
    result = CliRunner().invoke(app, ["init", str(tmp_path / "taken")])
    assert isinstance(result.exception, InputError)
    assert "not a folder" in str(result.exception)
