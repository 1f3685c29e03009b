"""/healthz, /readyz and /metrics of a live HealthServer over a real store."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from connector.errors import ConfigError
from connector.health import HealthServer
from connector.store import make_engine, session_scope
from connector.store.tables import Contact, TaskOutbox, WriteLedger
from tests.conftest import NOW
from tests.service.conftest import add_run

CONNECTIONS = {"acme-sf": "salesforce", "acme-hs": "hubspot"}
HOUR = timedelta(hours=1)


def serve(engine, *, now=NOW, max_failing_seconds=3600) -> HealthServer:
    server = HealthServer(
        engine, CONNECTIONS, host="127.0.0.1", port=0, max_failing_seconds=max_failing_seconds, clock=lambda: now
    )
    server.start()
    return server


def get(server: HealthServer, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def running(engine):
    servers = []

    def start(**options) -> HealthServer:
        servers.append(serve(engine, **options))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def test_liveness_answers_while_the_process_is_up(running):
    status, body = get(running(), "/healthz")
    assert (status, json.loads(body)) == (200, {"alive": True})


def test_unknown_path_is_not_found(running):
    assert get(running(), "/favicon.ico")[0] == 404


def test_ready_when_the_store_answers_and_no_connection_ran_yet(running):
    status, body = get(running(), "/readyz")
    assert status == 200
    assert json.loads(body)["ready"] is True


def test_ready_while_failures_are_younger_than_the_threshold(engine, running):
    add_run(engine, "acme-sf", "succeeded", NOW - 2 * HOUR, NOW - 2 * HOUR + timedelta(minutes=3))
    add_run(engine, "acme-sf", "failed", NOW - 30 * 60 * timedelta(seconds=1), NOW - timedelta(minutes=29))
    status, body = get(running(max_failing_seconds=3 * 3600), "/readyz")
    assert status == 200
    assert json.loads(body)["connections"]["acme-sf"]["last_status"] == "failed"


def test_not_ready_once_the_last_success_is_older_than_the_threshold(engine, running):
    add_run(engine, "acme-sf", "succeeded", NOW - 3 * HOUR, NOW - 3 * HOUR + timedelta(minutes=3))
    add_run(engine, "acme-sf", "failed", NOW - 2 * HOUR, NOW - 2 * HOUR + timedelta(minutes=1))
    add_run(engine, "acme-sf", "failed", NOW - HOUR, NOW - HOUR + timedelta(minutes=1))
    status, body = get(running(max_failing_seconds=3600), "/readyz")
    answer = json.loads(body)
    assert status == 503
    assert answer["ready"] is False
    assert "acme-sf" in answer["reasons"][0]
    assert answer["connections"]["acme-sf"]["failing_for_seconds"] == pytest.approx(3 * 3600 - 180)


def test_a_connection_that_never_succeeded_fails_from_its_first_failed_run(engine, running):
    add_run(engine, "acme-hs", "failed", NOW - 2 * HOUR, NOW - 2 * HOUR + timedelta(seconds=5))
    add_run(engine, "acme-hs", "failed", NOW - HOUR, NOW - HOUR + timedelta(seconds=5))
    status, body = get(running(max_failing_seconds=5400), "/readyz")
    assert status == 503
    assert json.loads(body)["connections"]["acme-hs"]["failing_for_seconds"] == 2 * 3600


def test_a_success_after_failures_makes_it_ready_again(engine, running):
    add_run(engine, "acme-sf", "failed", NOW - 5 * HOUR, NOW - 5 * HOUR + timedelta(minutes=1))
    add_run(engine, "acme-sf", "succeeded", NOW - HOUR, NOW - HOUR + timedelta(minutes=1))
    assert get(running(max_failing_seconds=60), "/readyz")[0] == 200


def test_not_ready_while_shutting_down(running):
    server = running()
    server.mark_stopping()
    status, body = get(server, "/readyz")
    assert (status, json.loads(body)["reasons"]) == (503, ["shutting down"])


def test_not_ready_and_store_down_when_the_store_is_unreachable(tmp_path):
    unreachable = make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'store.db'}")
    server = serve(unreachable)
    try:
        status, body = get(server, "/readyz")
        metrics = parsed_metrics(get(server, "/metrics")[1])
    finally:
        server.stop()
    assert status == 503
    assert json.loads(body)["reasons"][0].startswith("store unreachable")
    assert metrics[("scorebridge_store_up", ())] == 0


def parsed_metrics(body: bytes) -> dict[tuple[str, tuple], float]:
    """Every sample as (name, sorted labels) -> value, read with prometheus_client's own parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def labels(**values) -> tuple:
    return tuple(sorted(values.items()))


def add_backlog(engine) -> None:
    with session_scope(engine) as session:
        contacts = [
            Contact(source="salesforce", instance="acme-sf", object_type="Lead", crm_id=f"L{i}") for i in range(3)
        ]
        session.add_all(contacts)
        session.flush()
        session.add(WriteLedger(connection="acme-sf", contact_id=contacts[0].id, pending_values={"fit": 80}))
        session.add(WriteLedger(connection="acme-sf", contact_id=contacts[1].id, pending_values=None))
        session.add(WriteLedger(connection="acme-sf", contact_id=contacts[2].id, pending_values={"lead": 12}))
        for key, status in (("k1", "pending"), ("k2", "sent"), ("k3", "pending")):
            session.add(
                TaskOutbox(
                    idempotency_key=key,
                    connection="acme-sf",
                    contact_id=contacts[0].id,
                    reason="MQL",
                    status=status,
                    created_at=NOW,
                )
            )


def test_metrics_report_runs_volumes_backlog_and_age_of_last_success(engine, running):
    add_run(
        engine,
        "acme-sf",
        "succeeded",
        NOW - 2 * HOUR,
        NOW - 2 * HOUR + timedelta(seconds=90),
        pulled_contacts=100,
        pulled_activities=400,
        written=40,
        write_failed=2,
        api_calls=12,
        rate_limited=1,
    )
    add_run(
        engine,
        "acme-sf",
        "failed",
        NOW - HOUR,
        NOW - HOUR + timedelta(seconds=30),
        pulled_contacts=5,
        api_calls=3,
        rate_limited=2,
    )
    add_run(engine, "acme-hs", "limit_reached", NOW - HOUR, NOW - HOUR + timedelta(seconds=60), api_calls=7)
    add_run(engine, "retired", "succeeded", NOW - HOUR, NOW - HOUR, api_calls=99)
    add_backlog(engine)

    metrics = parsed_metrics(get(running(), "/metrics")[1])

    sf, hs = {"connection": "acme-sf", "crm": "salesforce"}, {"connection": "acme-hs", "crm": "hubspot"}
    assert metrics[("scorebridge_store_up", ())] == 1
    assert metrics[("scorebridge_sync_runs_total", labels(**sf, status="succeeded"))] == 1
    assert metrics[("scorebridge_sync_runs_total", labels(**sf, status="failed"))] == 1
    assert metrics[("scorebridge_sync_runs_total", labels(**hs, status="limit_reached"))] == 1
    assert metrics[("scorebridge_records_pulled_total", labels(**sf, stream="contacts"))] == 105
    assert metrics[("scorebridge_records_pulled_total", labels(**sf, stream="activities"))] == 400
    assert metrics[("scorebridge_records_written_total", labels(**sf, outcome="confirmed"))] == 40
    assert metrics[("scorebridge_records_written_total", labels(**sf, outcome="failed"))] == 2
    assert metrics[("scorebridge_api_calls_total", labels(**sf))] == 15
    assert metrics[("scorebridge_api_calls_total", labels(**hs))] == 7
    assert metrics[("scorebridge_api_rate_limited_total", labels(**sf))] == 3
    assert metrics[("scorebridge_writeback_backlog", labels(**sf, kind="scores"))] == 2
    assert metrics[("scorebridge_writeback_backlog", labels(**sf, kind="tasks"))] == 2
    assert metrics[("scorebridge_writeback_backlog", labels(**hs, kind="tasks"))] == 0
    assert metrics[("scorebridge_last_run_duration_seconds", labels(**sf))] == 30
    assert metrics[("scorebridge_seconds_since_last_success", labels(**sf))] == 2 * 3600 - 90
    assert metrics[("scorebridge_seconds_since_last_success", labels(**hs))] == 3600 - 60
    assert not any(dict(key[1]).get("connection") == "retired" for key in metrics)


def test_a_run_in_progress_shows_as_running(engine, running):
    add_run(engine, "acme-hs", "running", NOW - timedelta(minutes=2), None)
    metrics = parsed_metrics(get(running(), "/metrics")[1])
    assert metrics[("scorebridge_run_in_progress", labels(connection="acme-hs", crm="hubspot"))] == 1
    assert metrics[("scorebridge_run_in_progress", labels(connection="acme-sf", crm="salesforce"))] == 0


def test_a_port_in_use_is_a_config_error_naming_the_key(engine):
    first = serve(engine)
    try:
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            HealthServer(engine, CONNECTIONS, host="127.0.0.1", port=first.port, max_failing_seconds=60)
    finally:
        first.stop()


def test_a_server_never_started_stops_at_once(engine):
    HealthServer(engine, CONNECTIONS, host="127.0.0.1", port=0, max_failing_seconds=60).stop()
