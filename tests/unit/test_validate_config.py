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


def _grouped_model(tmp_path, *, listed: bool = True) -> Path:
    """The shipped model with its commented `groups` block on: product groups analytics and crm, and content."""
    text = (ROOT / "mappings/scoring.yaml").read_text()
    text = text.replace("points: 15, total_cap: 45, label: Webinar attended}", "points: 15, total_cap: 45, "
                        "group: content, label: Webinar attended}")  # fmt: skip
    start = text.index("# groups:")
    end = text.index("\n\n", start)  # the commented block ends at the first blank line
    uncommented = "\n".join(line.removeprefix("# ") for line in text[start:end].splitlines())
    if not listed:
        uncommented = uncommented.replace("    values: [analytics, crm]\n", "")
    path = tmp_path / "grouped.yaml"
    path.write_text(text[:start] + uncommented + text[end:])
    return path


def _mapping_naming(tmp_path, crm: str, anchor: str, targets: str) -> Path:
    text = (ROOT / f"mappings/{crm}.yaml").read_text()
    assert anchor in text
    path = tmp_path / f"{crm}-groups.yaml"
    path.write_text(text.replace(anchor, anchor + targets, 1))
    return path


def _grouped_config(tmp_path, model: Path) -> Path:
    salesforce = _mapping_naming(
        tmp_path, "salesforce", "      stage_until: ScoreBridge_Stage_Until__c   # a Date: the day the stage lapses "
        "if nothing else happens\n", "      groups.analytics.lead: Analytics_Lead__c\n"
        "      groups.billing.lead: Billing_Lead__c\n",
    )  # fmt: skip
    hubspot = _mapping_naming(
        tmp_path, "hubspot", "    stage_until: {name: scorebridge_stage_until, label: \"ScoreBridge stage until\", "
        "type: date, field_type: date}\n", "    groups.content.lead: {name: content_lead, label: Content lead, "
        "type: number, field_type: number}\n    groups.Crm.stage: {name: crm_stage, label: CRM stage, type: string, "
        "field_type: text}\n",
    )  # fmt: skip
    path = tmp_path / "connector.yaml"
    path.write_text(
        f"model: {model}\nconnections:\n  - {{name: acme, crm: salesforce, mapping: {salesforce}}}\n"
        f"  - {{name: portal, crm: hubspot, mapping: {hubspot}}}\n"
    )
    return path


def test_a_group_target_the_model_does_not_declare_is_one_line_naming_the_mapping_key(tmp_path):
    config = _grouped_config(tmp_path, _grouped_model(tmp_path))

    result = CliRunner().invoke(app, ["validate", "--config", str(config)])

    assert isinstance(result.exception, ConfigError), result.output
    lines = [line for line in result.output.splitlines() if line.startswith("- ")]
    assert lines == [
        f"- {tmp_path / 'salesforce-groups.yaml'}: objects.Lead.write_back.groups.billing.lead: groups.billing.lead "
        f"names score group 'billing', which the model does not declare (its groups: content, analytics, crm) "
        f"(model {tmp_path / 'grouped.yaml'})",
        f"- {tmp_path / 'hubspot-groups.yaml'}: write_back.properties.groups.Crm.stage: groups.Crm.stage names "
        f"score group 'Crm', which the model does not declare (its groups: content, analytics, crm) "
        f"(model {tmp_path / 'grouped.yaml'})",
    ]


def test_a_group_per_any_attribute_value_leaves_every_group_target_possible(tmp_path):
    config = _grouped_config(tmp_path, _grouped_model(tmp_path, listed=False))

    result = CliRunner().invoke(app, ["validate", "--config", str(config)])

    assert result.exit_code == 0, result.output


def test_account_values_written_back_by_a_model_without_accounts_is_one_line_per_mapping(tmp_path):
    text = (ROOT / "mappings/scoring.yaml").read_text()
    without_accounts = tmp_path / "people-only.yaml"
    without_accounts.write_text(text[: text.index("\naccounts:")] + "\n")

    result = CliRunner().invoke(app, ["validate", "--config", str(_config(tmp_path, without_accounts))])

    assert isinstance(result.exception, ConfigError), result.output
    lines = [line for line in result.output.splitlines() if line.startswith("- ")]
    assert len(lines) == 2
    for line, mapping in zip(lines, ("salesforce", "hubspot"), strict=True):
        assert line.startswith(f"- {ROOT / 'mappings' / mapping}.yaml: accounts.write_back.")
        assert "the model has no `accounts` section" in line
