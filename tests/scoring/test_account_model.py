"""The model file's `accounts` section: what it accepts, and every problem named by file, key path and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from connector.cli import app
from connector.errors import ConfigError
from connector.scoring.model import load_model, parse_model
from tests.scoring.account_builders import ACCOUNTS_SECTION, account_model
from tests.scoring.builders import DEFAULT_MODEL
from tests.unit.test_mapping_checks import _files as shipped_files

BASE = {
    "activity_types": ["meeting"],
    "stages": [{"name": "prospect"}],
}


def with_accounts(**changes) -> dict:
    return {**BASE, "accounts": {**ACCOUNTS_SECTION, **changes}}


def write(tmp_path: Path, content: dict) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "key", "problem"),
    [
        (
            with_accounts(fit={"fields": {"title": {"rules": [{"regex": "vp", "points": 5}]}}}),
            "accounts.fit.fields.title",
            "unknown account field 'title'",
        ),
        (
            with_accounts(fit={"fields": {"employees": {"rules": [{"regex": "1", "points": 5}]}}}),
            "accounts.fit.fields.employees.rules[0]",
            "employees is a number",
        ),
        (with_accounts(fit={"grades": {"B": 10, "A": 20}}), "accounts.fit.grades.A", "grades must go A, B, C"),
        (with_accounts(engagement={"aggregate": "avg"}), "accounts.engagement.aggregate", "'sum', 'max' or 'top_mean'"),
        (with_accounts(engagement={"aggregate": "sum", "top": 3}), "accounts.engagement", "top only applies"),
        (
            with_accounts(buying_group=[{"name": "Boss", "field": "account.stage", "in": ["hot"]}]),
            "accounts.buying_group[0].field",
            "roles test the contact's own fields",
        ),
        (
            with_accounts(stages=[{"name": "aware"}, {"name": "hot", "when": [{"roles": ["Champion"]}]}]),
            "accounts.stages[1].when[0].roles",
            "unknown role 'Champion'",
        ),
        (
            with_accounts(stages=[{"name": "aware"}, {"name": "hot", "when": [{"label": "nothing to test"}]}]),
            "accounts.stages[1].when[0]",
            "an account condition needs at least one of",
        ),
        (
            with_accounts(stages=[{"name": "aware"}, {"name": "hot", "when": [{"engagement": {"min": "60"}}]}]),
            "accounts.stages[1].when[0].engagement.min",
            "valid number",
        ),
        (with_accounts(stages=[]), "accounts.stages", "at least 1 item"),
        (with_accounts(stages=[{"name": "disqualified"}]), "accounts.stages[0].name", "implicit"),
        (with_accounts(score={"fit": 1, "intent": 1}), "accounts.score.intent", "Extra inputs"),
        (
            {**BASE, "stages": [{"name": "p"}, {"name": "mql", "when": [{"field": "account.stage", "in": ["hot"]}]}]},
            "stages[1].when[0].field",
            "account.stage is computed by account scoring",
        ),
        (
            {**BASE, "fit": {"fields": {"account.industry": {"rules": [{"min": 3, "points": 5}]}}}},
            "fit.fields.account.industry.rules[0]",
            "account.industry is text",
        ),
    ],
)
def test_broken_accounts_section_names_file_key_and_problem(tmp_path, content, key, problem):
    path = write(tmp_path, content)
    with pytest.raises(ConfigError) as caught:
        load_model(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: ")
    assert problem in message


def test_contacts_may_read_their_accounts_fields_without_an_accounts_section():
    content = {**BASE, "fit": {"fields": {"account.employees": {"rules": [{"min": 500, "points": 10}]}}}}
    assert parse_model(content).fit.fields["account.employees"].rules[0].points == 10


def test_the_version_changes_with_the_accounts_section_only():
    without = account_model()
    assert account_model(ACCOUNTS_SECTION).version != without.version
    changed = {**ACCOUNTS_SECTION, "score": {"fit": 0.2, "engagement": 0.8}}
    assert account_model(changed).version != account_model(ACCOUNTS_SECTION).version
    assert account_model().version == without.version


def test_the_default_model_has_an_accounts_section_that_notifies_on_hot():
    accounts = load_model(DEFAULT_MODEL).accounts
    assert accounts is not None
    assert [stage.name for stage in accounts.stages if stage.notify] == ["hot"]


def test_a_stage_reached_through_the_account_validates_against_the_mappings(tmp_path):
    config = shipped_files(
        tmp_path,
        scoring=(
            "{field: extra.lead_status, in: [working, qualified], label: Sales is working the lead}",
            "{field: account.stage, in: [hot], label: Works at a hot account}",
        ),
    )
    result = CliRunner().invoke(app, ["validate", "--config", str(config)])
    assert result.exit_code == 0, result.output
