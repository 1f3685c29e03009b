"""A sync run's tasks: queued for new stage transitions, returning customers and accounts entering a notifying
stage (connector/account_tasks.py), delivered, then followed up."""

from __future__ import annotations

from connector.account_tasks import account_notify_stages, enqueue_account_tasks
from connector.followup import follow_up_tasks
from connector.outbox import Queued, deliver_tasks, enqueue_tasks
from connector.returning_tasks import enqueue_returning_customers
from connector.scoring import ScoringModel
from connector.store.engine import session_scope
from connector.sync_state import RunState
from connector.task_facts import TaskAuthor
from connector.task_text import TaskWriter

#: Follow-up problems (tasks nobody could be named for) listed in a run's warnings; the rest are counted.
PROBLEMS_SHOWN = 5


def queue_and_deliver_tasks(run: RunState) -> None:
    run.check_stop()
    run.phase("tasks")
    author = task_author(run)
    with session_scope(run.engine) as session:
        stage, returning, accounts = enqueue(run, session, author)
    run.counts["tasks_queued"] += stage.pending + returning.pending + accounts.pending
    run.counts["tasks_historic"] += stage.historic + returning.historic + accounts.historic
    run.counts["tasks_reengaged"] += returning.pending
    run.counts["account_tasks_queued"] += accounts.pending
    report_fallbacks(run, author)
    delivery = deliver_tasks(run.engine, run.adapter, run.connection.name)
    run.counts["tasks_created"] += delivery.created
    run.counts["tasks_found"] += delivery.found
    run.counts["tasks_failed"] += delivery.failed


def follow_up(run: RunState) -> tuple:
    """Read back the open tasks, record completions, escalate the unworked (connector/followup.py); in a dry run,
    the escalation tasks it would send."""
    run.check_stop()
    if run.connection.follow_up.sla_hours is None:
        return ()
    run.phase("follow-up")
    done = follow_up_tasks(
        run.engine, run.adapter, run.connection.name, run.connection.follow_up, now=run.started_at, dry_run=run.dry_run
    )
    if not run.dry_run:
        run.counts.update(
            tasks_checked=done.checked, tasks_completed=done.completed, tasks_escalated=done.escalated,
            tasks_gone=done.gone, tasks_created=done.created, tasks_found=done.found,
        )  # fmt: skip
    shown = done.problems[:PROBLEMS_SHOWN]
    more = len(done.problems) - len(shown)
    run.warnings.extend([*shown, *([f"... and {more} more tasks like these"] if more > 0 else [])])
    return tuple(done.planned)


def enqueue(run: RunState, session, author: TaskAuthor) -> tuple[Queued, Queued, Queued]:
    """Queue the tasks this connection's new stage transitions, returning customers and accounts entering a
    notifying stage call for, in the caller's transaction: (stage tasks, returning-customer tasks, account tasks)."""
    where = {"connection": run.connection.name, "source": run.connection.crm, "policy": run.connection.tasks}
    stage = enqueue_tasks(session, notify_stages=notify_stages(run.model), now=run.started_at, author=author, **where)
    returning = enqueue_returning_customers(session, model=run.model, now=run.started_at, author=author, **where)
    accounts = enqueue_account_tasks(
        session, notify_stages=account_notify_stages(run.model), now=run.started_at, author=author, **where
    )
    return stage, returning, accounts


def task_author(run: RunState) -> TaskAuthor:
    """The run's task text: the connection's templates over the model's, and the CRM's context asked once, when
    first needed."""
    templates = run.connection.tasks.templates.over(run.model.tasks.templates)
    return TaskAuthor(TaskWriter(templates), run.adapter.task_context)


def report_fallbacks(run: RunState, author: TaskAuthor) -> None:
    """A connection's template that failed for some contacts: counted, and the first failure said in the report."""
    if author.fallbacks:
        run.counts["task_text_fallbacks"] += len(author.fallbacks)
        run.warnings.append(
            f"{len(author.fallbacks)} task(s) got the default text because the connection's template failed "
            f"(e.g. {author.fallbacks[0]})"
        )


def notify_stages(model: ScoringModel) -> frozenset[str]:
    return frozenset(stage.name for stage in model.stages if stage.notifies)
