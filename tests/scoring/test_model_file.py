"""Loading model files: the shipped ones load, broken ones fail with one message naming file, key and problem."""

from __future__ import annotations

import pytest
import yaml

from connector.errors import ConfigError
from connector.scoring.model import load_model
from tests.scoring.builders import DEFAULT_MODEL, EXAMPLES

VALID = {
    "activity_types": ["page_view", "demo_attended"],
    "behavior": {"rules": [{"type": "page_view", "where": {"url": {"regex": "/pricing"}}, "points": 5}]},
    "stages": [
        {"name": "prospect"},
        {"name": "mql", "when": [{"score": "lead", "at_least": 50}]},
        {"name": "sql", "when": [{"score": "lead", "at_least": 80}, {"activity": "demo_attended"}]},
    ],
}


def write(tmp_path, content: dict):
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(content))
    return path


@pytest.mark.parametrize("path", [DEFAULT_MODEL, *sorted(EXAMPLES.glob("*.yaml"))], ids=lambda path: path.name)
def test_shipped_models_load(path):
    assert len(load_model(path).version) == 64


def test_version_changes_with_content_and_not_with_formatting(tmp_path):
    first = load_model(write(tmp_path, VALID)).version
    (tmp_path / "model.yaml").write_text(yaml.safe_dump(VALID, default_flow_style=True))
    assert load_model(tmp_path / "model.yaml").version == first
    changed = {**VALID, "engagement": {"window_days": 14}}
    assert load_model(write(tmp_path, changed)).version != first


def _with_rule(**changes) -> dict:
    rule = {**VALID["behavior"]["rules"][0], **changes}
    return {**VALID, "behavior": {"rules": [rule]}}


@pytest.mark.parametrize(
    ("content", "key", "problem"),
    [
        (_with_rule(type="webinar"), "behavior.rules[0].type", "unknown activity type 'webinar'"),
        (_with_rule(where={"url": {"regex": "/pricing("}}), "behavior.rules[0].where.url.regex", "regular expression"),
        (_with_rule(points="ten"), "behavior.rules[0].points", "valid number (got 'ten')"),
        (_with_rule(points="5"), "behavior.rules[0].points", "valid number"),
        (_with_rule(color="red"), "behavior.rules[0].color", "Extra inputs are not permitted"),
        (
            {**VALID, "stages": [VALID["stages"][0], VALID["stages"][2], VALID["stages"][1]]},
            "stages[2].when[0].at_least",
            "thresholds out of order",
        ),
        (
            {**VALID, "fit": {"fields": {"job_title": {"rules": [{"regex": "vp", "points": 10}]}}}},
            "fit.fields.job_title",
            "unknown contact field 'job_title'",
        ),
        (
            {**VALID, "fit": {"disqualifiers": [{"field": "employees", "regex": "x"}]}},
            "fit.disqualifiers[0].field",
            "employees is a number",
        ),
        (
            {**VALID, "stages": [{"name": "a", "when": [{"activity": "webinar"}]}]},
            "stages[0].when[0].activity",
            "unknown activity type",
        ),
    ],
)
def test_broken_model_names_file_key_and_problem(tmp_path, content, key, problem):
    path = write(tmp_path, content)
    with pytest.raises(ConfigError) as caught:
        load_model(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: ")
    assert problem in message
    assert caught.value.exit_code == 2


def test_missing_and_unparseable_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_model(tmp_path / "absent.yaml")
    (tmp_path / "bad.yaml").write_text("stages: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_model(tmp_path / "bad.yaml")
