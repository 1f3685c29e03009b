"""`validate --config` catches a model and a mapping that disagree, one line per problem naming the model file,
the rule or stage key, and the mapping file; a mapping value that would break SOQL is refused at load."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.salesforce.mapping import load_mapping
from connector.cli import app
from connector.errors import ConfigError

ROOT = Path(__file__).parents[2]
SHIPPED = {name: (ROOT / "mappings" / f"{name}.yaml").read_text() for name in ("scoring", "salesforce", "hubspot")}


def _files(tmp_path: Path, **replacements: tuple[str, str]) -> Path:
    """The shipped model and mappings, each with one text replacement, and a connector file naming them."""
    for name, text in SHIPPED.items():
        old, new = replacements.get(name, ("", ""))
        assert old in text
        (tmp_path / f"{name}.yaml").write_text(text.replace(old, new) if old else text)
    config = tmp_path / "connector.yaml"
    config.write_text(
        f"model: {tmp_path / 'scoring.yaml'}\nconnections:\n"
        f"  - {{name: acme, crm: salesforce, mapping: {tmp_path / 'salesforce.yaml'}}}\n"
        f"  - {{name: portal, crm: hubspot, mapping: {tmp_path / 'hubspot.yaml'}}}\n"
    )
    return config


def _problems(config: Path) -> list[str]:
    result = CliRunner().invoke(app, ["validate", "--config", str(config)])
    assert isinstance(result.exception, ConfigError), result.output
    assert result.exception.exit_code == 2
    assert str(result.exception).endswith("problem(s), one per line above")
    return [line.removeprefix("- ") for line in result.output.splitlines() if line.startswith("- ")]


def test_the_shipped_defaults_validate_clean(tmp_path):
    result = CliRunner().invoke(app, ["validate", "--config", str(_files(tmp_path))])
    assert result.exit_code == 0, result.output


def test_a_rule_testing_an_attribute_the_mapping_never_gives_that_type_is_named(tmp_path):
    config = _files(
        tmp_path, salesforce=("attributes: {outcome: CallDisposition}", "attributes: {disposition: CallDisposition}")
    )
    (line,) = _problems(config)
    assert line.startswith(f"{tmp_path / 'scoring.yaml'}: behavior.rules[14] (Sales call): ")
    assert "outcome" in line and "gives: disposition" in line
    assert line.endswith(f"(mapping {tmp_path / 'salesforce.yaml'})")


def test_a_stage_no_condition_can_reach_is_named(tmp_path):
    config = _files(
        tmp_path,
        scoring=(
            "{field: extra.lead_status, in: [working, qualified], label: Sales is working the lead}",
            "{field: lifecycle, in: [working, accepted], label: Sales accepted the lead}",
        ),
    )
    lines = _problems(config)
    assert len(lines) == 2  # once per mapping
    for line, mapping in zip(lines, ("salesforce", "hubspot"), strict=True):
        assert line.startswith(f"{tmp_path / 'scoring.yaml'}: stages[3] (sal): no condition can ever hold")
        assert "lifecycle must be working, accepted" in line
        assert line.endswith(f"(mapping {tmp_path / f'{mapping}.yaml'})")


def test_a_contact_field_a_rule_uses_that_no_mapping_fills_is_named(tmp_path):
    config = _files(tmp_path, hubspot=("    title: jobtitle\n", ""))
    lines = _problems(config)
    assert lines == [
        f"{tmp_path / 'scoring.yaml'}: fit.fields.title: contact field title is filled by no field of the mapping "
        f"(mapping {tmp_path / 'hubspot.yaml'})",
        f"{tmp_path / 'scoring.yaml'}: fit.disqualifiers[0] (Student): contact field title is filled by no field "
        f"of the mapping (mapping {tmp_path / 'hubspot.yaml'})",
    ]


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("timestamp: CreatedDate,\n     attributes", "timestamp: CreatedDate DESC,\n     attributes",
         "activities[1].timestamp"),
        ("equals: {TaskSubtype: Call}", "equals: {TaskSubtype = 'Call') OR (Id: x}", "activities[1].equals"),
        ("attributes: {campaign: Campaign.Name}\n  - object", "attributes: {campaign: Campaign.Name)}\n  - object",
         "activities[3].attributes.campaign"),
    ],
)  # fmt: skip
def test_a_mapping_value_that_would_break_soql_is_refused_at_load_naming_file_and_key(tmp_path, old, new, key):
    path = tmp_path / "salesforce.yaml"
    assert old in SHIPPED["salesforce"]
    path.write_text(SHIPPED["salesforce"].replace(old, new))
    with pytest.raises(ConfigError) as refused:
        load_mapping(path)
    assert str(refused.value).startswith(f"{path}: {key}")
    assert "would break the SOQL query" in str(refused.value)
