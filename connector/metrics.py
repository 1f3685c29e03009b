"""Prometheus metrics read from the store at scrape time, so every replica and every past run tells the same story.

Counters are sums over the SyncRun rows, computed in SQL; the runs themselves (CLI or service) never touch a
metrics object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from connector.errors import StoreUnavailableError
from connector.runs import backlogs, connection_health
from connector.store.tables import SyncRun

log = logging.getLogger(__name__)

#: Run counts summed into counters: (SyncRun.counts key, metric name, help, extra labels).
SUMMED_COUNTS = (
    ("pulled_contacts", "scorebridge_records_pulled", "Records pulled from the CRM.", {"stream": "contacts"}),
    ("pulled_activities", "scorebridge_records_pulled", "Records pulled from the CRM.", {"stream": "activities"}),
    ("pulled_outcomes", "scorebridge_records_pulled", "Records pulled from the CRM.", {"stream": "outcomes"}),
    (
        "outcome_links_unknown",
        "scorebridge_outcome_links_unknown",
        "Contacts named by pulled outcomes that the store does not hold (links left out).",
        {},
    ),
    ("written", "scorebridge_records_written", "Score writes the CRM confirmed.", {"outcome": "confirmed"}),
    ("write_failed", "scorebridge_records_written", "Score writes the CRM confirmed.", {"outcome": "failed"}),
    (
        "account_written",
        "scorebridge_account_records_written",
        "Account score writes the CRM confirmed.",
        {"outcome": "confirmed"},
    ),
    (
        "account_write_failed",
        "scorebridge_account_records_written",
        "Account score writes the CRM confirmed.",
        {"outcome": "failed"},
    ),
    ("tasks_created", "scorebridge_tasks_created", "Follow-up tasks created in the CRM.", {}),
    ("tasks_found", "scorebridge_tasks_found", "Follow-up tasks found in the CRM already, not created again.", {}),
    (
        "tasks_historic",
        "scorebridge_tasks_historic",
        "Stage transitions older than tasks.recent_days, recorded without sending a task.",
        {},
    ),
    (
        "tasks_completed",
        "scorebridge_tasks_completed",
        "Follow-up tasks seen completed in the CRM (follow_up.sla_hours set).",
        {},
    ),
    (
        "tasks_escalated",
        "scorebridge_tasks_escalated",
        "Tasks not completed within follow_up.sla_hours, escalated (once each) as follow_up.escalate says.",
        {},
    ),
    ("tasks_checked", "scorebridge_task_states_read", "Open tasks whose state was read back from the CRM.", {}),
    ("api_calls", "scorebridge_api_calls", "CRM API calls made by sync runs.", {}),
    ("rate_limited", "scorebridge_api_rate_limited", "CRM answers that asked us to slow down (HTTP 429).", {}),
)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class StoreCollector(Collector):
    """Reads runs, backlog and health of the configured connections (name -> CRM) from the store."""

    def __init__(self, engine: Engine, crm_by_connection: Mapping[str, str], clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._crm = dict(crm_by_connection)
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        store_up = GaugeMetricFamily("scorebridge_store_up", "1 when the store answered this scrape.")
        try:
            families = [*self._run_counts(), *self._summed_counts(), *self._backlog(), *self._health()]
        except (SQLAlchemyError, StoreUnavailableError) as error:
            log.warning("metrics: store unreachable: %s", error)
            store_up.add_metric([], 0)
            yield store_up
            return
        store_up.add_metric([], 1)
        yield store_up
        yield from families

    def _labels(self, connection: str) -> list[str]:
        return [connection, self._crm[connection]]

    def _run_counts(self) -> Iterator[Metric]:
        runs = CounterMetricFamily(
            "scorebridge_sync_runs", "Sync runs by final status.", labels=["connection", "crm", "status"]
        )
        with Session(self._engine) as session:
            rows = session.execute(
                select(SyncRun.connection, SyncRun.status, func.count())
                .where(SyncRun.connection.in_(self._crm))
                .group_by(SyncRun.connection, SyncRun.status)
            )
            for connection, status, count in rows:
                runs.add_metric([*self._labels(connection), status], count)
        yield runs

    def _summed_counts(self) -> Iterator[Metric]:
        families: dict[str, CounterMetricFamily] = {}
        sums = [func.coalesce(func.sum(SyncRun.counts[key].as_integer()), 0) for key, *_ in SUMMED_COUNTS]
        with Session(self._engine) as session:
            rows = session.execute(
                select(SyncRun.connection, *sums).where(SyncRun.connection.in_(self._crm)).group_by(SyncRun.connection)
            ).all()
        for _key, name, help_text, extra in SUMMED_COUNTS:
            labels = ["connection", "crm", *extra]
            families.setdefault(name, CounterMetricFamily(name, help_text, labels=labels))
        for connection, *values in rows:
            for (_key, name, _help, extra), value in zip(SUMMED_COUNTS, values, strict=True):
                families[name].add_metric([*self._labels(connection), *extra.values()], int(value))
        yield from families.values()

    def _backlog(self) -> Iterator[Metric]:
        backlog = GaugeMetricFamily(
            "scorebridge_writeback_backlog",
            "Write-back work not yet confirmed by the CRM: score writes awaiting retry and pending tasks.",
            labels=["connection", "crm", "kind"],
        )
        found = backlogs(self._engine)
        for connection in self._crm:
            pending = found.get(connection)
            backlog.add_metric([*self._labels(connection), "scores"], pending.pending_writes if pending else 0)
            backlog.add_metric([*self._labels(connection), "tasks"], pending.pending_tasks if pending else 0)
        yield backlog

    def _health(self) -> Iterator[Metric]:
        labels = ["connection", "crm"]
        duration = GaugeMetricFamily(
            "scorebridge_last_run_duration_seconds", "Duration of the last finished run.", labels=labels
        )
        since_success = GaugeMetricFamily(
            "scorebridge_seconds_since_last_success", "Seconds since the last successful run ended.", labels=labels
        )
        running = GaugeMetricFamily(
            "scorebridge_run_in_progress", "1 while a run of the connection is open.", labels=labels
        )
        now = self._clock()
        for health in connection_health(self._engine, self._crm):
            last = health.last_run
            if last is not None and last.duration_seconds is not None:
                duration.add_metric(self._labels(health.connection), last.duration_seconds)
            if health.last_success_at is not None:
                since_success.add_metric(
                    self._labels(health.connection), (now - health.last_success_at).total_seconds()
                )
            running.add_metric(self._labels(health.connection), int(last is not None and last.status == "running"))
        yield from (duration, since_success, running)


def metrics_registry(
    engine: Engine, crm_by_connection: Mapping[str, str], clock: Callable[[], datetime]
) -> CollectorRegistry:
    """A registry of our own (never the process-wide default) holding the store collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(engine, crm_by_connection, clock))
    return registry


def render_metrics(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
