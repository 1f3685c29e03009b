"""Task text: the default templates read well, an admin's templates are checked when the connector file loads, and
a template that fails for one contact gives that task the default text instead of stopping the sync."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli import app as cli_app
from connector.config import ConnectionConfig, TaskPolicy, load_config
from connector.errors import ConfigError
from connector.task_text import (
    EXAMPLE,
    VARIABLES,
    Scores,
    TaskTemplates,
    TaskWriter,
    Touchpoint,
    readable_date,
    readable_moment,
    template_problem,
)
from connector.touchpoints import touchpoint_text


def _writer(**templates) -> TaskWriter:
    return TaskWriter(TaskTemplates.model_validate(templates))


def test_the_default_stage_task_says_who_what_why_and_where():
    text = TaskWriter().write(EXAMPLE)

    assert text.subject == "Follow up with Sarah Lee (Acme Corp): Sales Qualified Lead, lead score 85"
    assert text.body.splitlines() == [
        "Sarah Lee, VP Operations at Acme Corp became Sales Qualified Lead (was Marketing Qualified Lead) "
        "on Wed 2 Dec 2026: attended demo on 2026-12-02.",
        "Lead score 85, engagement 42, fit 35 (grade B).",
        "Why: Demo attended (+30); Pricing page (+15, 3x); VP title (+20).",
        "",
        "Recent touchpoints:",
        "- 2 Dec 2026, 15:00 UTC: Attended a demo",
        "- 1 Dec 2026, 09:12 UTC: Viewed /pricing",
        "",
        "Open the record: https://acme.my.salesforce.com/lightning/r/Lead/00Q1/view",
        "Please follow up by Thu 3 Dec 2026.",
    ]
    assert text.fallback is None


def test_the_default_returning_customer_task_leaves_out_what_it_does_not_know():
    bare = dataclasses.replace(
        EXAMPLE, kind="reengaged", stage="Customer", from_stage=None, scores=Scores(), grade=None, reasons=(),
        touchpoints=(), link=None, contact=dataclasses.replace(EXAMPLE.contact, title=None, company=None),
    )  # fmt: skip

    text = TaskWriter().write(bare)

    assert text.subject == "Customer Sarah Lee is engaging again"
    assert "None" not in text.body and "Open the record" not in text.body
    assert "- none recorded" in text.body
    assert text.body.startswith("Sarah Lee is a customer who went quiet and came back on Wed 2 Dec 2026")


def test_an_admins_template_uses_every_variable():
    writer = _writer(
        stage={
            "subject": "{{ kind }}: {{ contact.first_name }} -> {{ stage }} ({{ stage_name }}) from {{ from_stage }}",
            "body": "{{ scores.combined }} {{ grade }} {{ reasons | first }} {{ touchpoints | first }} {{ link }} "
            "{{ due }} {{ triggered_on }} {{ reason }} {{ from_stage_name }} {{ contact.email }}",
        }
    )

    text = writer.write(EXAMPLE)

    assert text.subject == "stage: Sarah -> Sales Qualified Lead (sql) from Marketing Qualified Lead"
    assert text.body == (
        "61 B Demo attended (+30) 2 Dec 2026, 15:00 UTC: Attended a demo "
        "https://acme.my.salesforce.com/lightning/r/Lead/00Q1/view Thu 3 Dec 2026 Wed 2 Dec 2026 "
        "attended demo on 2026-12-02 mql sarah.lee@acme.example"
    )
    assert set(EXAMPLE.variables()) == set(VARIABLES)


def test_a_subject_is_one_line_and_fits_salesforce():
    text = _writer(stage={"subject": "{{ contact.name }}\n{{ reason * 40 }}"}).write(EXAMPLE)

    assert "\n" not in text.subject and len(text.subject) == 255


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("{{ contac.name }}", "unknown variable contac (known: kind, contact,"),
        ("{{ contact.nmae }}", "'Person object' has no attribute 'nmae'"),
        ("{% if stage %}open", "line 1: Unexpected end of template"),
        (
            "{{ contact.__class__.__mro__ }}",
            "SecurityError: access to attribute '__class__' of 'Person' object is unsafe",
        ),
        ("{{ stage | no_such_filter }}", "line 1: No filter named 'no_such_filter'"),
    ],
)
def test_a_broken_template_is_named_with_its_problem(source, problem):
    assert problem in (template_problem(source) or "")


def test_every_default_template_passes_its_own_check():
    for kind in ("stage", "reengaged"):
        for part in ("subject", "body"):
            assert template_problem(TaskTemplates().source(kind, part) or "") is None


def test_a_template_failing_for_one_contact_falls_back_to_the_default_and_says_why():
    writer = _writer(stage={"body": "{{ 100 // scores.lead }}"})

    fine = writer.write(EXAMPLE)
    unscored = writer.write(dataclasses.replace(EXAMPLE, scores=Scores()))

    assert (fine.body, fine.fallback) == ("1", None)
    assert unscored.body.startswith("Sarah Lee, VP Operations at Acme Corp became Sales Qualified Lead")
    assert (
        unscored.fallback
        == "tasks.templates.stage.body: TypeError: unsupported operand type(s) for //: 'int' and 'NoneType'"
    )


def test_a_bad_template_in_the_connector_file_is_one_line_naming_file_and_key(tmp_path):
    path = tmp_path / "connector.yaml"
    path.write_text(
        "connections:\n  - {name: acme, crm: hubspot, mapping: m.yaml,\n"
        "     tasks: {templates: {reengaged: {subject: 'Call {{ contact.nmae }}'}}}}\n"
    )

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: connections[0].tasks.templates.reengaged.subject: ")
    assert "'Person object' has no attribute 'nmae'" in message


def test_an_unknown_kind_or_part_names_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match="escalation"):
        ConnectionConfig(
            name="acme", crm="hubspot", mapping=Path("m.yaml"), tasks={"templates": {"escalation": {"body": "x"}}}
        )
    assert TaskPolicy().templates == TaskTemplates()


@pytest.mark.parametrize(
    ("kind", "attributes", "text"),
    [
        ("page_view", {"url": "https://www.acme.example/pricing?utm=x"}, "Viewed /pricing"),
        ("page_view", {"url": "https://www.acme.example/"}, "Viewed www.acme.example"),
        ("form_fill", {"form": "Contact us", "form_id": "5f0c2a8e-1b7d-4c1e-9d4f-2a6b8c0d1e2f", "url": "https://a.example/contact"},
         'Filled in a form: "Contact us", on /contact'),
        ("call", {"outcome": "connected", "direction": "OUTBOUND"}, "Call: connected, outbound"),
        ("call", {"outcome": "0c6f0a2e-1b7d-4c1e-9d4f-2a6b8c0d1e2f"}, "Call"),
        ("meeting", {"title": "Renewal check-in", "outcome": "NO_SHOW"}, 'Had a meeting: "Renewal check-in", no show'),
        ("email_open", {"campaign": "1000012"}, "Opened an email"),
        ("webinar_attended", {"campaign": "Scaling ops"}, 'Attended a webinar: "Scaling ops"'),
        ("demo_attended", {}, "Attended a demo"),
        ("trial_started", {}, "Trial started"),
    ],
)  # fmt: skip
def test_touchpoints_read_as_what_the_person_did(kind, attributes, text):
    assert touchpoint_text(kind, attributes) == text


def test_dates_read_the_same_in_every_locale():
    moment = datetime(2026, 12, 3, 9, 5, tzinfo=UTC)
    assert (readable_date(moment), readable_moment(moment)) == ("Thu 3 Dec 2026", "3 Dec 2026, 09:05 UTC")
    assert str(Touchpoint("3 Dec 2026, 09:05 UTC", "Viewed /pricing")) == "3 Dec 2026, 09:05 UTC: Viewed /pricing"


def test_validate_config_stops_at_a_broken_template_with_its_file_and_key(tmp_path):
    path = tmp_path / "connector.yaml"
    mapping = Path(__file__).parents[2] / "mappings" / "hubspot.yaml"
    path.write_text(
        f"connections:\n  - name: portal\n    crm: hubspot\n    mapping: {mapping}\n"
        "    tasks:\n      templates:\n        stage:\n          body: '{{ score.lead }}'\n"
    )

    result = CliRunner().invoke(cli_app, ["validate", "--config", str(path)])

    assert isinstance(result.exception, ConfigError) and result.exception.exit_code == 2
    message = str(result.exception)
    assert message.startswith(f"{path}: connections[0].tasks.templates.stage.body: ") and "\n" not in message
    assert "unknown variable score (known: kind, contact," in message
