"""Injected faults in the HubSpot sandbox: rejected batch inputs and HubSpot-shaped transport errors."""

from __future__ import annotations

import pytest
import requests
from hubspot.crm.contacts import ApiException, BatchInputSimplePublicObjectBatchInput

from tests.sandbox.hubspot_support import client_for, error_body


def _admin(sandbox, method: str, payload: dict | None = None) -> None:
    response = requests.request(method, f"{sandbox.base_url}/__admin/faults", json=payload, timeout=5,
                                headers={"Authorization": f"Bearer {sandbox.admin_token}"})  # fmt: skip
    assert response.status_code == 200


def test_reject_share_rejects_that_share_of_a_batch_with_a_207(hubspot_sandbox):
    ids = [hubspot_sandbox.app.insert("contacts", {"email": f"c{i}@example.com"}) for i in range(10)]
    _admin(hubspot_sandbox, "POST", {"kind": "reject_share", "share": 0.3, "count": 1})
    batch = client_for(hubspot_sandbox).crm.contacts.batch_api
    inputs = [{"id": i, "properties": {"jobtitle": "CEO"}} for i in ids]
    partial = batch.update(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
    assert len(partial.results) == 7 and partial.num_errors == 3
    assert all(e.context["ids"][0] in ids for e in partial.errors)
    whole = batch.update(BatchInputSimplePublicObjectBatchInput(inputs=inputs))  # count 1: the next batch is clean
    assert len(whole.results) == 10 and type(whole).__name__ == "BatchResponseSimplePublicObject"  # a 200


def test_injected_429_has_hubspots_ten_secondly_body(hubspot_sandbox):
    _admin(hubspot_sandbox, "POST", {"kind": "rate_limit", "count": 1})
    with pytest.raises(ApiException) as limited:
        client_for(hubspot_sandbox).crm.contacts.basic_api.get_page()
    assert limited.value.status == 429
    assert error_body(limited.value)["policyName"] == "TEN_SECONDLY_ROLLING"


@pytest.mark.parametrize("status", [502, 503])
def test_injected_5xx_are_hubspot_error_bodies(hubspot_sandbox, status):
    _admin(hubspot_sandbox, "POST", {"kind": "status", "status": status, "count": 1})
    with pytest.raises(ApiException) as failed:
        client_for(hubspot_sandbox).crm.contacts.basic_api.get_page()
    body = error_body(failed.value)
    assert failed.value.status == status and body["status"] == "error" and body["correlationId"]


def test_unknown_routes_are_404_object_not_found(hubspot_sandbox):
    response = requests.get(f"{hubspot_sandbox.base_url}/crm/v3/nothing-here", timeout=5)
    assert response.status_code == 404 and response.json()["category"] == "OBJECT_NOT_FOUND"


def test_request_counts_per_route_are_reported(hubspot_sandbox):
    client_for(hubspot_sandbox).crm.contacts.basic_api.get_page()
    stats = requests.get(f"{hubspot_sandbox.base_url}/__admin/stats", timeout=5,
                         headers={"Authorization": f"Bearer {hubspot_sandbox.admin_token}"}).json()  # fmt: skip
    assert stats["by_route"] == {"hubspot.objects.list": 1}
