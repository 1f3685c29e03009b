"""The `follow_up:` settings of a connection: read as written, each mistake one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.config import FollowUpPolicy, load_config
from connector.errors import ConfigError

MAPPINGS = Path(__file__).parents[2] / "mappings"


def _load(tmp_path: Path, crm: str, follow_up: str) -> FollowUpPolicy:
    path = tmp_path / "connector.yaml"
    path.write_text(
        f"connections:\n  - name: acme\n    crm: {crm}\n    mapping: {MAPPINGS / (crm + '.yaml')}\n"
        f"    follow_up: {follow_up}\n"
    )
    return load_config(path).connections[0].follow_up


def _problem(tmp_path: Path, crm: str, follow_up: str) -> str:
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, crm, follow_up)
    text = str(raised.value)
    assert "\n" not in text
    return text.split(": ", 1)[1]


def test_without_follow_up_nothing_is_followed_up(tmp_path):
    assert _load(tmp_path, "salesforce", "{}") == FollowUpPolicy()
    assert FollowUpPolicy().sla_hours is None and not FollowUpPolicy().escalates


def test_salesforce_escalates_to_managers_with_an_optional_fallback_user(tmp_path):
    policy = _load(tmp_path, "salesforce", "{sla_hours: 48, escalate_to: 005000000000001AAA}")
    assert (policy.sla_hours, policy.escalate, policy.escalate_to) == (48, "manager", "005000000000001AAA")


def test_hubspot_needs_the_owner_who_stands_for_the_managers(tmp_path):
    assert _problem(tmp_path, "hubspot", "{sla_hours: 24}").startswith(
        "connections[0].follow_up: escalate_to is required with escalate: manager on HubSpot, which has no manager"
    )
    assert _load(tmp_path, "hubspot", "{sla_hours: 24, escalate: none}").escalate == "none"
    assert _load(tmp_path, "hubspot", "{sla_hours: 24, escalate: reassign, escalate_to: '70000001'}").escalates


def test_an_escalation_target_of_the_wrong_crm_is_named(tmp_path):
    assert _problem(tmp_path, "salesforce", "{sla_hours: 24, escalate_to: '70000001'}") == (
        "connections[0].follow_up: escalate_to '70000001' is not a Salesforce User id (005...)"
    )


def test_an_unknown_escalation_mode_and_a_negative_sla_are_named(tmp_path):
    assert _problem(tmp_path, "salesforce", "{sla_hours: 24, escalate: email}").startswith(
        "connections[0].follow_up.escalate: Input should be 'manager', 'reassign' or 'none'"
    )
    assert _problem(tmp_path, "salesforce", "{sla_hours: -1}").startswith(
        "connections[0].follow_up.sla_hours: Input should be greater than 0"
    )
    assert "did you mean sla_hours?" in _problem(tmp_path, "salesforce", "{sla_hour: 24}")
