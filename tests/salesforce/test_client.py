"""Resilience of every call: retries with backoff and Retry-After, call counting, daily limit, expired sessions."""

import re

import pytest
import requests

from adapters.salesforce.adapter import SalesforceAdapter
from connector.errors import AuthError, ConfigError, LimitReachedError
from tests.salesforce.conftest import (
    API,
    INSTANCE,
    LOGIN,
    SESSION_TOKEN,
    limit_header,
    query_page,
    session_settings,
    small_mapping,
)

QUERY = re.compile(re.escape(API) + r"/query/")
EMPTY = query_page([])


def _find(adapter):
    return adapter.find_tasks(["k1"])


def test_a_burst_of_503_is_retried_honouring_retry_after(org, adapter, sleep):
    org.add(
        "GET",
        QUERY,
        status=503,
        json=[{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}],
        headers={"Retry-After": "7"},
    )
    org.add("GET", QUERY, status=503, json=[{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}])
    org.add("GET", QUERY, json=EMPTY)
    assert _find(adapter) == {}
    assert sleep.waits[0] == 7
    assert 0 <= sleep.waits[1] <= 30
    assert adapter.usage().calls == 3


def test_429s_are_retried_and_counted_as_rate_limited(org, adapter, sleep):
    org.add("GET", QUERY, status=429, json=[{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}])
    org.add("GET", QUERY, json=EMPTY)
    _find(adapter)
    assert adapter.usage().rate_limited == 1 and len(sleep.waits) == 1


def test_connection_resets_are_retried(org, adapter, sleep):
    org.add("GET", QUERY, body=requests.exceptions.ConnectionError("Connection reset by peer"))
    org.add("GET", QUERY, body=requests.exceptions.ChunkedEncodingError("IncompleteRead"))
    org.add("GET", QUERY, json=EMPTY)
    assert _find(adapter) == {}
    assert len(sleep.waits) == 2


def test_a_truncated_json_body_is_retried(org, adapter, sleep):
    org.add("GET", QUERY, body='{"totalSize": 0, "do', content_type="application/json")
    org.add("GET", QUERY, json=EMPTY)
    assert _find(adapter) == {}


def test_retries_stop_after_the_configured_attempts(org, adapter, sleep):
    org.add("GET", QUERY, status=500, json=[{"errorCode": "UNKNOWN_EXCEPTION", "message": "boom"}])
    with pytest.raises(Exception, match="HTTP 500"):
        _find(adapter)
    assert len(sleep.waits) == 4  # 5 attempts


def test_daily_usage_is_read_from_sforce_limit_info(org, adapter):
    org.add(
        "GET",
        QUERY,
        json=EMPTY,
        headers={"Sforce-Limit-Info": "api-usage=120/15000; per-app-api-usage=3/250(appName=sb)"},
    )
    _find(adapter)
    usage = adapter.usage()
    assert (usage.calls, usage.daily_used, usage.daily_limit) == (1, 120, 15000)


def test_no_new_call_is_made_once_the_configured_share_of_the_daily_limit_is_used(org, adapter):
    org.add("GET", QUERY, json=EMPTY, headers=limit_header(12_000, 15_000))
    _find(adapter)
    with pytest.raises(LimitReachedError, match="12000/15000"):
        _find(adapter)
    assert adapter.usage().calls == 1


def test_request_limit_exceeded_stops_without_retrying(org, adapter, sleep):
    org.add(
        "GET",
        QUERY,
        status=403,
        json=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    )
    with pytest.raises(LimitReachedError):
        _find(adapter)
    assert sleep.waits == []


def _password_adapter(sleep):
    settings = session_settings(
        auth="password",
        instance_url=None,
        session_id=None,
        username="integration@acme.com",
        consumer_key="3MVG9key",
        consumer_secret={"env": "SF_CLIENT_SECRET"},
        password={"env": "SF_PASSWORD"},
    )
    environ = {"SF_CLIENT_SECRET": "client-secret-1", "SF_PASSWORD": "pa55word"}
    return SalesforceAdapter(settings, small_mapping(), sleep=sleep, environ=environ)


def _token(org, token):
    org.add("POST", f"{LOGIN}/services/oauth2/token", json={"access_token": token, "instance_url": INSTANCE})


EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_an_expired_session_is_renewed_once_and_the_call_carries_on(org, sleep):
    adapter = _password_adapter(sleep)
    _token(org, "first-token")
    org.add("GET", QUERY, status=401, json=EXPIRED)
    _token(org, "second-token")
    org.add("GET", QUERY, json=EMPTY)
    assert _find(adapter) == {}
    bearers = [c.request.headers.get("Authorization") for c in org.calls if "/query/" in c.request.url]
    assert bearers == ["Bearer first-token", "Bearer second-token"]
    assert adapter.usage().calls == 2  # both queries count; logins are not API calls in Salesforce's accounting


def test_a_session_refused_right_after_renewal_is_an_auth_error(org, sleep):
    adapter = _password_adapter(sleep)
    _token(org, "first-token")
    org.add("GET", QUERY, status=401, json=EXPIRED)
    _token(org, "second-token")
    org.add("GET", QUERY, status=401, json=EXPIRED)
    with pytest.raises(AuthError, match="freshly issued"):
        _find(adapter)


def test_an_expired_handed_in_session_cannot_be_renewed(org, adapter):
    org.add("GET", QUERY, status=401, json=EXPIRED)
    with pytest.raises(AuthError, match="cannot renew"):
        _find(adapter)


def test_an_untrusted_certificate_is_a_configuration_problem_not_retried(org, adapter, sleep):
    org.add("GET", QUERY, body=requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"))
    with pytest.raises(ConfigError, match="ca_bundle"):
        _find(adapter)
    assert sleep.waits == []


def test_a_ca_bundle_replaces_the_environment_trust_store(tmp_path, sleep):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")  # a bundle that does not exist is refused when the client is built
    adapter = SalesforceAdapter(
        session_settings(ca_bundle=bundle), small_mapping(), sleep=sleep, environ={"SF_SESSION": SESSION_TOKEN}
    )
    assert adapter.client.http.trust_env is False and adapter.client.http.verify == str(bundle)
