"""What a task's text gets from the portal: the contact's record page and the lifecycle stages' labels."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.hubspot.tasks import task_input
from adapters.sandbox.http import Fault
from adapters.sandbox.hubspot.marketing import PORTAL_ID
from connector.crm import TaskRequest


def test_the_record_page_and_the_stage_labels_come_from_the_portal(sandbox, make_adapter):
    context = make_adapter(sandbox).task_context()

    assert context.record_link("contact", "1143") == f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-1/1143"
    # `customer` is given by two lifecycle stages (customer, evangelist): no single label for it.
    assert context.stage_labels == {
        "subscriber": "Subscriber",
        "lead": "Lead",
        "mql": "Marketing Qualified Lead",
        "sql": "Sales Qualified Lead",
        "opportunity": "Opportunity",
        "other": "Other",
    }


def test_a_token_that_may_not_read_the_account_gets_tasks_without_a_link(sandbox, make_adapter):
    sandbox.server.faults.add(Fault(kind="status", status=403, count=1, route="hubspot.account.details"))

    context = make_adapter(sandbox).task_context()

    assert context.record_link("contact", "1143") is None and context.stage_labels["mql"] == "Marketing Qualified Lead"


def test_the_body_keeps_its_lines_and_the_link_can_be_clicked(mapping):
    link = f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-1/1143"
    task = TaskRequest("k", "contact", "1143", None, "s", f"Call <Sarah>\nOpen the record: {link}", datetime.now(UTC))

    body = task_input(task, mapping.tasks)["properties"]["hs_task_body"]

    assert body == f'Call &lt;Sarah&gt;<br>Open the record: <a href="{link}">{link}</a>'
