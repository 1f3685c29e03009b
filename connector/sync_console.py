"""How a sync run looks on a terminal: a progress line per phase, then a summary table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from connector.sync import SyncReport

COUNT_LABELS = {
    "pulled_contacts": "contacts pulled",
    "pulled_activities": "activities pulled",
    "pulled_outcomes": "outcomes pulled",
    "outcome_links_unknown": "outcome contacts not in the store (links left out)",
    "skipped_records": "records skipped",
    "record_warnings": "record warnings",
    "scored": "contacts scored",
    "stage_changes": "stage changes",
    "tasks_queued": "tasks queued",
    "tasks_historic": "tasks not sent: transition older than tasks.recent_days",
    "tasks_created": "tasks created",
    "tasks_found": "tasks already in the CRM (not created again)",
    "tasks_failed": "tasks failed",
    "tasks_checked": "open tasks read back",
    "tasks_completed": "tasks completed by sales",
    "tasks_escalated": "tasks escalated (not worked within follow_up.sla_hours)",
    "tasks_gone": "tasks deleted in the CRM",
    "writes_changed": "records with changed values",
    "written": "records written",
    "write_failed": "writes rejected",
    "account_tasks_queued": "account owner tasks queued",
    "account_writes_changed": "accounts with changed values",
    "account_written": "accounts written",
    "account_write_failed": "account writes rejected",
    "api_calls": "API calls",
    "rate_limited": "429 responses",
}


class RichSyncProgress:
    """Shows each phase of a run with its count and rate."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def phase(self, name: str, total: int | None = None) -> None:
        if self._task is not None:
            self._progress.stop_task(self._task)
        self._task = self._progress.add_task(name, total=total)

    def advance(self, count: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, count)


@contextmanager
def sync_progress(console: Console) -> Iterator[RichSyncProgress | None]:
    """A live progress display on a terminal; nothing otherwise (logs tell the story there)."""
    if not console.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(show_speed=True),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        yield RichSyncProgress(progress)


def report_table(report: SyncReport) -> Table:
    seconds = (report.ended_at - report.started_at).total_seconds()
    table = Table(title=f"{report.connection}: {report.status} in {seconds:.1f} s", title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, label in COUNT_LABELS.items():
        if report.counts.get(key):
            table.add_row(label, f"{report.counts[key]:,}")
    return table


def print_report(console: Console, report: SyncReport) -> None:
    console.print(report_table(report))
    if report.message:
        console.print(f"[bold]{report.status}[/]: {escape(report.message)}")
    for warning in report.warnings:
        console.print(f"warning: {escape(warning)}")
    if report.status == "dry_run":
        writes, tasks = len(report.planned_writes), len(report.planned_tasks)
        console.print(f"would write {writes} record(s) and create {tasks} task(s)")
        for write in report.planned_writes[:20]:
            console.print(escape(f"  {write.object_type} {write.crm_id}: {dict(write.values)}"))
        for task in report.planned_tasks[:20]:
            who = f"{task['object_type']} {task['crm_id']} (owner {task['owner_id']})"
            console.print(escape(f"  task for {who}: {task['subject']}"))
