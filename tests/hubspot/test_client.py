"""The one door to HubSpot: faults retried and counted, tokens refreshed, secrets kept out of logs and errors."""

from __future__ import annotations

import logging

import pytest

from adapters.hubspot.errors import HubSpotAuthError, HubSpotFatalError, HubSpotLimitError
from adapters.sandbox.http import Fault, Response, Route, SandboxServer
from adapters.sandbox.hubspot import RateLimits
from connector.crm import ScoreWrite
from connector.errors import LimitReachedError
from tests.hubspot.conftest import add_contact, route_calls


def contacts_of(adapter) -> list[str]:
    return [record.crm_id for page in adapter.pull_contacts(None) for record in page.records]


def test_a_burst_of_429s_is_waited_out_ten_seconds_times_the_attempt_and_counted(sandbox, adapter, fake_time):
    crm_id = add_contact(sandbox, "ann@example.com")
    sandbox.server.faults.add(Fault(kind="rate_limit", count=2, route="hubspot.objects.list"))
    assert contacts_of(adapter) == [crm_id]
    usage = adapter.usage()
    assert usage.rate_limited == 2
    assert [wait for wait in fake_time.sleeps if wait >= 10] == [10.0, 20.0]


def test_server_errors_resets_and_truncated_bodies_are_retried_until_the_page_is_read(sandbox, adapter):
    crm_id = add_contact(sandbox, "ann@example.com")
    for kind in ("status", "reset", "truncate"):
        sandbox.server.faults.add(Fault(kind=kind, count=1, status=503, route="hubspot.objects.list"))
    assert contacts_of(adapter) == [crm_id]
    assert route_calls(sandbox, "hubspot.objects.list") == 2 + 3  # active and archived pages, plus three failures


def test_every_request_is_counted_once(sandbox, adapter):
    add_contact(sandbox, "ann@example.com")
    contacts_of(adapter)
    assert adapter.usage().calls == sandbox.server.stats.snapshot()["total"] == 2


def test_an_expired_oauth_token_is_refreshed_and_the_pull_carries_on(sandbox, make_adapter, fake_time):
    crm_id = add_contact(sandbox, "ann@example.com")
    # one request at a time: no page is read ahead, so the expiry falls between the first page and the next
    # (with a read-ahead the next page could be in before the fault, and no refresh be needed)
    adapter = make_adapter(sandbox, oauth=True, concurrent_requests=1)
    pages = adapter.pull_contacts(None)
    first = next(pages)
    sandbox.app.apply_fault(Fault(kind="expire_sessions"))
    rest = [record.crm_id for page in pages for record in page.records]
    assert [r.crm_id for r in first.records] + rest == [crm_id]
    assert route_calls(sandbox, "hubspot.oauth.token") == 2  # the first token, then the refresh after the 401


def test_a_refused_private_app_token_is_an_auth_error_that_names_the_setting(sandbox, adapter):
    sandbox.app.apply_fault(Fault(kind="revoke_tokens"))
    with pytest.raises(HubSpotAuthError, match=r"settings\.access_token") as raised:
        contacts_of(adapter)
    assert raised.value.status == 401


def test_the_daily_limit_is_a_limit_reached_error_not_a_retry(sandbox, adapter, fake_time):
    sandbox.app.apply_fault(Fault(kind="daily_limit"))
    with pytest.raises(HubSpotLimitError):
        contacts_of(adapter)
    assert adapter.usage().calls == 1 and fake_time.sleeps == []


def test_the_configured_daily_share_stops_the_run_before_the_portal_does(start_sandbox, make_adapter):
    sandbox = start_sandbox(RateLimits(daily=10))
    adapter = make_adapter(sandbox, daily_share=0.2)
    crm_id = add_contact(sandbox, "ann@example.com")
    contacts_of(adapter)  # two calls; the headers now say how much of the 10 is used
    with pytest.raises(LimitReachedError, match="daily_share"):
        adapter.write_scores([ScoreWrite("contact", crm_id, {"fit": 1.0})])
    assert sandbox.server.stats.snapshot()["total"] == 2
    assert adapter.usage().daily_limit == 10


def test_secrets_never_reach_logs_or_error_messages(sandbox, make_adapter, caplog):
    caplog.set_level(logging.DEBUG)
    add_contact(sandbox, "ann@example.com")
    adapter = make_adapter(sandbox, oauth=True)
    contacts_of(adapter)
    for name in ("hubspot", "hubspot.oauth", "hubspot.oauth.rest", "urllib3"):  # an operator turning everything up
        logging.getLogger(name).setLevel(logging.DEBUG)
    sandbox.app.apply_fault(Fault(kind="expire_sessions"))
    contacts_of(adapter)  # refreshed with every logger at DEBUG
    sandbox.server.faults.add(Fault(kind="status", status=400, count=1, route="hubspot.objects.list"))
    with pytest.raises(HubSpotFatalError) as raised:
        contacts_of(adapter)
    assert route_calls(sandbox, "hubspot.oauth.token") == 2
    text = caplog.text + str(raised.value) + repr(adapter.settings) + repr(adapter.client.tokens.oauth)
    secrets = [sandbox.oauth.client_secret, sandbox.oauth.refresh_token, "sandbox-oauth-"]
    assert [secret for secret in secrets if secret in text] == []


class _WrongStatusApp:
    """Answers a task create with 200 where HubSpot (and the client) expect 201."""

    name = "wrong-status"

    def routes(self):
        body = {"id": "1", "properties": {}, "createdAt": "2026-11-01T12:00:00Z", "updatedAt": "2026-11-01T12:00:00Z"}
        return [Route("POST", r"/crm/v3/objects/tasks/?", lambda request: Response.json(200, body), "create")]

    def error_response(self, status, kind):
        return Response.json(status, {"message": kind})

    def apply_fault(self, fault):
        pass


def test_an_unexpected_2xx_that_the_client_turns_into_none_is_an_error(make_adapter, sandbox):
    server = SandboxServer(_WrongStatusApp(), admin_token="x").start()
    try:
        adapter = make_adapter(sandbox, host=server.base_url)
        api = adapter.client.sdk.crm.objects.basic_api
        with pytest.raises(HubSpotFatalError, match="HTTP 200 is not a status the client expects"):
            adapter.client.call("create task", api.create, "tasks", {"properties": {}})
    finally:
        server.stop()
