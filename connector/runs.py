"""What the store says about sync runs: the queries behind `scorebridge runs`, `status`, /readyz and /metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.table import Table
from sqlalchemy import String, and_, cast, func, inspect, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connector.crm import Bookmark
from connector.errors import InputError
from connector.store.tables import AccountWriteLedger, SyncBookmark, SyncRun, TaskOutbox, WriteLedger

#: Run statuses that count as the connection working (a CRM limit is an expected pause, not a fault).
HEALTHY_STATUSES = ("succeeded", "limit_reached")
FAILED_STATUS = "failed"
INTERRUPTED_STATUSES = ("stopped", "running")
#: The counts `scorebridge runs` shows, in this order; SyncRun rows hold more.
KEY_COUNTS = (
    "pulled_contacts",
    "pulled_activities",
    "pulled_outcomes",
    "scored",
    "stage_changes",
    "written",
    "tasks_created",
    "tasks_found",
    "tasks_historic",
)


@dataclass(frozen=True)
class RunSummary:
    """One row of `scorebridge runs`."""

    id: int
    connection: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    counts: dict[str, int]
    warnings: tuple[str, ...]

    @property
    def duration_seconds(self) -> float | None:
        return None if self.ended_at is None else (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class Backlog:
    """Write-back work the CRM has not confirmed yet: scores awaiting a retry and tasks not yet created."""

    pending_writes: int = 0
    pending_tasks: int = 0


@dataclass(frozen=True)
class ConnectionHealth:
    """Whether a connection's runs are working, as /readyz and the metrics need it."""

    connection: str
    last_run: RunSummary | None
    last_success_at: datetime | None
    #: When the current streak of failed runs began (None when the last finished run did not fail).
    failing_since: datetime | None

    def failing_for(self, now: datetime) -> float:
        """Seconds the connection has been failing; 0 when it is not."""
        if self.failing_since is None:
            return 0.0
        return (now - (self.last_success_at or self.failing_since)).total_seconds()


@dataclass(frozen=True)
class ConnectionStatus:
    """One block of `scorebridge status`."""

    connection: str
    crm: str
    last_run: RunSummary | None
    bookmarks: tuple[Bookmark, ...]
    backlog: Backlog


def require_run_history(engine: Engine) -> None:
    """Fail with a clear message when the store has never been set up (wrong URL, or nothing ran yet)."""
    if not inspect(engine).has_table(SyncRun.__tablename__):
        where = engine.url.render_as_string(hide_password=True)
        raise InputError(f"the store {where} has no sync runs table: check the store URL, or run `scorebridge sync`")


def recent_runs(engine: Engine, *, connection: str | None = None, limit: int = 20) -> list[RunSummary]:
    """The newest runs first, optionally of one connection."""
    query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit)
    if connection is not None:
        query = query.where(SyncRun.connection == connection)
    with Session(engine) as session:
        return [_summary(run) for run in session.scalars(query)]


def _summary(run: SyncRun) -> RunSummary:
    counts = {key: int(value) for key, value in (run.counts or {}).items() if isinstance(value, int | float)}
    return RunSummary(
        run.id, run.connection, run.started_at, run.ended_at, run.status, counts, tuple(run.warnings or ())
    )


def connection_health(engine: Engine, connections: Iterable[str]) -> list[ConnectionHealth]:
    """Per connection: its last run, its last healthy run, and since when it has been failing."""
    return [_health(engine, name) for name in connections]


def _health(engine: Engine, connection: str) -> ConnectionHealth:
    of_connection = SyncRun.connection == connection
    finished = and_(of_connection, SyncRun.ended_at.is_not(None))
    with Session(engine) as session:
        last = session.scalars(select(SyncRun).where(of_connection).order_by(SyncRun.id.desc()).limit(1)).first()
        last_finished = session.scalars(select(SyncRun).where(finished).order_by(SyncRun.id.desc()).limit(1)).first()
        last_success_at = session.scalar(
            select(func.max(SyncRun.ended_at)).where(finished, SyncRun.status.in_(HEALTHY_STATUSES))
        )
        failing_since = None
        if last_finished is not None and last_finished.status == FAILED_STATUS:
            streak = select(func.min(SyncRun.started_at)).where(finished, SyncRun.status == FAILED_STATUS)
            if last_success_at is not None:
                streak = streak.where(SyncRun.started_at >= last_success_at)
            failing_since = session.scalar(streak) or last_finished.started_at
    return ConnectionHealth(connection, _summary(last) if last else None, last_success_at, failing_since)


def interrupted_connections(engine: Engine, connections: Iterable[str]) -> list[str]:
    """Connections whose newest run was stopped (SIGTERM) or never closed (the process died during it)."""
    return [
        health.connection
        for health in connection_health(engine, connections)
        if health.last_run is not None and health.last_run.status in INTERRUPTED_STATUSES
    ]


def backlogs(engine: Engine) -> dict[str, Backlog]:
    """Write-back backlog per connection, counted in the database: contact and account records awaiting a write
    the CRM refused, and tasks not created yet."""
    writes: Counter[str] = Counter()
    with Session(engine) as session:
        for ledger in (WriteLedger, AccountWriteLedger):
            writes.update(
                dict(
                    session.execute(
                        select(ledger.connection, func.count())
                        .where(has_pending_values(ledger))
                        .group_by(ledger.connection)
                    ).all()
                )
            )
        tasks = dict(
            session.execute(
                select(TaskOutbox.connection, func.count())
                .where(TaskOutbox.status == "pending")
                .group_by(TaskOutbox.connection)
            ).all()
        )
    return {name: Backlog(writes.get(name, 0), tasks.get(name, 0)) for name in sorted({*writes, *tasks})}


def has_pending_values(ledger: type[WriteLedger] | type[AccountWriteLedger] = WriteLedger):
    # The JSON column stores Python None as the JSON text 'null' rather than SQL NULL, so test for both.
    as_text = cast(ledger.pending_values, String)
    return and_(ledger.pending_values.is_not(None), as_text.not_in(["null", "{}"]))


def connection_statuses(engine: Engine, connections: Sequence[tuple[str, str]]) -> list[ConnectionStatus]:
    """`scorebridge status` for each (name, crm) pair: last run, bookmarks and write-back backlog."""
    backlog = backlogs(engine)
    statuses = []
    with Session(engine) as session:
        for name, crm in connections:
            last = session.scalars(
                select(SyncRun).where(SyncRun.connection == name).order_by(SyncRun.id.desc()).limit(1)
            ).first()
            bookmarks = tuple(
                Bookmark(row.stream, row.modified_at, row.last_id)
                for row in session.scalars(
                    select(SyncBookmark).where(SyncBookmark.connection == name).order_by(SyncBookmark.stream)
                )
            )
            statuses.append(
                ConnectionStatus(name, crm, _summary(last) if last else None, bookmarks, backlog.get(name, Backlog()))
            )
    return statuses


def run_as_dict(run: RunSummary) -> dict:
    """A run as `scorebridge runs --json` prints it."""
    return {
        "id": run.id,
        "connection": run.connection,
        "started_at": run.started_at.isoformat(),
        "ended_at": run.ended_at.isoformat() if run.ended_at else None,
        "duration_seconds": run.duration_seconds,
        "status": run.status,
        "counts": run.counts,
        "warnings": list(run.warnings),
    }


def status_as_dict(status: ConnectionStatus) -> dict:
    """A connection as `scorebridge status --json` prints it."""
    return {
        "connection": status.connection,
        "crm": status.crm,
        "last_run": run_as_dict(status.last_run) if status.last_run else None,
        "bookmarks": [
            {"stream": mark.stream, "modified_at": mark.modified_at.isoformat(), "last_id": mark.last_id}
            for mark in status.bookmarks
        ],
        "backlog": {"pending_writes": status.backlog.pending_writes, "pending_tasks": status.backlog.pending_tasks},
    }


def runs_table(runs: Sequence[RunSummary]) -> Table:
    """`scorebridge runs` on a terminal: one line per run with its key counts."""
    headers = [key.replace("pulled_", "").replace("_", " ") for key in KEY_COUNTS]
    table = Table("id", "connection", "started (UTC)", "duration", "status", *headers, "warnings")
    for run in runs:
        duration = "running" if run.duration_seconds is None else f"{run.duration_seconds:.0f} s"
        counts = [str(run.counts.get(key, 0)) for key in KEY_COUNTS]
        started = run.started_at.strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(str(run.id), run.connection, started, duration, run.status, *counts, str(len(run.warnings)))
    return table


def status_table(statuses: Sequence[ConnectionStatus]) -> Table:
    """`scorebridge status` on a terminal: one line per connection."""
    table = Table("connection", "crm", "last run", "status", "bookmarks", "pending writes", "pending tasks")
    for status in statuses:
        last = status.last_run
        marks = "\n".join(f"{mark.stream}: {mark.modified_at:%Y-%m-%d %H:%M:%S}" for mark in status.bookmarks)
        table.add_row(
            status.connection,
            status.crm,
            last.started_at.strftime("%Y-%m-%d %H:%M:%S") if last else "never",
            last.status if last else "-",
            marks or "none",
            str(status.backlog.pending_writes),
            str(status.backlog.pending_tasks),
        )
    return table
