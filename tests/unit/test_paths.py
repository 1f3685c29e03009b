"""Relative paths in a connector file are read from the file's folder, wherever scorebridge runs from.

docs/operations.md promises it for every path: the SQLite store, `{file:}` secrets, `ca_bundle`, the mappings and
the model. Each test runs from another, empty working directory and checks that nothing lands there.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from adapters.hubspot.settings import HubSpotSettings
from adapters.sandbox.launch import RunningSandbox, ServeOptions, start_sandbox
from connector.cli import app, build_adapter
from connector.config import load_config, sqlite_url_beside
from connector.starter import write_starter_project


@pytest.fixture
def elsewhere(tmp_path, monkeypatch) -> Path:
    """An empty working directory that is not the project's folder."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "project"
    write_starter_project(folder)
    return folder


@pytest.fixture
def salesforce_sandbox(tmp_path) -> Iterator[RunningSandbox]:
    running = start_sandbox(ServeOptions(crm="salesforce", workdir=tmp_path / "tls", generate=20, seed=3))
    yield running
    running.stop(None)


def _write_connector(project: Path, connections: list[dict], **top) -> Path:
    path = project / "connector.yaml"
    path.write_text(yaml.safe_dump({"database_url": "sqlite:///store.db", **top, "connections": connections}))
    return path


def _secret(project: Path, name: str, value: str) -> str:
    (project / "secrets").mkdir(exist_ok=True)
    (project / "secrets" / name).write_text(value + "\n")
    return f"secrets/{name}"


def test_sync_from_another_folder_reads_store_secrets_ca_bundle_and_mapping_beside_the_file(
    project, elsewhere, salesforce_sandbox
):
    info = salesforce_sandbox.info
    (project / "tls").mkdir()
    (project / "tls" / "ca.pem").write_bytes(Path(info["ca_file"]).read_bytes())
    settings = {
        "auth": "password",
        "login_url": info["base_url"],
        "username": info["username"],
        "consumer_key": info["client_id"],
        "consumer_secret": {"file": _secret(project, "client-secret", info["client_secret"])},
        "password": {"file": _secret(project, "password", info["password"])},
        "ca_bundle": "tls/ca.pem",
    }
    connection = {"name": "acme", "crm": "salesforce", "mapping": "mappings/salesforce.yaml", "settings": settings}
    config = _write_connector(project, [connection], model="mappings/scoring.yaml")
    runner = CliRunner()

    setup = runner.invoke(app, ["setup", "--config", str(config)])
    synced = runner.invoke(app, ["sync", "--config", str(config), "--log-format", "json"])

    assert setup.exit_code == 0, setup.output
    assert synced.exit_code == 0, synced.output
    assert (project / "store.db").is_file()
    assert list(elsewhere.iterdir()) == []


def test_hubspot_secret_file_is_read_beside_the_connector_file(project, elsewhere):
    token = _secret(project, "hubspot-token", "pat-na1-from-the-project-folder")
    settings = {"auth": "private_app", "host": "http://127.0.0.1:9", "access_token": {"file": token}}
    connection = {"name": "hs", "crm": "hubspot", "mapping": "mappings/hubspot.yaml", "settings": settings}
    config = load_config(_write_connector(project, [connection]))

    adapter = build_adapter(config, config.connections[0])  # reads the token now (no request): it would fail here

    assert adapter.settings.access_token.file == project / token


def test_hubspot_ca_bundle_is_taken_from_the_connector_files_folder(project):
    settings = HubSpotSettings.from_config({"access_token": {"env": "T"}, "ca_bundle": "tls/ca.pem"}, folder=project)
    assert settings.ca_bundle == project / "tls" / "ca.pem"


def test_absolute_paths_and_settings_built_in_code_stay_as_they_are(project):
    written = {"access_token": {"file": "/run/secrets/token"}, "ca_bundle": "/etc/ca.pem"}
    absolute = HubSpotSettings.from_config(written, folder=project)
    in_code = HubSpotSettings.from_config({"access_token": {"file": "token"}})

    assert (absolute.access_token.file, absolute.ca_bundle) == (Path("/run/secrets/token"), Path("/etc/ca.pem"))
    assert in_code.access_token.file == Path("token")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///store.db", "sqlite:///{project}/store.db"),
        ("sqlite+pysqlite:///data/store.db", "sqlite+pysqlite:///{project}/data/store.db"),
        ("sqlite:////var/lib/scorebridge.db", "sqlite:////var/lib/scorebridge.db"),
        ("sqlite://", "sqlite://"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("postgresql://scorebridge@db:5432/scorebridge", "postgresql://scorebridge@db:5432/scorebridge"),
        ("not a url", "not a url"),
    ],
)
def test_only_a_relative_sqlite_file_moves_beside_the_connector_file(url, expected, project):
    assert sqlite_url_beside(url, project) == expected.format(project=project)


def test_a_store_url_from_the_environment_is_read_from_the_working_directory(project, elsewhere, monkeypatch):
    monkeypatch.setenv("SCOREBRIDGE_DATABASE_URL", "sqlite:///from-env.db")
    assert load_config(project / "connector.yaml").database_url == "sqlite:///from-env.db"


def test_the_store_a_connector_file_names_is_opened_beside_it(project, elsewhere):
    result = CliRunner().invoke(app, ["score", "--config", str(project / "connector.yaml")])

    assert result.exit_code == 0, result.output
    assert (project / "scorebridge.db").is_file()
    assert list(elsewhere.iterdir()) == []
