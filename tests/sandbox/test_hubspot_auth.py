"""Who may call the HubSpot sandbox: private-app tokens, OAuth refresh, expiry, revocation."""

from __future__ import annotations

import pytest
import requests
from hubspot.crm.contacts import ApiException
from hubspot.crm.contacts.exceptions import UnauthorizedException

from adapters.sandbox.http import Fault
from tests.sandbox.hubspot_support import client_for, error_body


def _refresh(sandbox, **overrides) -> requests.Response:
    oauth = sandbox.oauth
    form = {"grant_type": "refresh_token", "client_id": oauth.client_id, "client_secret": oauth.client_secret}
    form |= {"refresh_token": oauth.refresh_token} | overrides
    return requests.post(f"{sandbox.base_url}/oauth/v1/token", data=form, timeout=5)


def test_requests_without_a_token_get_hubspots_401(hubspot_sandbox):
    response = requests.get(f"{hubspot_sandbox.base_url}/crm/v3/objects/contacts", timeout=5)
    body = response.json()
    assert response.status_code == 401
    assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION" and body["correlationId"]


def test_an_unknown_token_is_refused_through_the_client(hubspot_sandbox):
    with pytest.raises(UnauthorizedException) as refused:
        client_for(hubspot_sandbox, token="not-a-token").crm.contacts.basic_api.get_page()
    assert error_body(refused.value)["category"] == "INVALID_AUTHENTICATION"


def test_oauth_refresh_issues_a_token_that_expires_after_its_lifetime(hubspot_sandbox, hubspot_clock):
    issued = _refresh(hubspot_sandbox).json()
    assert issued["token_type"] == "bearer" and issued["expires_in"] == 1800
    api = client_for(hubspot_sandbox, token=issued["access_token"]).crm.contacts.basic_api
    assert api.get_page().results == []
    hubspot_clock.advance(1800)
    with pytest.raises(ApiException) as expired:
        api.get_page()
    assert expired.value.status == 401
    assert error_body(expired.value)["category"] == "EXPIRED_AUTHENTICATION"


def test_the_client_library_can_refresh_through_its_oauth_api(hubspot_sandbox):
    client = client_for(hubspot_sandbox)
    tokens = client.oauth.tokens_api.create(
        grant_type="refresh_token",
        client_id=hubspot_sandbox.oauth.client_id,
        client_secret=hubspot_sandbox.oauth.client_secret,
        refresh_token=hubspot_sandbox.oauth.refresh_token,
    )
    assert tokens.access_token.startswith("sandbox-oauth-")


def test_a_wrong_refresh_token_is_a_400_bad_refresh_token(hubspot_sandbox):
    response = _refresh(hubspot_sandbox, refresh_token="stolen")
    assert response.status_code == 400 and response.json()["status"] == "BAD_REFRESH_TOKEN"


def test_expire_sessions_fault_expires_oauth_tokens_but_not_private_app_tokens(hubspot_sandbox):
    token = _refresh(hubspot_sandbox).json()["access_token"]
    hubspot_sandbox.app.apply_fault(Fault(kind="expire_sessions"))
    with pytest.raises(ApiException) as expired:
        client_for(hubspot_sandbox, token=token).crm.contacts.basic_api.get_page()
    assert expired.value.status == 401
    assert client_for(hubspot_sandbox).crm.contacts.basic_api.get_page().results == []
    fresh = _refresh(hubspot_sandbox).json()["access_token"]
    assert client_for(hubspot_sandbox, token=fresh).crm.contacts.basic_api.get_page().results == []


def test_revoked_private_app_tokens_are_refused_until_cleared(hubspot_sandbox):
    hubspot_sandbox.app.apply_fault(Fault(kind="revoke_tokens"))
    with pytest.raises(ApiException) as revoked:
        client_for(hubspot_sandbox).crm.contacts.basic_api.get_page()
    assert revoked.value.status == 401
    hubspot_sandbox.app.apply_fault(Fault(kind="clear"))
    assert client_for(hubspot_sandbox).crm.contacts.basic_api.get_page().results == []
