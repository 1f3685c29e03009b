"""Returning-customer tasks through whole sync runs: one per return, keyed by the returning activity, history recorded
but not sent, and a connection's template that fails for a contact replaced by the default text, counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from connector.config import ConnectionConfig, ConnectorConfig, TaskPolicy
from connector.crm import ActivityRecord, ContactRecord
from connector.errors import ConfigError
from connector.scoring.model import parse_model
from connector.store import session_scope
from connector.store.tables import TaskOutbox
from connector.sync import run_sync
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
#: A meeting is worth 30; a customer engaging 20 or more after 90 quiet days is re-engaged.
MODEL = """
activity_types: [meeting, note]
behavior:
  rules:
    - {type: meeting, points: 30, label: Sales meeting}
engagement: {window_days: 30}
stages:
  - name: prospect
  - name: customer
    when: [{field: is_customer, equals: true, label: Marked as customer}]
lifecycle:
  reengaged: {engagement_at_least: 20, quiet_days: 90}
"""


@pytest.fixture
def org() -> MemoryCrm:
    """Ann, a customer whose last meeting was 200 days ago."""
    crm = MemoryCrm()
    crm.contacts.append(
        ContactRecord("Contact", "003ANN", first_name="Ann", last_name="Lee", company="Acme", is_customer=True)
    )
    _meeting(crm, NOW - timedelta(days=200))
    return crm


def _meeting(crm: MemoryCrm, when: datetime, title: str = "Quarterly review") -> None:
    source_id = f"meeting-{when:%Y%m%d%H%M}"
    crm.activities.append(ActivityRecord(source_id, "Contact", "003ANN", "meeting", when, {"title": title}))


def _connector(tmp_path: Path, **tasks) -> tuple[ConnectorConfig, ConnectionConfig]:
    model = tmp_path / "model.yaml"
    model.write_text(MODEL)
    policy = TaskPolicy.model_validate(tasks)
    connection = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"), tasks=policy)
    return ConnectorConfig(model=model, connections=[connection]), connection


def _sync(engine, connector, crm: MemoryCrm, at: datetime):
    config, connection = connector
    report = run_sync(engine, config, connection, crm, clock=lambda: at)
    assert report.status == "succeeded", report.message
    return report


def _outbox(engine) -> list[tuple[str, str, str]]:
    with session_scope(engine) as session:
        rows = session.execute(select(TaskOutbox).order_by(TaskOutbox.idempotency_key)).scalars().all()
        return [(row.idempotency_key, row.kind, row.status) for row in rows]


def test_a_customer_who_comes_back_after_a_quiet_period_gets_one_task(engine, tmp_path, org):
    connector = _connector(tmp_path)
    assert _sync(engine, connector, org, NOW - timedelta(days=2)).counts.get("tasks_reengaged", 0) == 0
    _meeting(org, NOW - timedelta(days=1, hours=3), "Renewal check-in")

    back = _sync(engine, connector, org, NOW)
    again = _sync(engine, connector, org, NOW + timedelta(hours=1))

    assert (back.counts["tasks_reengaged"], back.counts["tasks_created"]) == (1, 1)
    assert again.counts.get("tasks_reengaged", 0) == 0 and again.counts.get("tasks_created", 0) == 0
    assert _outbox(engine) == [("Contact:003ANN:reengaged:20261202090000", "reengaged", "sent")]
    [task] = org.tasks.values()
    assert task.subject == "Customer Ann Lee (Acme) is engaging again: engagement score 30"
    assert task.description.startswith(
        'Ann Lee at Acme is a customer who went quiet and came back on Wed 2 Dec 2026: Had a meeting: "Renewal '
        'check-in" (the first engagement after 90+ quiet days).'
    )
    assert "Open the record: https://crm.example/Contact/003ANN" in task.description


def test_a_return_older_than_recent_days_is_recorded_and_never_sent(engine, tmp_path, org):
    _meeting(org, NOW - timedelta(days=10))  # the first sync of an existing org finds it: history

    report = _sync(engine, _connector(tmp_path), org, NOW)

    assert (report.counts.get("tasks_created", 0), report.counts["tasks_historic"]) == (0, 1)
    assert _outbox(engine) == [("Contact:003ANN:reengaged:20261123120000", "reengaged", "historic")]
    assert org.context_asked == 0  # a run that writes no task asks the CRM for nothing


def test_a_second_return_after_another_quiet_period_is_a_new_task(engine, tmp_path, org):
    connector = _connector(tmp_path)
    _meeting(org, NOW - timedelta(days=1))
    _sync(engine, connector, org, NOW)
    later = NOW + timedelta(days=120)
    _meeting(org, later - timedelta(days=1))

    report = _sync(engine, connector, org, later)

    assert report.counts["tasks_reengaged"] == 1
    assert [key for key, _, status in _outbox(engine) if status == "sent"] == [
        "Contact:003ANN:reengaged:20261202120000",
        "Contact:003ANN:reengaged:20270401120000",
    ]


def test_a_template_failing_for_a_contact_gives_the_default_text_and_is_counted(engine, tmp_path, org):
    # Valid (the example contact has a title), but Ann has none: that task falls back to the default subject.
    connector = _connector(tmp_path, templates={"reengaged": {"subject": "Call {{ contact.title.upper() }}"}})
    _meeting(org, NOW - timedelta(days=1))

    report = _sync(engine, connector, org, NOW)

    assert (report.counts["tasks_created"], report.counts["task_text_fallbacks"]) == (1, 1)
    [task] = org.tasks.values()
    assert task.subject == "Customer Ann Lee (Acme) is engaging again: engagement score 30"
    [warning] = [line for line in report.warnings if "default text" in line]
    assert "Contact:003ANN: tasks.templates.reengaged.subject: 'None' has no attribute 'upper'" in warning


def test_the_crm_is_asked_once_per_run_for_the_link_and_stage_words(engine, tmp_path, org):
    org.contacts.append(ContactRecord("Contact", "003BEN", first_name="Ben", is_customer=True))
    org.activities.append(ActivityRecord("ben-1", "Contact", "003BEN", "meeting", NOW - timedelta(hours=5)))
    _meeting(org, NOW - timedelta(days=1))

    report = _sync(engine, _connector(tmp_path), org, NOW)

    assert report.counts["tasks_created"] == 2 and org.context_asked == 1


def test_no_task_when_tasks_are_switched_off(engine, tmp_path, org):
    _meeting(org, NOW - timedelta(days=1))

    report = _sync(engine, _connector(tmp_path, enabled=False), org, NOW)

    assert report.counts.get("tasks_queued", 0) == 0 and _outbox(engine) == []


MODEL_WORDING = """
tasks:
  templates:
    reengaged:
      subject: "{{ contact.name }} is back ({{ scores.engagement }})"
      body: "Model body for {{ contact.name }}"
"""


def test_the_models_templates_word_the_task_and_a_connections_own_take_precedence(engine, tmp_path, org):
    config, connection = _connector(tmp_path, templates={"reengaged": {"body": "Connection body"}})
    config.model.write_text(MODEL + MODEL_WORDING)
    _meeting(org, NOW - timedelta(days=1))

    _sync(engine, (config, connection), org, NOW)

    [task] = org.tasks.values()
    assert task.subject == "Ann Lee is back (30)"  # the model's subject: the connection gives none
    assert task.description.startswith("Connection body")  # the connection's body over the model's


def test_task_wording_in_the_model_is_checked_and_changes_no_score_version(tmp_path):
    plain = parse_model(yaml.safe_load(MODEL))
    worded = parse_model(yaml.safe_load(MODEL + MODEL_WORDING))
    assert worded.version == plain.version  # editing the words never forces a full rescore
    broken = MODEL + MODEL_WORDING.replace("{{ contact.name }} is back", "{{ contac.name }} is back")
    with pytest.raises(ConfigError) as raised:
        parse_model(yaml.safe_load(broken), source="model.yaml")
    assert "tasks.templates.reengaged.subject" in str(raised.value) and "unknown variable contac" in str(raised.value)
