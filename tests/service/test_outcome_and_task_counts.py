"""`scorebridge runs` and /metrics count the outcomes pulled, and the tasks a sync found in the CRM already or
recorded without sending (transitions older than tasks.recent_days)."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from connector.metrics import metrics_registry, render_metrics
from connector.runs import recent_runs, runs_table
from tests.conftest import NOW
from tests.service.conftest import add_run

COUNTS = {"pulled_outcomes": 37, "tasks_found": 4, "tasks_historic": 12, "outcome_links_unknown": 3}


def test_the_runs_table_shows_outcomes_pulled_and_tasks_found_or_not_sent(engine):
    add_run(engine, "acme-sf", "succeeded", NOW - timedelta(minutes=3), NOW, tasks_created=2, **COUNTS)
    console = Console(width=250, record=True)

    console.print(runs_table(recent_runs(engine)))

    header, *_, row = [line for line in console.export_text().splitlines() if "│" in line or "┃" in line]
    cells = [cell.strip() for cell in row.split("│")]
    columns = [cell.strip() for cell in header.split("┃")]
    assert {name: cells[columns.index(name)] for name in ("outcomes", "tasks found", "tasks historic")} == {
        "outcomes": "37",
        "tasks found": "4",
        "tasks historic": "12",
    }


def test_metrics_sum_outcomes_pulled_links_left_out_and_tasks_found_or_not_sent(engine):
    for minutes in (30, 10):
        add_run(engine, "acme-sf", "succeeded", NOW - timedelta(minutes=minutes), NOW, **COUNTS)

    text = render_metrics(metrics_registry(engine, {"acme-sf": "salesforce"}, clock=lambda: NOW)).decode()

    samples = {
        (sample.name, sample.labels.get("stream")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("scorebridge_records_pulled_total", "outcomes")] == 74
    assert samples[("scorebridge_outcome_links_unknown_total", None)] == 6
    assert samples[("scorebridge_tasks_found_total", None)] == 8
    assert samples[("scorebridge_tasks_historic_total", None)] == 24
