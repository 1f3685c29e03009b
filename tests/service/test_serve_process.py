"""A real `scorebridge serve` process: it answers its probes, runs jobs, and exits cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import Session, select

from connector.store import make_engine
from connector.store.tables import SyncRun
from tests.service.conftest import connector_file

REPO = Path(__file__).resolve().parents[2]
SCOREBRIDGE = Path(sys.executable).parent / "scorebridge"
STARTUP_TIMEOUT = 30
EXIT_TIMEOUT = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)  # polling a subprocess, bounded by the deadline
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def answers(port: int, path: str) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def start_serve(
    tmp_path: Path, connections: list[dict], *extra: str, **config_keys
) -> tuple[subprocess.Popen, int, Path]:
    database = tmp_path / "store.db"
    config = connector_file(tmp_path, connections, database_url=f"sqlite:///{database}", **config_keys)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCOREBRIDGE_")}
    env["PYTHONPATH"] = str(REPO)  # lets --adapter-factory name a test module
    process = subprocess.Popen(
        [str(SCOREBRIDGE), "serve", "--config", str(config), "--port", str(port), *extra],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, port, config


@pytest.fixture
def serving(tmp_path):
    processes = []

    def start(connections, *extra, **config_keys):
        process, port, config = start_serve(tmp_path, connections, *extra, **config_keys)
        processes.append(process)
        if wait_until(lambda: process.poll() is not None or answers(port, "/healthz"), STARTUP_TIMEOUT, "/healthz"):
            assert process.poll() is None, process.communicate()[1]
        return process, port, config

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def stop(process: subprocess.Popen, number=signal.SIGTERM) -> tuple[int, str]:
    process.send_signal(number)
    _out, err = process.communicate(timeout=EXIT_TIMEOUT)
    return process.returncode, err


def test_sigterm_stops_serve_promptly_with_exit_code_zero(serving):
    process, port, _ = serving([{"name": "acme-sf", "crm": "salesforce", "schedule": {"cron": "0 0 1 1 *"}}])
    assert answers(port, "/readyz") == 200
    started = time.monotonic()
    code, err = stop(process)
    assert code == 0, err
    assert time.monotonic() - started < 5
    assert "stopped" in err


def test_sigint_stops_serve_like_sigterm(serving):
    process, _port, _ = serving([{"name": "acme-sf", "crm": "salesforce", "schedule": {"cron": "0 0 1 1 *"}}])
    code, err = stop(process, signal.SIGINT)
    assert code == 0, err


def test_serve_runs_a_new_interval_connection_at_once_and_records_its_failure(serving):
    process, _port, config = serving(
        [{"name": "acme-sf", "crm": "salesforce", "schedule": {"interval_minutes": 60}}],
        "--adapter-factory",
        "tests.service.fakes:build_refusing_adapter",
    )

    def recorded_runs():
        listing = subprocess.run(
            [str(SCOREBRIDGE), "runs", "--config", str(config), "--json"], capture_output=True, text=True, check=True
        )
        return json.loads(listing.stdout)

    runs = wait_until(recorded_runs, STARTUP_TIMEOUT, "the first scheduled run")
    assert [(run["connection"], run["status"]) for run in runs] == [("acme-sf", "failed")]
    assert "SANDBOX_TOKEN" in runs[0]["warnings"][0]
    code, err = stop(process)
    assert code == 0, err


def closed_runs(database: Path) -> list[dict]:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with Session(engine) as session:
            rows = session.exec(select(SyncRun).where(SyncRun.ended_at.is_not(None))).all()
            return [{"status": row.status, "warnings": row.warnings, "counts": row.counts} for row in rows]
    finally:
        engine.dispose()


def test_sigterm_during_a_sync_lets_it_checkpoint_then_exits_zero(serving, tmp_path):
    gate = tmp_path / "gate"
    gate.mkdir()
    settings = {"gate_dir": str(gate), "pages": 5, "open_pages": 2}
    process, _port, _config = serving(
        [{"name": "gated", "crm": "salesforce", "schedule": {"interval_minutes": 60}, "settings": settings}],
        "--adapter-factory",
        "tests.service.fakes:build_file_gated_adapter",
        model=str(REPO / "mappings" / "scoring.yaml"),
    )
    database = tmp_path / "store.db"
    ended_early = wait_until(
        lambda: (gate / "served").exists() or closed_runs(database), STARTUP_TIMEOUT, "the sync to reach its gate"
    )
    assert ended_early is True, f"the run ended before the stop: {ended_early}"
    process.send_signal(signal.SIGTERM)
    (gate / "open").touch()
    _out, err = process.communicate(timeout=EXIT_TIMEOUT)
    assert process.returncode == 0, err
    [run] = closed_runs(database)
    assert run["status"] == "stopped"
    assert run["counts"]["pulled_contacts"] == 2
