"""The scheduled service (`scorebridge serve`): one APScheduler job per connection, kept in the store's database.

Jobs coalesce missed runs and never overlap (`max_instances=1`; the run lock in `run_sync` also guards against a
second service or a CLI run). SIGTERM or SIGINT sets the stop event every run checks between steps: the running
step commits its checkpoint, the run records itself as "stopped", and only then does the process exit.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import ref_to_obj
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from connector.config import ConnectorConfig, Schedule, load_config
from connector.errors import ScoreBridgeError
from connector.health import HealthServer
from connector.runs import interrupted_connections
from connector.store.engine import make_engine, session_scope
from connector.store.tables import Contact, ContactScore, SyncRun

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
JOB_ID_PREFIX = "sync:"
DEFAULT_ADAPTER_FACTORY = "connector.cli:build_adapter"
#: A run due while the service was down still happens (once: jobs coalesce) if the service is back within this
#: time; later than that it waits for its next slot, so a nightly cron run does not start at noon after an outage.
MISFIRE_GRACE_SECONDS = 3600
#: How often the main thread looks at the stop event; signals interrupt the wait anyway.
STOP_POLL_SECONDS = 0.5


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ServiceContext:
    """What a job needs from the service that runs it but cannot be pickled into the job store."""

    engine: Engine
    stop: threading.Event


# Set once in each worker thread of a service's pool (see `build_scheduler`), so two services in one process (tests)
# never see each other's engine or stop event. A job called outside a service finds None and opens its own store.
_service_context: ContextVar[ServiceContext | None] = ContextVar("scorebridge_service_context", default=None)


def run_scheduled_sync(config_path: str, connection_name: str, adapter_factory_ref: str) -> str:
    """The scheduled job, stored by reference: one run of one connection; returns the run's status."""
    context = _service_context.get()
    if context is not None:
        return _run_once(context.engine, config_path, connection_name, adapter_factory_ref, stop=context.stop)
    # Called outside a service (by hand, or by another scheduler): open the store the configuration names.
    engine = make_engine(load_config(Path(config_path)).database_url)
    try:
        return _run_once(engine, config_path, connection_name, adapter_factory_ref, stop=None)
    finally:
        engine.dispose()


def _run_once(
    engine: Engine, config_path: str, connection_name: str, adapter_factory_ref: str, *, stop: threading.Event | None
) -> str:
    from connector.sync import run_sync  # the scoring stack (numpy) loads when a run starts, not with the service

    try:
        # Read on every run, so that an edited mapping, model or secret applies without a restart.
        config = load_config(Path(config_path))
        connection = config.connection(connection_name)
        adapter = ref_to_obj(adapter_factory_ref)(config, connection)
        report = run_sync(engine, config, connection, adapter, stop=stop)
    except ScoreBridgeError as error:
        # A run that cannot even start (bad credentials, broken model file) must still show in `runs` and /readyz;
        # the message says what to fix, so a traceback in the log would add nothing.
        log.error("sync of %s could not start: %s", connection_name, error)
        _record_failed_start(engine, connection_name, error)
        return "failed"
    log.info("sync of %s ended: %s %s", connection_name, report.status, report.message, extra={"run_id": report.run_id})
    return report.status


def _record_failed_start(engine: Engine, connection_name: str, error: ScoreBridgeError) -> None:
    now = _utc_now()
    with session_scope(engine) as session:
        session.add(
            SyncRun(connection=connection_name, started_at=now, ended_at=now, status="failed", warnings=[str(error)])
        )


def trigger_for(schedule: Schedule) -> BaseTrigger:
    """The APScheduler trigger of a connection's schedule; cron expressions are read in UTC."""
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=UTC)
    return IntervalTrigger(seconds=round(schedule.interval_minutes * 60), timezone=UTC)


def build_scheduler(engine: Engine, stop: threading.Event, *, workers: int) -> BackgroundScheduler:
    """A scheduler whose jobs live in the store's database and whose worker threads carry the service context."""
    executor = ThreadPoolExecutor(
        max_workers=max(1, workers),
        pool_kwargs={"initializer": _service_context.set, "initargs": (ServiceContext(engine, stop),)},
    )
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)},
        executors={"default": executor},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        timezone=UTC,
    )


def schedule_connections(
    scheduler: BackgroundScheduler,
    config: ConnectorConfig,
    config_path: Path,
    adapter_factory_ref: str,
    *,
    now: datetime,
) -> list[Job]:
    """Register (replacing) one job per connection and drop jobs of connections no longer configured.

    The scheduler must be started (paused) so that jobs already in the store are visible: a job whose trigger
    did not change keeps its stored next run time, which is what makes runs missed during a restart happen.
    """
    jobs = []
    for connection in config.connections:
        job_id = JOB_ID_PREFIX + connection.name
        trigger = trigger_for(connection.schedule)
        jobs.append(
            scheduler.add_job(
                run_scheduled_sync,
                trigger,
                args=(str(config_path.resolve()), connection.name, adapter_factory_ref),
                id=job_id,
                name=f"sync {connection.name}",
                replace_existing=True,
                next_run_time=_next_run_time(scheduler.get_job(job_id), trigger, now),
            )
        )
    wanted = {job.id for job in jobs}
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_ID_PREFIX) and job.id not in wanted:
            log.info("removing the job of %s: no longer in the configuration", job.id.removeprefix(JOB_ID_PREFIX))
            job.remove()
    return jobs


def _next_run_time(stored: Job | None, trigger: BaseTrigger, now: datetime) -> datetime | None:
    if stored is not None and str(stored.trigger) == str(trigger):
        return stored.next_run_time
    # A new (or rescheduled) interval connection syncs right away rather than one interval after start.
    return now if isinstance(trigger, IntervalTrigger) else trigger.get_next_fire_time(None, now)


def stop_scheduler(scheduler: BackgroundScheduler, *, wait: bool) -> None:
    """Shut the scheduler down without touching the run times kept in the store."""
    # APScheduler 3's thread, woken by shutdown(), makes one more pass over due jobs with the state already
    # STOPPED rather than PAUSED: a job due at that moment fails to reach the closed executor yet has its next
    # run advanced in the store, so that run would be lost. Detaching the store first leaves that pass nothing.
    scheduler.pause()
    scheduler.remove_jobstore("default", shutdown=False)
    scheduler.shutdown(wait=wait)


def resume_interrupted_runs(scheduler: BackgroundScheduler, engine: Engine, names: list[str], *, now: datetime) -> None:
    """Run at once the connections whose last run a shutdown or crash cut short, instead of at their next slot."""
    for name in interrupted_connections(engine, names):
        log.info("the last run of %s was interrupted: running it again now", name)
        scheduler.modify_job(JOB_ID_PREFIX + name, next_run_time=now)


def bring_forward_to_lapses(
    scheduler: BackgroundScheduler, engine: Engine, config: ConnectorConfig, names: list[str], *, now: datetime
) -> None:
    """Move a connection's next run up to the earliest stored fall-below date after now, when that comes first.

    The run at that moment rescores the contacts whose stage lapsed (connector/scoring/planning.py), so "MQL until
    14:03" is true in the CRM from 14:03 rather than from the next slot. Only ever earlier: an interval schedule
    counts on from the extra run, a cron schedule goes back to its next slot.
    """
    for name in names:
        connection = config.connection(name)
        job = scheduler.get_job(JOB_ID_PREFIX + name)
        lapse = _next_lapse(engine, connection.crm, name, now)
        if job is not None and lapse is not None and job.next_run_time is not None and lapse < job.next_run_time:
            log.info("a stage of %s lapses at %s: running then, before the next slot", name, lapse.isoformat())
            scheduler.modify_job(job.id, next_run_time=lapse)


def _next_lapse(engine: Engine, crm: str, name: str, now: datetime) -> datetime | None:
    query = (
        select(func.min(ContactScore.fall_below_at))
        .join(Contact, Contact.id == ContactScore.contact_id)
        .where(Contact.source == crm, Contact.instance == name, ContactScore.fall_below_at > now)
    )
    with session_scope(engine) as session:
        return session.exec(query).one()


class SyncService:
    """The scheduler and the health server of one `scorebridge serve` process."""

    def __init__(
        self,
        config: ConnectorConfig,
        config_path: Path,
        engine: Engine,
        *,
        adapter_factory_ref: str = DEFAULT_ADAPTER_FACTORY,
        clock: Callable[[], datetime] = _utc_now,
        port: int | None = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.adapter_factory_ref = adapter_factory_ref
        self.clock = clock
        self.engine = engine
        self.stop_requested = threading.Event()
        self.scheduler = build_scheduler(engine, self.stop_requested, workers=len(config.connections))
        self.health = HealthServer(
            engine,
            {connection.name: connection.crm for connection in config.connections},
            host=config.service.host,
            port=config.service.port if port is None else port,
            max_failing_seconds=config.service.ready_max_failing_seconds,
            clock=clock,
            report_page=lambda: _report_page(engine, config, clock),
        )

    def start(self) -> None:
        self.health.start()
        self.scheduler.start(paused=True)
        now = self.clock()
        schedule_connections(self.scheduler, self.config, self.config_path, self.adapter_factory_ref, now=now)
        names = [each.name for each in self.config.connections]
        resume_interrupted_runs(self.scheduler, self.engine, names, now=now)
        bring_forward_to_lapses(self.scheduler, self.engine, self.config, names, now=now)
        self.scheduler.add_listener(self._after_run, EVENT_JOB_EXECUTED)
        self.scheduler.resume()
        for job in self.scheduler.get_jobs():
            log.info("scheduled %s: %s, next run %s", job.name, job.trigger, job.next_run_time)

    def _after_run(self, event: JobExecutionEvent) -> None:
        """After a run of a connection, its next run comes no later than the next stage that lapses."""
        name = event.job_id.removeprefix(JOB_ID_PREFIX)
        if event.job_id.startswith(JOB_ID_PREFIX) and not self.stop_requested.is_set():
            bring_forward_to_lapses(self.scheduler, self.engine, self.config, [name], now=self.clock())

    def request_stop(self) -> None:
        self.stop_requested.set()

    def shutdown(self) -> None:
        """Let a running sync reach its checkpoint, then stop the scheduler and the HTTP server."""
        self.stop_requested.set()
        self.health.mark_stopping()
        log.info("stopping: waiting for running syncs to checkpoint")
        if self.scheduler.running:
            stop_scheduler(self.scheduler, wait=True)
        self.health.stop()
        log.info("stopped")

    def run_until_stopped(self) -> None:
        """Start, serve until SIGTERM or SIGINT, then shut down gracefully."""
        restore = _on_stop_signals(self.request_stop)
        try:
            self.start()
            while not self.stop_requested.wait(STOP_POLL_SECONDS):
                pass
        finally:
            self.shutdown()
            restore()


def _report_page(engine: Engine, config: ConnectorConfig, clock: Callable[[], datetime]) -> str:
    """/report: the page `scorebridge report --html` writes, from the store as it is now (the model is read on each
    request, as runs read it); the analytics stack loads on the first request, not with the service."""
    from connector.reports.closed_loop_page import page_from_store

    return page_from_store(engine, config.model_path(), clock())


def _on_stop_signals(request_stop: Callable[[], None]) -> Callable[[], None]:
    """Route SIGTERM and SIGINT to `request_stop`; a second signal falls back to the default (kills at once)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}

    def handle(number: int, _frame) -> None:
        log.info("received %s: finishing the current step; send it again to stop at once", signal.Signals(number).name)
        request_stop()
        for each in previous:
            signal.signal(each, signal.SIG_DFL)

    for number in previous:
        signal.signal(number, handle)

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore
