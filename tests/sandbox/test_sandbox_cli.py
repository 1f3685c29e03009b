"""`scorebridge sandbox serve | fault | stats`: what a user types, what they get back, and the state kept on exit."""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from adapters.sandbox.admin import parse_fault_spec
from adapters.sandbox.cli import sandbox_app
from adapters.sandbox.http import Fault
from adapters.sandbox.launch import RunningSandbox, ServeOptions, start_sandbox
from adapters.sandbox.tls import trusting_session
from connector.errors import InputError

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
LEADS = "/services/data/v59.0/query/?q=SELECT+Id,LastName+FROM+Lead+ORDER+BY+Id+LIMIT+5"
CONTACTS = "/crm/v3/objects/contacts?limit=5"

# -- arguments ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["serve"], "--crm"),
        (["serve", "--crm", "oracle"], "oracle"),
        (["serve", "--crm", "hubspot", "--port", "70000"], "--port"),
        (["serve", "--crm", "hubspot", "--generate", "-5"], "--generate"),
        (["stats", "--token", "t"], "--url"),
    ],
)
def test_bad_arguments_are_usage_errors(args, complaint):
    result = CliRunner().invoke(sandbox_app, args)
    assert result.exit_code == 2
    assert complaint in result.output


def test_fault_command_needs_a_fault_or_clear():
    result = CliRunner().invoke(sandbox_app, ["fault", "--url", "http://127.0.0.1:9", "--token", "t"])
    assert isinstance(result.exception, InputError)
    assert "--clear" in str(result.exception)


def test_fault_command_against_https_needs_the_ca_file():
    result = CliRunner().invoke(sandbox_app, ["fault", "--url", "https://127.0.0.1:9", "--token", "t", "status"])
    assert isinstance(result.exception, InputError)
    assert "--ca-file" in str(result.exception)


def test_fault_spec_reads_kind_and_typed_settings():
    assert parse_fault_spec("rate_limit") == Fault(kind="rate_limit")
    assert parse_fault_spec("slow:delay=2.5,count=-1,route=hubspot.search") == Fault(
        kind="slow", delay=2.5, count=-1, route="hubspot.search"
    )
    assert parse_fault_spec("reject_share:share=0.25, count=3") == Fault(kind="reject_share", share=0.25, count=3)


@pytest.mark.parametrize("spec", ["", ":count=1", "status:code=500", "status:count=many", "status:count"])
def test_bad_fault_specs_are_refused_with_the_spec_quoted(spec):
    with pytest.raises(InputError, match="fault"):
        parse_fault_spec(spec)


# -- in process: options map onto the stand-ins -------------------------------------------------------------------


@pytest.fixture
def started(tmp_path) -> Iterator[list[RunningSandbox]]:
    running: list[RunningSandbox] = []
    yield running
    for each in running:
        each.stop(None)


def _start(started, tmp_path, crm: str, **options) -> RunningSandbox:
    running = start_sandbox(ServeOptions(crm=crm, workdir=tmp_path / "tls", token="t0k3n", **options))
    started.append(running)
    return running


def _hubspot_get(running: RunningSandbox, path: str = CONTACTS, token: str = "t0k3n") -> requests.Response:
    return requests.get(running.info["base_url"] + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _salesforce_get(running: RunningSandbox, path: str = LEADS) -> requests.Response:
    session = trusting_session(running.info["ca_file"])
    headers = {"Authorization": f"Bearer {running.info['session_id']}"}
    return session.get(running.info["instance_url"] + path, headers=headers, timeout=10)


def test_hubspot_sandbox_serves_generated_contacts_to_its_token_only(started, tmp_path):
    running = _start(started, tmp_path, "hubspot", generate=30, seed=5)
    assert running.info["data"].startswith("generated 30 people")
    assert len(_hubspot_get(running).json()["results"]) == 5
    assert _hubspot_get(running, token="wrong").status_code == 401


def test_hubspot_rate_limit_option_sets_the_ten_second_allowance(started, tmp_path):
    running = _start(started, tmp_path, "hubspot", rate_limit=2)
    statuses = [_hubspot_get(running).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_no_rate_limit_serves_past_the_default_allowance(started, tmp_path):
    running = _start(started, tmp_path, "hubspot", rate_limit=None)
    assert all(_hubspot_get(running).status_code == 200 for _ in range(110))


def test_faults_given_at_start_fire_on_the_first_requests(started, tmp_path):
    running = _start(started, tmp_path, "hubspot", faults=(Fault(kind="status", status=503, count=1),))
    assert [_hubspot_get(running).status_code for _ in range(2)] == [503, 200]


def test_a_fault_kind_the_crm_does_not_know_is_refused_at_start(tmp_path):
    with pytest.raises(InputError, match="revoke_tokens"):
        start_sandbox(ServeOptions(crm="salesforce", workdir=tmp_path, faults=(Fault(kind="revoke_tokens"),)))


def test_salesforce_sandbox_serves_https_with_its_ca_and_a_session(started, tmp_path):
    running = _start(started, tmp_path, "salesforce", generate=20, seed=5)
    response = _salesforce_get(running)
    assert response.status_code == 200
    assert response.json()["totalSize"] == 5
    assert running.info["instance_url"].startswith("https://127.0.0.1:")


def test_salesforce_daily_limit_option_caps_requests(started, tmp_path):
    running = _start(started, tmp_path, "salesforce", daily_limit=2)
    responses = [_salesforce_get(running) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 403]
    assert responses[-1].json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert responses[1].headers["Sforce-Limit-Info"] == "api-usage=2/2"


def test_load_option_fills_each_crm_from_records_in_its_own_field_names(started, tmp_path):
    salesforce_file = tmp_path / "org.json"
    salesforce_file.write_text(json.dumps({"Lead": [{"LastName": "Ng", "Company": "Acme"}]}))
    hubspot_file = tmp_path / "portal.json"
    hubspot_file.write_text(json.dumps({"contacts": [{"properties": {"email": "ng@acme.example"}}]}))
    salesforce = _start(started, tmp_path, "salesforce", load=salesforce_file)
    hubspot = _start(started, tmp_path, "hubspot", load=hubspot_file)
    assert [lead["LastName"] for lead in _salesforce_get(salesforce).json()["records"]] == ["Ng"]
    contacts = _hubspot_get(hubspot, CONTACTS + "&properties=email").json()["results"]
    assert [contact["properties"]["email"] for contact in contacts] == ["ng@acme.example"]


def test_a_load_file_that_is_not_json_is_refused_with_its_name(tmp_path):
    broken = tmp_path / "records.json"
    broken.write_text("{nope")
    with pytest.raises(InputError, match=r"--load .*records\.json"):
        start_sandbox(ServeOptions(crm="hubspot", workdir=tmp_path, load=broken))


def test_stopping_with_a_state_file_saves_what_a_restart_restores(started, tmp_path):
    state = tmp_path / "portal.json"
    first = start_sandbox(ServeOptions(crm="hubspot", workdir=tmp_path, token="t0k3n", generate=25, state=state))
    ids = [record["id"] for record in _hubspot_get(first).json()["results"]]
    first.stop(state)
    again = _start(started, tmp_path, "hubspot", state=state, generate=3)
    assert again.info["data"] == f"restored from {state}"
    assert [record["id"] for record in _hubspot_get(again).json()["results"]] == ids


# -- the real command, as a user runs it -------------------------------------------------------------------------


def _scorebridge(*args: str) -> list[str]:
    return [sys.executable, "-m", "connector.cli", *args]


def _serve(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        _scorebridge("sandbox", "serve", "--port", "0", "--json", *args),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=START_TIMEOUT)
    line = process.stdout.readline() if ready else ""
    if not line:
        process.kill()
        pytest.fail(f"`sandbox serve` printed nothing; stderr: {process.communicate(timeout=10)[1][-2000:]}")
    return process, json.loads(line)


def _terminate(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(_scorebridge("sandbox", *args), cwd=REPO, capture_output=True, text=True, timeout=60)


def test_serve_fault_stats_and_sigterm_keep_a_hubspot_portal(tmp_path):
    state = tmp_path / "portal.json.gz"
    process, info = _serve(tmp_path, "--crm", "hubspot", "--generate", "40", "--token", "t0k3n", "--state", str(state))
    try:
        assert info["access_token"] == "t0k3n" and info["host"] == info["base_url"]
        url = info["base_url"]
        headers = {"Authorization": "Bearer t0k3n"}
        assert requests.get(url + CONTACTS, headers=headers, timeout=10).status_code == 200

        injected = _run("fault", "--url", url, "--token", "t0k3n", "status:status=502,count=1")
        assert injected.returncode == 0, injected.stderr
        assert requests.get(url + CONTACTS, headers=headers, timeout=10).status_code == 502

        counted = _run("stats", "--url", url, "--token", "t0k3n")
        assert counted.returncode == 0, counted.stderr
        stats = json.loads(counted.stdout)
        assert stats["by_route"]["hubspot.objects.list"] == 2
        assert stats["by_status"]["502"] == 1
    finally:
        assert _terminate(process) == 0
    assert state.exists()

    process, info = _serve(tmp_path, "--crm", "hubspot", "--token", "t0k3n", "--state", str(state))
    try:
        assert info["data"] == f"restored from {state}"
        page = requests.get(info["base_url"] + CONTACTS, headers={"Authorization": "Bearer t0k3n"}, timeout=10)
        assert len(page.json()["results"]) == 5
    finally:
        _terminate(process)


def test_serve_prints_what_a_salesforce_client_needs_and_takes_faults_over_https(tmp_path):
    process, info = _serve(tmp_path, "--crm", "salesforce", "--generate", "10", "--token", "adm1n")
    try:
        session = trusting_session(info["ca_file"])
        headers = {"Authorization": f"Bearer {info['session_id']}"}
        assert session.get(info["instance_url"] + LEADS, headers=headers, timeout=10).status_code == 200
        token = session.post(
            info["token_url"],
            data={"grant_type": "password", "client_id": info["client_id"], "client_secret": info["client_secret"],
                  "username": info["username"], "password": info["password"]},
            timeout=10,
        )  # fmt: skip
        assert token.status_code == 200 and token.json()["instance_url"] == info["instance_url"]

        args = ("--url", info["base_url"], "--token", "adm1n", "--ca-file", info["ca_file"])
        assert _run("fault", *args, "expire_sessions").returncode == 0
        expired = session.get(info["instance_url"] + LEADS, headers=headers, timeout=10)
        assert expired.status_code == 401 and expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"
        refused = _run("fault", *args, "revoke_tokens")
        assert refused.returncode != 0 and "revoke_tokens" in refused.stderr
        assert _run("fault", *args, "--token", "wrong", "status").returncode != 0
    finally:
        assert _terminate(process) == 0
