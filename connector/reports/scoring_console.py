"""How a scoring run looks on a terminal: the progress bar, the run summary, a replayed moment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from connector.scoring.replay import Replay
from connector.scoring.run import Progress as ProgressCallback
from connector.scoring.run import ScoreRunSummary
from connector.scoring.scope import ContactScope

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
