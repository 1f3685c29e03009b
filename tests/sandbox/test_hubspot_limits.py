"""HubSpot's rate limits in the sandbox: burst, search per second and daily, with HubSpot's 429 shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hubspot.crm.contacts import ApiException, PublicObjectSearchRequest

from adapters.sandbox.hubspot.limits import RateLimiter, RateLimits
from tests.sandbox.hubspot_support import FakeClock, client_for, error_body


def test_rolling_window_frees_a_slot_ten_seconds_after_each_request():
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(per_ten_seconds=2), clock)
    assert limiter.admit("t", search=False, oauth=False).allowed
    clock.advance(4)
    assert limiter.admit("t", search=False, oauth=False).allowed
    assert limiter.admit("t", search=False, oauth=False).policy == "TEN_SECONDLY_ROLLING"
    clock.advance(6)  # the first request is now ten seconds old
    assert limiter.admit("t", search=False, oauth=False).allowed
    assert limiter.admit("t", search=False, oauth=False).policy == "TEN_SECONDLY_ROLLING"


def test_each_token_has_its_own_burst_window():
    limiter = RateLimiter(RateLimits(per_ten_seconds=1), FakeClock())
    assert limiter.admit("a", search=False, oauth=False).allowed
    assert limiter.admit("b", search=False, oauth=False).allowed
    assert not limiter.admit("a", search=False, oauth=False).allowed


def test_daily_allocation_resets_at_midnight():
    clock = FakeClock(datetime(2026, 11, 2, 23, 59, 59, tzinfo=UTC))
    limiter = RateLimiter(RateLimits(daily=1), clock)
    assert limiter.admit("t", search=False, oauth=False).allowed
    assert limiter.admit("t", search=False, oauth=False).policy == "DAILY"
    clock.advance(1)
    assert limiter.admit("t", search=False, oauth=False).allowed


def test_disabled_limits_count_nothing_and_send_no_headers():
    limiter = RateLimiter(RateLimits(per_ten_seconds=1, enabled=False), FakeClock())
    verdicts = [limiter.admit("t", search=False, oauth=False) for _ in range(5)]
    assert all(v.allowed and not v.headers for v in verdicts)


def test_headers_count_down_and_oauth_calls_get_no_daily_headers():
    limiter = RateLimiter(RateLimits(per_ten_seconds=10, daily=100), FakeClock())
    private = limiter.admit("t", search=False, oauth=False).headers
    assert private["X-HubSpot-RateLimit-Max"] == "10"
    assert private["X-HubSpot-RateLimit-Remaining"] == "9"
    assert private["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert private["X-HubSpot-RateLimit-Daily"] == "100"
    assert private["X-HubSpot-RateLimit-Daily-Remaining"] == "99"
    oauth = limiter.admit("o", search=False, oauth=True).headers
    assert "X-HubSpot-RateLimit-Daily" not in oauth and oauth["X-HubSpot-RateLimit-Remaining"] == "9"


def test_client_sees_429_with_policy_and_headers_past_the_burst(limited_hubspot_sandbox, hubspot_clock):
    api = client_for(limited_hubspot_sandbox).crm.contacts.basic_api
    for _ in range(5):
        api.get_page(limit=1)
    with pytest.raises(ApiException) as limited:
        api.get_page(limit=1)
    body = error_body(limited.value)
    assert limited.value.status == 429
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert limited.value.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert limited.value.headers["X-HubSpot-RateLimit-Max"] == "5"
    hubspot_clock.advance(10)
    assert api.get_page(limit=1).results == []


def test_search_has_its_own_per_second_limit_with_the_secondly_message(limited_hubspot_sandbox, hubspot_clock):
    search = client_for(limited_hubspot_sandbox).crm.contacts.search_api
    for _ in range(2):
        search.do_search(PublicObjectSearchRequest(limit=1))
    with pytest.raises(ApiException) as limited:
        search.do_search(PublicObjectSearchRequest(limit=1))
    assert error_body(limited.value)["message"] == "You have reached your secondly limit."
    hubspot_clock.advance(1)
    assert search.do_search(PublicObjectSearchRequest(limit=1)).total == 0


def test_daily_limit_fault_gives_429_daily_until_cleared(limited_hubspot_sandbox):
    import requests

    admin = {"Authorization": f"Bearer {limited_hubspot_sandbox.admin_token}"}
    requests.post(
        f"{limited_hubspot_sandbox.base_url}/__admin/faults", json={"kind": "daily_limit"}, headers=admin, timeout=5
    )
    api = client_for(limited_hubspot_sandbox).crm.contacts.basic_api
    with pytest.raises(ApiException) as limited:
        api.get_page()
    body = error_body(limited.value)
    assert (limited.value.status, body["policyName"], body["message"]) == (
        429,
        "DAILY",
        "You have reached your daily limit.",
    )
    assert limited.value.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
    requests.delete(f"{limited_hubspot_sandbox.base_url}/__admin/faults", headers=admin, timeout=5)
    assert api.get_page().results == []


def test_daily_limit_is_reached_by_counting_requests(limited_hubspot_sandbox, hubspot_clock):
    api = client_for(limited_hubspot_sandbox).crm.contacts.basic_api
    for _ in range(4):
        for _ in range(5):
            api.get_page(limit=1)
        hubspot_clock.advance(10)
    with pytest.raises(ApiException) as limited:
        api.get_page(limit=1)
    assert error_body(limited.value)["policyName"] == "DAILY"
