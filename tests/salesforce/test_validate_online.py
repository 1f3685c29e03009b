"""`validate --config --online` against the Salesforce sandbox: one problem per line, each object's field list
once, a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from adapters.sandbox.salesforce.server import start_salesforce_sandbox
from connector.cli import app
from connector.errors import ConfigError
from tests.salesforce.conftest import sandbox_login

ROOT = Path(__file__).parents[2]


def test_a_fresh_org_gets_one_line_per_missing_field_and_each_field_list_once(tmp_path, monkeypatch):
    mapping = tmp_path / "salesforce.yaml"
    mapping.write_text((ROOT / "mappings" / "salesforce.yaml").read_text().replace("title: Title", "title: Titel", 1))
    monkeypatch.setenv("SF_CLIENT_SECRET", "scorebridge-sandbox-secret")
    monkeypatch.setenv("SF_PASSWORD", "sandbox-password")
    with start_salesforce_sandbox(tmp_path) as sandbox:
        settings = sandbox_login(sandbox)
        config = tmp_path / "connector.yaml"
        connection = {"name": "acme", "crm": "salesforce", "mapping": str(mapping), "settings": settings}
        config.write_text(
            yaml.safe_dump({"model": str(ROOT / "mappings" / "scoring.yaml"), "connections": [connection]})
        )
        result = CliRunner().invoke(app, ["validate", "--config", str(config), "--online"])

    assert isinstance(result.exception, ConfigError)
    assert result.exception.exit_code == 2
    problems = [line for line in result.output.splitlines() if line.startswith("- ")]
    # the typo, and (no `setup` yet) each write-back field of Lead and Contact (every contact target: the five
    # scores, stage, grade, reasons, stage_until), of Account (every account target) and the task key field
    assert len(problems) == 1 + 9 + 9 + 1 + 7
    assert "objects.Lead.fields.title: Lead has no field 'Titel' (did you mean Title?)" in problems[0]
    assert not any(" fields: " in line for line in problems)
    field_lists = [line.strip().split(" fields: ")[0] for line in result.output.splitlines() if " fields: " in line]
    assert field_lists == ["Lead", "Contact", "Account"]
