"""The scheduler: one job per connection with its trigger, no overlap, coalescing, kept in the store's database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlmodel import SQLModel, select

from connector.config import load_config
from connector.errors import ConfigError
from connector.service import (
    JOB_TABLE,
    MISFIRE_GRACE_SECONDS,
    build_scheduler,
    resume_interrupted_runs,
    run_scheduled_sync,
    schedule_connections,
    stop_scheduler,
)
from connector.store import make_engine, session_scope
from connector.store.tables import SyncRun
from tests.conftest import NOW
from tests.service.conftest import add_run, connector_file

FACTORY = "tests.service.test_scheduler:refuse_to_build_adapter"


def refuse_to_build_adapter(config, connection):
    raise ConfigError("no credentials in SALESFORCE_TOKEN", source="connector.yaml", key="settings.token_env")


def started_paused(engine, workers=2):
    scheduler = build_scheduler(engine, threading.Event(), workers=workers)
    scheduler.start(paused=True)
    return scheduler


@pytest.fixture
def scheduler(engine):
    scheduler = started_paused(engine)
    yield scheduler
    stop_scheduler(scheduler, wait=False)


def test_each_connection_gets_one_job_with_its_own_trigger(scheduler, two_connections):
    config, path = two_connections
    schedule_connections(scheduler, config, path, FACTORY, now=NOW)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"sync:acme-sf", "sync:acme-hs"}
    assert isinstance(jobs["sync:acme-sf"].trigger, IntervalTrigger)
    assert jobs["sync:acme-sf"].trigger.interval == timedelta(minutes=15)
    assert isinstance(jobs["sync:acme-hs"].trigger, CronTrigger)
    assert jobs["sync:acme-hs"].args == (str(path.resolve()), "acme-hs", FACTORY)


def test_jobs_coalesce_missed_runs_and_never_overlap(scheduler, two_connections):
    config, path = two_connections
    for job in schedule_connections(scheduler, config, path, FACTORY, now=NOW):
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS


def test_cron_schedule_is_read_in_utc(scheduler, two_connections):
    config, path = two_connections
    schedule_connections(scheduler, config, path, FACTORY, now=NOW)
    nightly = scheduler.get_job("sync:acme-hs").trigger
    after = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert nightly.get_next_fire_time(None, after) == datetime(2026, 11, 2, 2, 30, tzinfo=UTC)


def test_new_interval_connection_runs_at_once_and_cron_waits_for_its_slot(scheduler, two_connections):
    config, path = two_connections
    schedule_connections(scheduler, config, path, FACTORY, now=NOW)
    assert scheduler.get_job("sync:acme-sf").next_run_time == NOW
    assert scheduler.get_job("sync:acme-hs").next_run_time.astimezone(UTC).time().isoformat() == "02:30:00"


def test_jobs_are_stored_in_the_store_database(engine, two_connections):
    config, path = two_connections
    first = started_paused(engine)
    schedule_connections(first, config, path, FACTORY, now=NOW)
    stop_scheduler(first, wait=False)
    with engine.connect() as connection:
        stored = connection.execute(text(f"select id from {JOB_TABLE} order by id")).scalars().all()
    assert stored == ["sync:acme-hs", "sync:acme-sf"]
    second = started_paused(engine)
    try:
        assert {job.id for job in second.get_jobs()} == {"sync:acme-hs", "sync:acme-sf"}
    finally:
        stop_scheduler(second, wait=False)


def test_restart_keeps_the_stored_next_run_of_an_unchanged_schedule(engine, two_connections):
    config, path = two_connections
    first = started_paused(engine)
    schedule_connections(first, config, path, FACTORY, now=NOW)
    stop_scheduler(first, wait=False)
    later = NOW + timedelta(hours=5)
    second = started_paused(engine)
    try:
        schedule_connections(second, config, path, FACTORY, now=later)
        # Still due since NOW: the run missed while the service was down happens (once) on resume.
        assert second.get_job("sync:acme-sf").next_run_time == NOW
    finally:
        stop_scheduler(second, wait=False)


def test_changed_schedule_replaces_the_stored_job(engine, tmp_path):
    first_file = connector_file(tmp_path, [{"name": "acme-sf", "crm": "salesforce"}])
    first = started_paused(engine)
    schedule_connections(first, load_config(first_file), first_file, FACTORY, now=NOW)
    stop_scheduler(first, wait=False)
    changed = connector_file(tmp_path, [{"name": "acme-sf", "crm": "salesforce", "schedule": {"cron": "0 3 * * *"}}])
    second = started_paused(engine)
    try:
        schedule_connections(second, load_config(changed), changed, FACTORY, now=NOW)
        job = second.get_job("sync:acme-sf")
        assert isinstance(job.trigger, CronTrigger)
        assert job.next_run_time == datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    finally:
        stop_scheduler(second, wait=False)


def test_connection_removed_from_the_config_loses_its_job(engine, tmp_path, two_connections):
    config, path = two_connections
    first = started_paused(engine)
    schedule_connections(first, config, path, FACTORY, now=NOW)
    stop_scheduler(first, wait=False)
    only_sf = connector_file(tmp_path, [{"name": "acme-sf", "crm": "salesforce"}])
    second = started_paused(engine)
    try:
        schedule_connections(second, load_config(only_sf), only_sf, FACTORY, now=NOW)
        assert [job.id for job in second.get_jobs()] == ["sync:acme-sf"]
    finally:
        stop_scheduler(second, wait=False)


def test_run_that_cannot_start_is_recorded_as_failed(tmp_path):
    database = tmp_path / "jobs.db"
    path = connector_file(tmp_path, [{"name": "acme-sf", "crm": "salesforce"}], database_url=f"sqlite:///{database}")
    own = make_engine(f"sqlite:///{database}")
    SQLModel.metadata.create_all(own)
    assert run_scheduled_sync(str(path), "acme-sf", FACTORY) == "failed"
    with session_scope(own) as session:
        run = session.exec(select(SyncRun)).one()
    own.dispose()
    assert run.status == "failed"
    assert "SALESFORCE_TOKEN" in run.warnings[0]


def test_connection_whose_last_run_was_cut_short_runs_again_at_once(scheduler, engine, two_connections):
    config, path = two_connections
    add_run(engine, "acme-hs", "succeeded", NOW - timedelta(days=1), NOW - timedelta(days=1))
    add_run(engine, "acme-hs", "stopped", NOW - timedelta(hours=1), NOW - timedelta(hours=1))
    schedule_connections(scheduler, config, path, FACTORY, now=NOW)
    resume_interrupted_runs(scheduler, engine, ["acme-sf", "acme-hs"], now=NOW)
    assert scheduler.get_job("sync:acme-hs").next_run_time == NOW


def test_connection_whose_last_run_ended_normally_keeps_its_slot(scheduler, engine, two_connections):
    config, path = two_connections
    add_run(engine, "acme-hs", "failed", NOW - timedelta(hours=1), NOW - timedelta(hours=1))
    schedule_connections(scheduler, config, path, FACTORY, now=NOW)
    resume_interrupted_runs(scheduler, engine, ["acme-sf", "acme-hs"], now=NOW)
    assert scheduler.get_job("sync:acme-hs").next_run_time == datetime(2026, 11, 2, 2, 30, tzinfo=UTC)


def test_runs_missed_while_down_are_coalesced_into_one(engine, tmp_path):
    path = connector_file(tmp_path, [{"name": "acme-sf", "crm": "salesforce", "schedule": {"interval_minutes": 15}}])
    executed = threading.Event()
    scheduler = started_paused(engine)
    scheduler.add_listener(lambda event: executed.set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    # As if the service had been down for 40 minutes: slots at -40, -25 and -10 minutes were all missed.
    down_since = datetime.now(UTC) - timedelta(minutes=40)
    schedule_connections(scheduler, load_config(path), path, FACTORY, now=down_since)
    scheduler.resume()
    try:
        assert executed.wait(30), "the missed run never ran"
    finally:
        stop_scheduler(scheduler, wait=True)
    with session_scope(engine) as session:
        runs = session.exec(select(SyncRun)).all()
    assert [run.status for run in runs] == ["failed"]  # one catch-up run (the factory refuses), not three
