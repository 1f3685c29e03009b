"""One sync run of one connection: pull -> normalize -> score -> stage transitions -> tasks -> write-back -> follow-up.

Every step commits what it finished before the next begins (records with their bookmark, scores, outbox rows,
ledger entries), so a run killed at any point and started again ends where an uninterrupted run would have.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine

from connector.accounts.run import score_accounts
from connector.config import ConnectionConfig, ConnectorConfig, mapping_problems
from connector.crm import CrmAdapter
from connector.errors import ConfigError, LimitReachedError, ScoreBridgeError, StoreBusyError
from connector.logs import run_log_context
from connector.outbox import pending_tasks
from connector.scoring import ContactScope, load_model, score_store
from connector.scoring.run import stale_scores_problem
from connector.store.account_matching import match_leads
from connector.store.engine import session_scope
from connector.store.failures import failure_frames, failure_summary
from connector.store.lock import connection_lock
from connector.store.records import upsert_accounts, upsert_activities, upsert_contacts, upsert_outcomes
from connector.store.storable import storable_text
from connector.store.tables import SyncRun
from connector.sync_pull import finish_reclassifying, prepare_pull, pull_stream
from connector.sync_state import RunState, RunStopped, SyncProgress
from connector.sync_tasks import enqueue, follow_up, queue_and_deliver_tasks, task_author
from connector.sync_writes import planned_writes, write_back

#: The exit code of `scorebridge sync` for each run status; the worst run decides.
EXIT_CODES = {"succeeded": 0, "dry_run": 0, "failed": 1, "stopped": 1, "limit_reached": 4, "locked": 6}

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


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
            run = RunState(engine, connection, adapter, model, started_at, dry_run, stop or threading.Event(), progress)
            run.mapping_file = config.resolve(connection.mapping)
            return _locked_run(run, full=full, clock=clock)
    except StoreBusyError as busy:
        return SyncReport(connection.name, None, "locked", {}, (), started_at, clock(), str(busy))


def _locked_run(run: RunState, *, full: bool, clock: Callable[[], datetime]) -> SyncReport:
    run_id = _open_run_record(run)
    with run_log_context(run_id):  # every line logged until the record closes names this run
        return _recorded_run(run, run_id, full=full, clock=clock)


def _recorded_run(run: RunState, run_id: int, *, full: bool, clock: Callable[[], datetime]) -> SyncReport:
    status, message = "succeeded", ""
    planned_writes: tuple = ()
    planned_tasks: tuple = ()
    try:
        reclassifying = prepare_pull(run, full=full)
        pull_stream(run, "accounts", run.adapter.pull_accounts, upsert_accounts)  # before the contacts linking them
        pull_stream(run, "contacts", run.adapter.pull_contacts, upsert_contacts)
        _match_leads(run)
        store_activities = reclassifying.upsert if reclassifying else upsert_activities
        pull_stream(run, "activities", run.adapter.pull_activities, store_activities)
        pull_stream(run, "outcomes", run.adapter.pull_outcomes, upsert_outcomes)  # after the contacts they link to
        if reclassifying:
            finish_reclassifying(run, reclassifying)
        _score(run)
        _require_current_scores(run)
        if run.dry_run:
            planned_writes, planned_tasks = _dry_run_plan(run)
            planned_tasks += follow_up(run)
            status = "dry_run"
        else:
            queue_and_deliver_tasks(run)
            write_back(run)  # contacts, then accounts (connector/sync_writes.py)
            follow_up(run)  # last: a CRM that cannot answer about its tasks must not hold back the scores
    except RunStopped:
        status, message = "stopped", "stopped on request; the next run carries on from the last checkpoint"
    except LimitReachedError as limit:
        status, message = "limit_reached", str(limit)
    except StoreBusyError as busy:  # a whole-store `scorebridge score` holds the scoring lock
        status, message = "locked", f"{busy}; the contacts stay queued and the next run scores them"
    except ScoreBridgeError as error:
        status, message = "failed", str(error)
    except Exception as error:  # an unforeseen failure still closes the run record truthfully, without values
        status, message = "failed", failure_summary(error)
        log.error("sync of %s failed: %s\n%s", run.connection.name, message, failure_frames(error))
    return _end_run(run, run_id, status, message, clock, (planned_writes, planned_tasks))


def _end_run(
    run: RunState, run_id: int, status: str, message: str, clock: Callable[[], datetime], planned: tuple[tuple, tuple]
) -> SyncReport:
    """Count the API usage, close the run record, log the run's last line and say what it did."""
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
        *planned,
    )


def _open_run_record(run: RunState) -> int:
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


def _close_run_record(run: RunState, run_id: int, status: str, message: str, ended_at: datetime) -> None:
    with session_scope(run.engine) as session:
        record = session.get(SyncRun, run_id)
        record.status, record.ended_at = status, ended_at
        record.counts = dict(run.counts)
        # A CRM's error text may hold a character the store refuses (store/storable.py): never lose the record.
        record.warnings = [storable_text(line) for line in [*run.warnings, message] if line]
        session.add(record)


def _score(run: RunState) -> None:
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
    # the model's accounts section (connector/accounts); contacts reading an account value that moved are rescored
    accounts = score_accounts(
        run.engine, run.model, summary, scope=_scope(run), now=lambda: max(utc_now(), run.started_at)
    )
    run.counts.update(accounts.counts() if accounts else {})


def _match_leads(run: RunState) -> None:
    """Place the leads the CRM links to no account, as the mapping says (connector/store/account_matching.py)."""
    with session_scope(run.engine) as session:
        connection = session.connection()
        matched = match_leads(connection, run.connection.crm, run.connection.name, run.adapter.account_matching())
    if matched:
        run.counts["lead_matches_changed"] += matched


def _scope(run: RunState) -> ContactScope:
    return ContactScope(run.connection.crm, run.connection.name)


def _require_current_scores(run: RunState) -> None:
    """Only scores computed by this run, at its own as-of and with its own model, may become tasks or writes."""
    problem = stale_scores_problem(run.engine, run.model, _scope(run), run.started_at)
    if problem:
        raise ScoreBridgeError(f"{problem}; nothing was written to the CRM and no task was created")


def _dry_run_plan(run: RunState) -> tuple[tuple, tuple]:
    """What a real run would send, computed in a transaction that is rolled back."""
    with session_scope(run.engine) as session:
        enqueue(run, session, task_author(run))
        session.flush()
        tasks = tuple(row.payload for row in pending_tasks(session, run.connection.name))
        writes = planned_writes(run, session)
        session.rollback()
    return writes, tasks
