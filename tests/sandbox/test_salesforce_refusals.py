"""What the Salesforce stand-in refuses as the real org does, driven through simple-salesforce as a user would:
converted leads, deleted records, unknown API versions, expired JWT assertions; and what its generated history
looks like (whole-second stamps, a one-second mass update, queue-owned leads)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from adapters.sandbox.population import generate_population
from adapters.sandbox.salesforce.app import SalesforceApp
from adapters.sandbox.salesforce.sessions import JWT_GRANT


def client(sandbox, version: str = "59.0") -> Salesforce:
    return Salesforce(
        instance_url=sandbox.instance_url, session_id=sandbox.token, session=sandbox.session(), version=version
    )


def lead(sandbox, **fields) -> str:
    return sandbox.app.insert("Lead", {"LastName": "Lee", "Company": "Acme", "Email": "lee@acme.io", **fields})


def test_a_converted_lead_cannot_be_updated_alone(salesforce_sandbox):
    lead_id = lead(salesforce_sandbox)
    salesforce_sandbox.app.convert_lead(lead_id)
    with pytest.raises(SalesforceMalformedRequest) as refused:
        client(salesforce_sandbox).Lead.update(lead_id, {"Title": "CTO"})
    assert refused.value.status == 400
    assert refused.value.content == [
        {"message": "cannot reference converted lead", "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD", "fields": []}
    ]


def test_a_converted_lead_fails_alone_in_a_collection_and_the_others_are_saved(salesforce_sandbox):
    converted, plain = lead(salesforce_sandbox), lead(salesforce_sandbox, Email="other@acme.io")
    salesforce_sandbox.app.convert_lead(converted)
    records = [{"attributes": {"type": "Lead"}, "id": rid, "Title": "CTO"} for rid in (converted, plain)]
    answer = client(salesforce_sandbox).restful(
        "composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records}
    )
    assert answer[0]["success"] is False
    assert answer[0]["errors"][0]["statusCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"
    assert answer[1] == {"id": plain, "success": True, "errors": []}


def test_conversion_makes_a_contact_and_marks_the_lead(salesforce_sandbox, sf_clock):
    lead_id = lead(salesforce_sandbox, Title="VP Sales")
    sf_clock.advance(minutes=5)
    contact_id = salesforce_sandbox.app.convert_lead(lead_id)
    row = client(salesforce_sandbox).query(
        f"SELECT IsConverted, ConvertedContactId, SystemModstamp FROM Lead WHERE Id = '{lead_id}'"
    )["records"][0]
    assert row["IsConverted"] is True and row["ConvertedContactId"] == contact_id
    assert row["SystemModstamp"] == "2026-11-01T12:05:00.000+0000"  # conversion moves the stamp: the next pull sees it
    assert client(salesforce_sandbox).Contact.get(contact_id)["Title"] == "VP Sales"


def test_a_deleted_record_answers_entity_is_deleted_not_not_found(salesforce_sandbox):
    lead_id = lead(salesforce_sandbox)
    sf = client(salesforce_sandbox)
    sf.Lead.delete(lead_id)
    for call in (lambda: sf.Lead.update(lead_id, {"Title": "x"}), lambda: sf.Lead.get(lead_id)):
        with pytest.raises(SalesforceResourceNotFound) as refused:
            call()
        assert refused.value.content == [
            {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
        ]
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sf.Lead.get("00Q000000000000AAA")
    assert missing.value.content[0]["errorCode"] == "NOT_FOUND"


def test_a_string_in_a_number_field_is_a_json_parser_error(salesforce_sandbox):
    with pytest.raises(SalesforceMalformedRequest) as refused:
        client(salesforce_sandbox).Lead.update(lead(salesforce_sandbox), {"NumberOfEmployees": "lots"})
    assert refused.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert "Cannot deserialize instance of int from VALUE_STRING" in refused.value.content[0]["message"]


def test_an_api_version_salesforce_does_not_serve_is_not_found(salesforce_sandbox):
    for version in ("20.0", "99.0"):
        with pytest.raises(SalesforceResourceNotFound) as refused:
            client(salesforce_sandbox, version).query("SELECT Id FROM Lead")
        assert refused.value.content == [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
    assert client(salesforce_sandbox, "68.0").query("SELECT Id FROM Lead")["totalSize"] == 0
    listing = salesforce_sandbox.session().get(f"{salesforce_sandbox.instance_url}/services/data/").json()
    assert listing[0]["version"] == "31.0" and listing[-1] == {
        "label": "Winter '27",
        "url": "/services/data/v68.0",
        "version": "68.0",
    }


def _assertion(expires: datetime) -> str:
    claims = {
        "iss": "scorebridge-sandbox-client",
        "sub": "integration@scorebridge.sandbox",
        "aud": "https://login.salesforce.com",
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, "the sandbox checks no signature" * 2, algorithm="HS256")


def test_an_expired_jwt_assertion_is_refused_by_the_org_clock(salesforce_sandbox, sf_clock):
    url = f"{salesforce_sandbox.instance_url}/services/oauth2/token"
    session = salesforce_sandbox.session()
    expired = {"error": "invalid_grant", "error_description": "expired authorization code"}
    for expires, status, body in (
        (sf_clock() - timedelta(seconds=1), 400, expired),
        (sf_clock() + timedelta(minutes=3), 200, None),
    ):
        response = session.post(url, data={"grant_type": JWT_GRANT, "assertion": _assertion(expires)})
        assert response.status_code == status
        assert body is None or response.json() == body


def test_an_expired_session_is_401_invalid_session_id(salesforce_sandbox, sf_clock):
    sf_clock.advance(minutes=31)
    response = salesforce_sandbox.session().get(
        f"{salesforce_sandbox.instance_url}/services/data/v59.0/limits/",
        headers={"Authorization": f"Bearer {salesforce_sandbox.token}"},
    )
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_lead_owner_is_polymorphic_and_a_queue_reads_as_queue(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    owner = next(field for field in sf.Lead.describe()["fields"] if field["name"] == "OwnerId")
    assert owner["referenceTo"] == ["Group", "User"]
    queue = salesforce_sandbox.app.add_queue("Unassigned Leads")
    lead_id = lead(salesforce_sandbox, OwnerId=queue)
    row = sf.query(f"SELECT Owner.Name, Owner.Type FROM Lead WHERE Id = '{lead_id}'")["records"][0]
    assert (row["Owner"]["Name"], row["Owner"]["Type"]) == ("Unassigned Leads", "Queue")


def test_a_task_cannot_be_owned_by_a_queue(salesforce_sandbox):
    queue = salesforce_sandbox.app.add_queue("Unassigned Leads")
    task = {"attributes": {"type": "Task"}, "WhoId": lead(salesforce_sandbox), "Subject": "Call", "OwnerId": queue}
    answer = client(salesforce_sandbox).restful(
        "composite/sobjects", method="POST", json={"allOrNone": False, "records": [task]}
    )
    assert answer[0]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"


NOW = datetime(2026, 11, 1, 12, 0, 0, 654_321, tzinfo=UTC)  # mid-second: the generator must not carry it over


@pytest.fixture(scope="module")
def generated_org() -> SalesforceApp:
    app = SalesforceApp(clock=lambda: NOW)
    app.load_population(generate_population(200, seed=11, now=NOW, days=120))
    return app


def test_generated_history_has_whole_second_audit_stamps(generated_org):
    for object_name in ("Lead", "Contact", "Task", "Event", "CampaignMember", "Opportunity", "User", "Account"):
        for row in generated_org.store.rows(object_name, include_deleted=True):
            for name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
                assert row[name][19:23] == ".000", (object_name, name, row[name])


def test_generated_history_has_many_leads_stamped_in_one_second(generated_org):
    stamps: dict[str, int] = {}
    for row in generated_org.store.rows("Lead"):
        stamps[row["SystemModstamp"]] = stamps.get(row["SystemModstamp"], 0) + 1
    assert max(stamps.values()) >= 20


def test_generated_history_has_queue_owned_leads(generated_org):
    queues = {row["Id"] for row in generated_org.store.rows("Group") if row["Type"] == "Queue"}
    owned = [row for row in generated_org.store.rows("Lead") if row["OwnerId"] in queues]
    assert owned and all(row["Status"] == "New" for row in owned)


def test_a_new_task_cannot_name_a_converted_lead(salesforce_sandbox):
    lead_id = lead(salesforce_sandbox)
    salesforce_sandbox.app.convert_lead(lead_id)
    task = {"attributes": {"type": "Task"}, "WhoId": lead_id, "Subject": "Call"}
    answer = client(salesforce_sandbox).restful(
        "composite/sobjects", method="POST", json={"allOrNone": False, "records": [task]}
    )
    (error,) = answer[0]["errors"]
    assert (error["statusCode"], error["fields"]) == ("CANNOT_UPDATE_CONVERTED_LEAD", ["WhoId"])
    assert error["message"] == "cannot reference converted lead"
