"""One sync run of one connection: pull -> normalize -> score -> stage transitions -> tasks -> write-back -> follow-up.

Every step commits what it finished before the next begins (records with their bookmark, scores, outbox rows,
ledger entries), so a run killed at any point and started again ends where an uninterrupted run would have.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.engine import Engine

from connector.config import ConnectionConfig, ConnectorConfig, mapping_problems
from connector.crm import ActivityRecord, ContactRecord, CrmAdapter, OutcomeRecord, Page
from connector.errors import ConfigError, LimitReachedError, ScoreBridgeError, StoreBusyError
from connector.followup import follow_up_tasks
from connector.logs import run_log_context
from connector.mapping_changes import Reclassification, mapping_fingerprint, plan_pull
from connector.outbox import Queued, deliver_tasks, enqueue_tasks, pending_tasks
from connector.returning_tasks import enqueue_returning_customers
from connector.scoring import ContactScope, ScoringModel, load_model, score_store
from connector.scoring.run import stale_scores_problem
from connector.store.bookmarks import clear_bookmarks, load_bookmark, save_bookmark, save_mapping_fingerprint
from connector.store.engine import session_scope
from connector.store.failures import failure_frames, failure_summary
from connector.store.lock import connection_lock
from connector.store.records import upsert_activities, upsert_contacts, upsert_outcomes
from connector.store.storable import storable_text
from connector.store.tables import SyncRun
from connector.task_facts import TaskAuthor
from connector.task_text import TaskWriter
from connector.writeback import plan_writes, record_results

log = logging.getLogger(__name__)

PULLED_STREAMS = ("contacts", "activities", "outcomes")
#: The exit code of `scorebridge sync` for each run status; the worst run decides.
EXIT_CODES = {"succeeded": 0, "dry_run": 0, "failed": 1, "stopped": 1, "limit_reached": 4, "locked": 6}
#: Follow-up problems (tasks nobody could be named for) listed in a run's warnings; the rest are counted.
PROBLEMS_SHOWN = 5
WRITE_BATCH = 1000  # adapters split further to their CRM's own limit (200 Salesforce, 100 HubSpot)


def utc_now() -> datetime:
    return datetime.now(UTC)


class SyncProgress(Protocol):
    """What the CLI's progress display (or a log line writer) is told about a run."""

    def phase(self, name: str, total: int | None = None) -> None: ...

    def advance(self, count: int) -> None: ...


class _Stopped(Exception):
    """The stop event was set (SIGTERM): the run ends after the step it was in."""


@dataclass(frozen=True)
class SyncReport:
    connection: str
    run_id: int | None
    status: str
    counts: dict[str, int]
    warnings: tuple[str, ...]
    started_at: datetime
    ended_at: datetime
    message: str = ""
    planned_writes: tuple = ()
    planned_tasks: tuple = ()


@dataclass
class _Run:
    engine: Engine
    connection: ConnectionConfig
    adapter: CrmAdapter
    model: ScoringModel
    started_at: datetime
    dry_run: bool
    stop: threading.Event
    progress: SyncProgress | None
    counts: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    #: The connection's mapping file, whose fingerprint says whether the store was pulled with it.
    mapping_file: Path | None = None

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise _Stopped

    def phase(self, name: str, total: int | None = None) -> None:
        log.info("phase %s", name, extra={"connection": self.connection.name, "phase": name})
        if self.progress:
            self.progress.phase(name, total)

    def advance(self, count: int) -> None:
        if self.progress:
            self.progress.advance(count)


def run_sync(
    engine: Engine,
    config: ConnectorConfig,
    connection: ConnectionConfig,
    adapter: CrmAdapter,
    *,
    dry_run: bool = False,
    full: bool = False,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] = utc_now,
    progress: SyncProgress | None = None,
) -> SyncReport:
    """Run one connection once; a second run started meanwhile returns status "locked" and touches nothing."""
    started_at = clock()
    model = load_model(config.model_path(connection))
    problems = mapping_problems(connection, adapter.activity_types(), model.activity_types)
    if problems:
        raise ConfigError("; ".join(problems), source=str(config.source_path or "connector config"))
    try:
        with connection_lock(engine, connection.name):
            run = _Run(engine, connection, adapter, model, started_at, dry_run, stop or threading.Event(), progress)
            run.mapping_file = config.resolve(connection.mapping)
            return _locked_run(run, full=full, clock=clock)
    except StoreBusyError as busy:
        return SyncReport(connection.name, None, "locked", {}, (), started_at, clock(), str(busy))


def _locked_run(run: _Run, *, full: bool, clock: Callable[[], datetime]) -> SyncReport:
    run_id = _open_run_record(run)
    with run_log_context(run_id):  # every line logged until the record closes names this run
        return _recorded_run(run, run_id, full=full, clock=clock)


def _recorded_run(run: _Run, run_id: int, *, full: bool, clock: Callable[[], datetime]) -> SyncReport:
    status, message = "succeeded", ""
    planned_writes: tuple = ()
    planned_tasks: tuple = ()
    try:
        reclassifying = _prepare_pull(run, full=full)
        _pull(run, "contacts", run.adapter.pull_contacts, upsert_contacts)
        store_activities = reclassifying.upsert if reclassifying else upsert_activities
        _pull(run, "activities", run.adapter.pull_activities, store_activities)
        _pull(run, "outcomes", run.adapter.pull_outcomes, upsert_outcomes)  # after the contacts they link to
        if reclassifying:
            _finish_reclassifying(run, reclassifying)
        _score(run)
        _require_current_scores(run)
        if run.dry_run:
            planned_writes, planned_tasks = _dry_run_plan(run)
            planned_tasks += _follow_up(run)
            status = "dry_run"
        else:
            _tasks(run)
            _write_back(run)
            _follow_up(run)  # last: a CRM that cannot answer about its tasks must not hold back the scores
    except _Stopped:
        status, message = "stopped", "stopped on request; the next run carries on from the last checkpoint"
    except LimitReachedError as limit:
        status, message = "limit_reached", str(limit)
    except StoreBusyError as busy:  # a whole-store `scorebridge score` holds the scoring lock
        status, message = "locked", f"{busy}; the contacts stay flagged and the next run scores them"
    except ScoreBridgeError as error:
        status, message = "failed", str(error)
    except Exception as error:  # an unforeseen failure still closes the run record truthfully, without values
        status, message = "failed", failure_summary(error)
        log.error("sync of %s failed: %s\n%s", run.connection.name, message, failure_frames(error))
    usage = run.adapter.usage()
    run.counts["api_calls"] = usage.calls
    run.counts["rate_limited"] = usage.rate_limited
    if usage.daily_limit:
        run.warnings.append(f"daily API usage {usage.daily_used}/{usage.daily_limit}")
    ended_at = clock()
    _close_run_record(run, run_id, status, message, ended_at)
    log.info(
        "run %s of %s ended %s",
        run_id,
        run.connection.name,
        status,
        extra={"connection": run.connection.name, "run_id": run_id, "status": status, "counts": dict(run.counts),
               "seconds": round((ended_at - run.started_at).total_seconds(), 3), "detail": message},
    )  # fmt: skip
    return SyncReport(
        run.connection.name,
        run_id,
        status,
        dict(run.counts),
        tuple(run.warnings),
        run.started_at,
        ended_at,
        message,
        planned_writes,
        planned_tasks,
    )


def _open_run_record(run: _Run) -> int:
    """Open this run's record; a record still "running" belongs to a run that died (we hold the lock): close it."""
    with session_scope(run.engine) as session:
        session.execute(
            update(SyncRun)
            .where(SyncRun.connection == run.connection.name, SyncRun.status == "running")
            .values(status="interrupted", ended_at=run.started_at)
        )
        record = SyncRun(connection=run.connection.name, started_at=run.started_at, status="running")
        session.add(record)
        session.flush()
        return record.id


def _close_run_record(run: _Run, run_id: int, status: str, message: str, ended_at: datetime) -> None:
    with session_scope(run.engine) as session:
        record = session.get(SyncRun, run_id)
        record.status, record.ended_at = status, ended_at
        record.counts = dict(run.counts)
        # A CRM's error text may hold a character the store refuses (store/storable.py): never lose the record.
        record.warnings = [storable_text(line) for line in [*run.warnings, message] if line]
        session.add(record)


def _prepare_pull(run: _Run, *, full: bool) -> Reclassification | None:
    """Before a first pull, a pull under a changed mapping, or a --full one, compare the mapping with the CRM's own
    schema: nothing is pulled or written when an object or field is missing. A changed mapping (or --full) then
    re-reads everything to reclassify what is stored (connector/mapping_changes.py). Other runs skip the check (it
    costs calls); `validate --online` runs it."""
    fingerprint = mapping_fingerprint(run.mapping_file) if run.mapping_file else None
    with session_scope(run.engine) as session:
        plan = plan_pull(session, run.connection.name, fingerprint, full=full)
    if plan.check:
        run.phase("check mapping")
        problems = run.adapter.check()
        if problems:
            raise ConfigError("; ".join(problems), source=str(run.mapping_file or run.connection.mapping))
    with session_scope(run.engine) as session:
        if plan.record_now and fingerprint:
            save_mapping_fingerprint(session, run.connection.name, fingerprint, now=run.started_at)
        if plan.reclassify:
            clear_bookmarks(session, run.connection.name, PULLED_STREAMS)
    return Reclassification(fingerprint) if plan.reclassify else None


def _finish_reclassifying(run: _Run, reclassifying: Reclassification) -> None:
    """After a complete re-pull: the activities the mapping no longer selects leave the store."""
    with session_scope(run.engine) as session:
        removed = reclassifying.finish(
            session, source=run.connection.crm, connection=run.connection.name, now=run.started_at
        )
    run.counts["removed_by_mapping"] += removed
    run.warnings.append(f"read everything again (mapping changed, or --full): {removed} activities removed")


def _pull(run: _Run, stream: str, pull: Callable, upsert: Callable) -> None:
    """Store each page together with its bookmark, so a crash re-reads a page and never skips one."""
    run.phase(f"pull {stream}")
    with session_scope(run.engine) as session:
        since = load_bookmark(session, run.connection.name, stream)
    pages: Iterator[Page[ContactRecord] | Page[ActivityRecord] | Page[OutcomeRecord]] = pull(since)
    for page in pages:
        run.check_stop()
        with session_scope(run.engine) as session:
            counts = upsert(session, source=run.connection.crm, instance=run.connection.name, records=page.records)
            if page.bookmark is not None:
                save_bookmark(session, run.connection.name, page.bookmark, now=run.started_at)
        run.counts[f"pulled_{stream}"] += len(page.records)
        run.counts["skipped_records"] += page.skipped + counts.skipped
        run.counts["cleaned_records"] += counts.cleaned  # values the store cannot hold (store/storable.py)
        run.counts["record_warnings"] += sum(len(r.warnings) for r in page.records if not isinstance(r, ActivityRecord))
        if counts.unlinked:  # outcome links to contacts not in the store
            run.counts["outcome_links_unknown"] += counts.unlinked
        run.advance(len(page.records))


def _score(run: _Run) -> None:
    run.check_stop()
    run.phase("score")
    # only this connection's contacts, with this connection's model and checkpoint (a config may hold several)
    summary = score_store(
        run.engine,
        run.model,
        as_of=run.started_at,
        contacts=_scope(run),
        now=lambda: max(utc_now(), run.started_at),  # a run's own start is never "in the future" for it
    )
    run.counts["scored"] += summary.contacts_scored
    run.counts["stage_changes"] += len(summary.transitions)


def _scope(run: _Run) -> ContactScope:
    return ContactScope(run.connection.crm, run.connection.name)


def _require_current_scores(run: _Run) -> None:
    """Only scores computed by this run, at its own as-of and with its own model, may become tasks or writes."""
    problem = stale_scores_problem(run.engine, run.model, _scope(run), run.started_at)
    if problem:
        raise ScoreBridgeError(f"{problem}; nothing was written to the CRM and no task was created")


def _tasks(run: _Run) -> None:
    run.check_stop()
    run.phase("tasks")
    author = _author(run)
    with session_scope(run.engine) as session:
        stage, returning = _enqueue(run, session, author)
    run.counts["tasks_queued"] += stage.pending + returning.pending
    run.counts["tasks_historic"] += stage.historic + returning.historic
    run.counts["tasks_reengaged"] += returning.pending
    _report_fallbacks(run, author)
    delivery = deliver_tasks(run.engine, run.adapter, run.connection.name)
    run.counts["tasks_created"] += delivery.created
    run.counts["tasks_found"] += delivery.found
    run.counts["tasks_failed"] += delivery.failed


def _follow_up(run: _Run) -> tuple:
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


def _enqueue(run: _Run, session, author: TaskAuthor) -> tuple[Queued, Queued]:
    """Queue the tasks this connection's new stage transitions and returning customers call for, in the caller's
    transaction: (stage tasks, returning-customer tasks)."""
    where = {"connection": run.connection.name, "source": run.connection.crm, "policy": run.connection.tasks}
    stage = enqueue_tasks(session, notify_stages=notify_stages(run.model), now=run.started_at, author=author, **where)
    returning = enqueue_returning_customers(session, model=run.model, now=run.started_at, author=author, **where)
    return stage, returning


def _author(run: _Run) -> TaskAuthor:
    """The run's task text: the connection's templates, and the CRM's context asked once, when first needed."""
    return TaskAuthor(TaskWriter(run.connection.tasks.templates), run.adapter.task_context)


def _report_fallbacks(run: _Run, author: TaskAuthor) -> None:
    """A connection's template that failed for some contacts: counted, and the first failure said in the report."""
    if author.fallbacks:
        run.counts["task_text_fallbacks"] += len(author.fallbacks)
        run.warnings.append(
            f"{len(author.fallbacks)} task(s) got the default text because the connection's template failed "
            f"(e.g. {author.fallbacks[0]})"
        )


def notify_stages(model: ScoringModel) -> frozenset[str]:
    return frozenset(stage.name for stage in model.stages if stage.notifies)


def _write_back(run: _Run) -> None:
    run.phase("write-back")
    with session_scope(run.engine) as session:
        planned = plan_writes(
            session, connection=run.connection.name, source=run.connection.crm, targets=run.adapter.write_targets()
        )
    run.counts["writes_changed"] += len(planned)
    size = getattr(run.adapter, "write_batch_size", None) or WRITE_BATCH  # optional, see CrmAdapter.write_scores
    for start in range(0, len(planned), size):
        run.check_stop()
        batch = planned[start : start + size]
        results = run.adapter.write_scores([plan.write for plan in batch])
        with session_scope(run.engine) as session:
            confirmed, failed = record_results(
                session, connection=run.connection.name, planned=batch, results=results, now=run.started_at
            )
        run.counts["written"] += confirmed
        run.counts["write_failed"] += failed
        run.advance(len(batch))
        _warn_first_failed_write(run, results)


def _warn_first_failed_write(run: _Run, results: list) -> None:
    """A run whose writes the CRM refused still succeeds, so its report must say what was left for the next run."""
    failure = next((result for result in results if not result.ok), None)
    if failure is not None and not any(warning.startswith("writes not confirmed") for warning in run.warnings):
        run.warnings.append(
            f"writes not confirmed by the CRM (e.g. {failure.crm_id}: {failure.error_code}: {failure.error_message});"
            " the next run sends them again"
        )


def _dry_run_plan(run: _Run) -> tuple[tuple, tuple]:
    """What a real run would send, computed in a transaction that is rolled back."""
    with session_scope(run.engine) as session:
        _enqueue(run, session, _author(run))
        session.flush()
        tasks = tuple(row.payload for row in pending_tasks(session, run.connection.name))
        targets = run.adapter.write_targets()
        planned = plan_writes(session, connection=run.connection.name, source=run.connection.crm, targets=targets)
        writes = tuple(plan.write for plan in planned)
        session.rollback()
    return writes, tasks
