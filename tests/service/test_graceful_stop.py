"""A stop request during a scheduled run: the run ends at its next checkpoint, recorded as "stopped"."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlmodel import select

from connector.config import load_config
from connector.service import SyncService
from connector.store import session_scope
from connector.store.tables import Contact, SyncBookmark, SyncRun
from tests.service import fakes
from tests.service.conftest import connector_file

REPO = Path(__file__).resolve().parents[2]
FACTORY = "tests.service.fakes:build_gated_adapter"
POLL_SECONDS = 0.05


@pytest.fixture
def gated_service(engine, tmp_path):
    """A service over the test store whose only connection pulls from a GatedCrm, due at once."""
    path = connector_file(
        tmp_path,
        [{"name": "gated", "crm": "salesforce", "schedule": {"interval_minutes": 60}}],
        model=str(REPO / "mappings" / "scoring.yaml"),
    )
    service = SyncService(load_config(path), path, engine, adapter_factory_ref=FACTORY, port=0)
    yield service
    fakes.GATED_CRMS.clear()


def closed_runs(engine) -> list[SyncRun]:
    with session_scope(engine) as session:
        return list(session.exec(select(SyncRun).where(SyncRun.ended_at.is_not(None))))


def wait_for_gate_or_closed_run(crm: fakes.GatedCrm, engine) -> SyncRun | None:
    """None once the CRM has served the pages before its gate; the run record if the run ended first."""
    deadline = time.monotonic() + fakes.WAIT_TIMEOUT
    while time.monotonic() < deadline:
        if crm.first_pages_served.wait(POLL_SECONDS):
            return None
        if runs := closed_runs(engine):
            return runs[0]
    raise AssertionError("the scheduled run neither reached the gate nor ended")


def test_stop_during_a_pull_checkpoints_and_records_a_stopped_run(engine, gated_service):
    crm = fakes.GATED_CRMS["gated"] = fakes.GatedCrm(pages=5, open_pages=2)
    gated_service.start()
    ended_early = wait_for_gate_or_closed_run(crm, engine)
    assert ended_early is None, f"run ended {ended_early.status} before the stop: {ended_early.warnings}"
    gated_service.request_stop()
    crm.gate.set()
    gated_service.shutdown()

    [run] = closed_runs(engine)
    assert run.status == "stopped"
    with session_scope(engine) as session:
        stored = sorted(contact.crm_id for contact in session.exec(select(Contact)))
        bookmark = session.get(SyncBookmark, ("gated", "contacts"))
    # The two pages pulled before the stop are stored with their bookmark; nothing after it was.
    assert stored == ["00Q000", "00Q001"]
    assert bookmark.last_id == "00Q001"
    assert crm.written == []


def test_a_scheduled_run_without_interruption_succeeds_and_writes_back(engine, gated_service):
    crm = fakes.GATED_CRMS["gated"] = fakes.GatedCrm(pages=3, open_pages=3)
    crm.gate.set()
    gated_service.start()
    deadline = time.monotonic() + fakes.WAIT_TIMEOUT
    while not (runs := closed_runs(engine)) and time.monotonic() < deadline:
        gated_service.stop_requested.wait(POLL_SECONDS)
    gated_service.shutdown()
    assert runs, "the scheduled run did not finish"
    [run] = runs
    assert run.status == "succeeded", run.warnings
    assert run.counts["pulled_contacts"] == 3
    assert {write.crm_id for write in crm.written} == {"00Q000", "00Q001", "00Q002"}
