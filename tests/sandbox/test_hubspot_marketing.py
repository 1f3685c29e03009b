"""Marketing activity in the HubSpot sandbox: legacy email events, forms and submissions, web events."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from adapters.sandbox.hubspot.marketing import EmailEvent, Form, FormSubmission, WebEvent
from adapters.sandbox.hubspot.wire import epoch_ms
from tests.sandbox.hubspot_support import START, client_for

T0 = epoch_ms(START)


@pytest.fixture
def marketing(hubspot_sandbox):
    store = hubspot_sandbox.app.portal.marketing
    for i, kind in enumerate(["OPEN", "CLICK", "OPEN", "BOUNCE", "STATUSCHANGE"]):
        store.add_email_event(EmailEvent(f"e{i}", kind, f"p{i % 2}@example.com", T0 + i * 1000, 1_000_001))
    store.add_form(Form("form-1", "Demo Request", START - timedelta(days=30)))
    for i in range(3):
        store.add_submission(
            FormSubmission(f"c{i}", "form-1", T0 + i, (("email", f"p{i}@example.com"),), "https://x/demo")
        )
    for i in range(4):
        store.add_web_event(
            WebEvent(
                f"w{i}", "e_visited_page", "contact", str(1001 + i % 2), T0 + i * 1000, {"hs_url": f"https://x/{i}"}
            )
        )
    return store


def _get(sandbox, path: str, **params) -> dict:
    response = requests.get(
        sandbox.base_url + path, params=params, headers={"Authorization": f"Bearer {sandbox.token}"}, timeout=5
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_email_events_page_with_offset_and_has_more_through_api_request(hubspot_sandbox, marketing):
    client = client_for(hubspot_sandbox)
    first = client.api_request({"path": "/email/public/v1/events", "qs": {"limit": 3, "startTimestamp": T0}}).json()
    assert first["hasMore"] is True
    second = client.api_request(
        {"path": "/email/public/v1/events", "qs": {"limit": 3, "startTimestamp": T0, "offset": first["offset"]}}
    ).json()
    assert second["hasMore"] is False and "offset" not in second
    events = first["events"] + second["events"]
    assert [e["id"] for e in events] == ["e4", "e3", "e2", "e1", "e0"]  # newest first
    assert {"recipient", "created", "emailCampaignId", "type", "portalId"} <= set(events[0])


def test_email_events_filter_by_type_and_inclusive_time_range(hubspot_sandbox, marketing):
    opens = _get(hubspot_sandbox, "/email/public/v1/events", eventType="OPEN", limit=10)
    assert [e["id"] for e in opens["events"]] == ["e2", "e0"]
    window = _get(hubspot_sandbox, "/email/public/v1/events", startTimestamp=T0 + 1000, endTimestamp=T0 + 2000)
    assert [e["id"] for e in window["events"]] == ["e2", "e1"]


def test_forms_list_and_submissions_newest_first_with_after_paging(hubspot_sandbox, marketing):
    forms = _get(hubspot_sandbox, "/marketing/v3/forms/")
    assert [f["id"] for f in forms["results"]] == ["form-1"]
    page = _get(hubspot_sandbox, "/form-integrations/v1/submissions/forms/form-1", limit=2)
    assert [s["conversionId"] for s in page["results"]] == ["c2", "c1"]
    rest = _get(
        hubspot_sandbox,
        "/form-integrations/v1/submissions/forms/form-1",
        limit=2,
        after=page["paging"]["next"]["after"],
    )
    assert [s["conversionId"] for s in rest["results"]] == ["c0"] and "paging" not in rest
    assert rest["results"][0]["values"] == [{"name": "email", "value": "p0@example.com", "objectTypeId": "0-1"}]


def test_web_events_for_one_contact_in_a_time_window(hubspot_sandbox, marketing):
    events = _get(
        hubspot_sandbox, "/events/v3/events/", objectType="contact", objectId="1001", eventType="e_visited_page",
        occurredAfter="2026-11-02T08:00:00Z", limit=10,
    )  # fmt: skip
    assert [e["id"] for e in events["results"]] == ["w2", "w0"]
    assert events["results"][0]["properties"]["hs_url"] == "https://x/2"
    ascending = _get(hubspot_sandbox, "/events/v3/events", objectType="contact", sort="occurredAt", limit=1)
    assert ascending["results"][0]["id"] == "w0" and ascending["paging"]["next"]["after"] == "1"


def test_marketing_endpoints_require_a_token(hubspot_sandbox, marketing):
    assert requests.get(hubspot_sandbox.base_url + "/email/public/v1/events", timeout=5).status_code == 401
