"""Bad input to the real `scorebridge` command: one line on stderr naming the file and key, a non-zero exit, no
traceback (an exception escaping `main` would fail the test), and never the secret itself."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from connector.cli import main

MAPPINGS = Path(__file__).parents[2] / "mappings"
SECRET = "pat-na1-0123-secret"


@pytest.fixture(autouse=True)
def no_store_from_the_environment(monkeypatch):
    monkeypatch.delenv("SCOREBRIDGE_DATABASE_URL", raising=False)


def scorebridge(monkeypatch, capsys, *arguments: str) -> tuple[int, str]:
    """Exit code and stderr of one command run through the console entry point."""
    code, _, err = scorebridge_output(monkeypatch, capsys, *arguments)
    return code, err


def scorebridge_output(monkeypatch, capsys, *arguments: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["scorebridge", *arguments])
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def connector_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "connector.yaml"
    path.write_text(text)
    return str(path)


def hubspot_connection(settings: str) -> str:
    return f"""\
connections:
  - name: hubspot-prod
    crm: hubspot
    mapping: {MAPPINGS / "hubspot.yaml"}
    settings:
{settings}"""


def test_a_malformed_store_url(monkeypatch, capsys):
    code, err = scorebridge(monkeypatch, capsys, "score", "--database", "postgresql://scorebridge:pw@db:notaport/x")

    assert code == 2
    assert one_line(err) == (
        "error: database_url: not a database URL (e.g. sqlite:///scorebridge.db or postgresql://user@host/db)"
    )


def test_a_store_url_naming_no_database_scorebridge_knows(monkeypatch, capsys):
    code, err = scorebridge(monkeypatch, capsys, "score", "--database", "postgres://scorebridge@db/x")

    assert code == 2 and "database_url: 'postgres' is not a database ScoreBridge can store in" in one_line(err)


def test_an_unreachable_store(monkeypatch, capsys, tmp_path):
    config = connector_file(tmp_path, "database_url: postgresql://scorebridge:pw@127.0.0.1:1/store\n")

    code, err = scorebridge(monkeypatch, capsys, "runs", "--config", config)

    assert code == 1
    line = one_line(err)
    assert line.startswith("error: cannot open the store postgresql+psycopg://scorebridge:***@127.0.0.1:1/store: ")
    assert "Connection refused" in line


def test_a_sqlite_store_in_a_missing_folder(monkeypatch, capsys, tmp_path):
    code, err = scorebridge(monkeypatch, capsys, "score", "--database", f"sqlite:///{tmp_path}/no/such/store.db")

    assert code == 1
    assert one_line(err) == (
        f"error: cannot open the store sqlite:///{tmp_path}/no/such/store.db: its folder {tmp_path}/no/such "
        "does not exist; create it or change database_url"
    )


def test_a_missing_ca_bundle(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("HUBSPOT_TOKEN", SECRET)
    settings = "      auth: private_app\n      access_token: {env: HUBSPOT_TOKEN}\n      ca_bundle: corp-ca.pem\n"
    config = connector_file(tmp_path, hubspot_connection(settings))

    code, err = scorebridge(monkeypatch, capsys, "setup", "--config", config)

    assert code == 2
    assert one_line(err).startswith(f"error: {config}: connections[0].settings.ca_bundle: the CA bundle ")
    assert "corp-ca.pem is not a file" in err


def test_an_unknown_setting_is_named_with_the_one_meant(monkeypatch, capsys, tmp_path):
    config = connector_file(tmp_path, "service:\n  prot: 9000\n")

    code, err = scorebridge(monkeypatch, capsys, "status", "--config", config)

    assert code == 2
    assert one_line(err) == (
        f"error: {config}: service.prot: unknown setting (did you mean port?); "
        "known here: host, port, ready_max_failing_seconds"
    )


def test_a_secret_written_in_the_connector_file(monkeypatch, capsys, tmp_path):
    config = connector_file(tmp_path, hubspot_connection(f"      auth: private_app\n      access_token: {SECRET}\n"))

    code, err = scorebridge(monkeypatch, capsys, "setup", "--config", config)

    assert code == 2
    line = one_line(err)
    assert line.startswith(f"error: {config}: connections[0].settings.access_token: ")
    assert "a secret is never written in the connector file" in line and SECRET not in line


def test_an_import_source_longer_than_the_store_keeps(monkeypatch, capsys, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("crm_id\nL1\n")
    store = f"sqlite:///{tmp_path / 'store.db'}"

    code, err = scorebridge(
        monkeypatch, capsys, "import", "contacts", str(contacts), "--database", store, "--source", "s" * 21
    )

    assert code == 2 and one_line(err) == f"error: --source '{'s' * 21}': give 1 to 20 characters (no NUL)"


def test_an_import_says_how_many_rows_it_cleaned(monkeypatch, capsys, tmp_path):
    contacts = tmp_path / "contacts.jsonl"
    contacts.write_text('{"crm_id": "L1", "title": "CTO\\u0000"}\n')

    code, out, _ = scorebridge_output(
        monkeypatch, capsys, "import", "contacts", str(contacts), "--database", f"sqlite:///{tmp_path}/s.db"
    )

    assert code == 0 and "1 row(s) with values the store cannot hold, cleaned" in out
