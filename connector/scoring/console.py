"""Rich rendering of scoring results for the command line: run summaries, explanations, the engagement index."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from connector.scoring.engagement_index import EngagementIndex
from connector.scoring.explain import Explanation
from connector.scoring.explain_output import print_next_stage_and_what_if
from connector.scoring.replay import Replay
from connector.scoring.run import Progress as ProgressCallback
from connector.scoring.run import ScoreRunSummary
from connector.scoring.scope import ContactScope
from connector.terminal import command_console

SHOWN_TRANSITIONS = 20


@contextmanager
def progress_bar(console: Console) -> Iterator[ProgressCallback | None]:
    """A progress bar on a terminal; nothing when output is piped or captured."""
    if not console.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("scoring", total=1)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"scoring: {step}", completed=done, total=total)

        yield report


def print_summary(console: Console, summary: ScoreRunSummary) -> None:
    kind = f"full ({summary.why_full})" if summary.full else "incremental"
    console.print(
        f"Scored {summary.contacts_scored} contact(s) as of {summary.as_of.isoformat()} {escape(f'[{kind}]')} in "
        f"{summary.seconds:.2f} s: {summary.rows_written} row(s) written, {summary.scores_changed} score change(s), "
        f"{len(summary.transitions)} stage transition(s), {len(summary.notifications)} to notify, "
        f"{len(summary.reengaged)} re-engaged customer(s)."
    )
    if summary.transitions:
        table = Table("contact", "from", "to", "notify", "reason", title="Stage transitions")
        for change in summary.transitions[:SHOWN_TRANSITIONS]:
            table.add_row(str(change.contact_id), change.from_stage or "-", change.to_stage,
                          "yes" if change.notify else "", escape(change.reason))  # fmt: skip
        console.print(table)
        if len(summary.transitions) > SHOWN_TRANSITIONS:
            console.print(f"... and {len(summary.transitions) - SHOWN_TRANSITIONS} more transition(s)")
    for warning, count in summary.warnings.items():
        console.print(f"[yellow]warning:[/] {escape(warning)}: {count}")


def print_replay(console: Console, replay: Replay, scope: ContactScope | None = None) -> None:
    """A replayed moment: what the scores were then, with a plain statement that nothing was stored."""
    whose = f" of {scope.instance}" if scope else ""
    console.print(
        f"Replayed {len(replay.contact_ids)} contact(s){escape(whose)} as of {replay.as_of.isoformat()} "
        f"(before the last scoring or in the future: nothing stored, the CRM sees no change)."
    )
    engaged = int(replay.engaged.sum())
    share = 100.0 * engaged / len(replay.engaged) if len(replay.engaged) else 0.0
    console.print(
        f"Mean lead {replay.mean('lead'):.2f}, engagement {replay.mean('engagement'):.2f}, "
        f"fit {replay.mean('fit'):.2f}; engaged {engaged} ({share:.1f}%)."
    )
    table = Table("stage", "contacts", title="Stages then")
    for stage, count in replay.stage_counts().items():
        table.add_row(escape(stage), str(count))
    console.print(table)


def print_explanation(console: Console, explanation: Explanation) -> None:
    scores = ", ".join(f"{name} {value:g}" for name, value in explanation.scores.items())
    console.print(f"Contact {explanation.contact_id} ({explanation.crm_id}, {explanation.email or 'no email'}) "
                  f"as of {explanation.as_of.isoformat()}")  # fmt: skip
    console.print(f"Scores: {scores}; grade {explanation.grade or '-'}; engaged: {explanation.engaged}")
    console.print(f"Stage: [bold]{escape(explanation.stage)}[/] because {escape(explanation.stage_reason)}")
    if explanation.stage_until is not None:
        until = f"{explanation.stage_until:%Y-%m-%d %H:%M} UTC"
        console.print(f"{escape(explanation.stage)} until {until}, then {escape(explanation.stage_until_reason or '')}")
    if explanation.disqualified_by:
        console.print(f"Disqualified by: {escape(explanation.disqualified_by)}")
    if explanation.groups:
        console.print(group_table(explanation))
    fit = Table("field", "rule", "points", title="Fit rules that fired")
    for line in explanation.fit:
        fit.add_row(line.field, escape(line.rule), f"{line.points:+g}")
    for field, cap in explanation.capped_fields.items():
        fit.add_row(field, f"capped at {cap:g}", "")
    console.print(fit)
    activities = Table("time (UTC)", "type", "attributes", "rule", "points", "counted", "engagement",
                       title="Activities")  # fmt: skip
    for line in explanation.activities:
        notes = []
        if line.not_counted:
            notes.append(f"not counted ({line.not_counted})")
        elif line.capped:
            notes.append("capped")
        if not line.in_window:
            notes.append("outside window")
        attributes = ", ".join(f"{key}={value}" for key, value in line.attributes.items())
        activities.add_row(line.occurred_at.strftime("%Y-%m-%d %H:%M"), line.type, escape(attributes),
                           escape(line.rule or "no rule"),
                           f"{line.points:+g}", f"{line.counted:+g} {' '.join(notes)}".strip(),
                           f"{line.engagement:+.2f}")  # fmt: skip
    console.print(activities)
    if explanation.ignored_after_as_of:
        console.print(f"{explanation.ignored_after_as_of} activity(ies) after as-of ignored")
    console.print("Top reasons: " + escape("; ".join(explanation.reasons) or "-"))
    print_next_stage_and_what_if(console, explanation)


def group_table(explanation: Explanation) -> Table:
    table = Table("group", "lead", "engagement", "engaged", "stage", title="Score groups")
    for line in explanation.groups:
        stage = "-" if line.stage is None else line.stage + (f" ({line.stage_reason})" if line.stage_reason else "")
        table.add_row(escape(line.group), f"{line.lead:g}", f"{line.engagement:g}", "yes" if line.engaged else "no",
                      escape(stage))  # fmt: skip
    return table


def print_index(index: EngagementIndex, output_format: str = "table") -> None:
    """The index as a table, JSON (one object) or CSV (one row per group, then the overall row) on stdout."""
    rows = [*index.groups, index.overall]
    if output_format == "json":
        print(json.dumps({"by": index.by, "overall": _index_record(index.overall),
                          "groups": [_index_record(row) for row in index.groups]}, indent=2))  # fmt: skip
    elif output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["group", "contacts", "engaged", "engaged_percent", "overall"])
        for row in rows:
            writer.writerow([row.group or "", row.contacts, row.engaged, f"{row.percent:.1f}", row is index.overall])
    else:
        command_console().print(index_table(index))


def _index_record(row) -> dict:
    return {"group": row.group, "contacts": row.contacts, "engaged": row.engaged, "percent": round(row.percent, 1)}


def index_table(index: EngagementIndex) -> Table:
    table = Table(index.by or "", "contacts", "engaged", "engaged %", title="Engagement index")
    for row in index.groups:
        table.add_row("(empty)" if row.group is None else escape(row.group), str(row.contacts), str(row.engaged),
                      f"{row.percent:.1f}")  # fmt: skip
    overall = index.overall
    table.add_row("[bold]all contacts[/]", str(overall.contacts), str(overall.engaged), f"{overall.percent:.1f}")
    return table
