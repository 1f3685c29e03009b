"""`scorebridge validate --config`: the connector file, each connection's model and mapping, offline."""

from pathlib import Path

from typer.testing import CliRunner

from connector.cli import app
from connector.errors import ConfigError

ROOT = Path(__file__).parents[2]


def _config(tmp_path, model: Path) -> Path:
    path = tmp_path / "connector.yaml"
    path.write_text(
        f"model: {model}\n"
        "connections:\n"
        f"  - {{name: acme, crm: salesforce, mapping: {ROOT / 'mappings/salesforce.yaml'}}}\n"
        f"  - {{name: portal, crm: hubspot, mapping: {ROOT / 'mappings/hubspot.yaml'}}}\n"
    )
    return path


def test_shipped_mappings_and_model_agree(tmp_path):
    result = CliRunner().invoke(app, ["validate", "--config", str(_config(tmp_path, ROOT / "mappings/scoring.yaml"))])
    assert result.exit_code == 0, result.output
    assert "valid (2 connection(s))" in result.output


def test_activity_type_unknown_to_the_model_is_named(tmp_path):
    narrow = tmp_path / "narrow.yaml"
    narrow.write_text((ROOT / "mappings/scoring.yaml").read_text().replace("  - sales_email\n", ""))
    result = CliRunner().invoke(app, ["validate", "--config", str(_config(tmp_path, narrow))])
    assert isinstance(result.exception, ConfigError)  # main() turns it into one line and exit code 2
    assert result.exception.exit_code == 2
    (line,) = [line for line in result.output.splitlines() if line.startswith("- ")]
    assert "portal" in line and "sales_email" in line
