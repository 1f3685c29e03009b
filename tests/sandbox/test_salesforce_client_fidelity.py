"""The Salesforce sandbox driven through simple-salesforce 1.12.10 exactly as a user would."""

from __future__ import annotations

import csv
import io

import certifi
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from adapters.sandbox.http import ADMIN_PREFIX


def client(sandbox, token: str | None = None) -> Salesforce:
    return Salesforce(instance_url=sandbox.instance_url, session_id=token or sandbox.token, session=sandbox.session())


def add_leads(sandbox, count: int, **fields) -> list[str]:
    return [
        sandbox.app.insert("Lead", {"LastName": f"Lead {n:05d}", "Company": "Acme", **fields}) for n in range(count)
    ]


def inject(sandbox, **fault) -> None:
    session = sandbox.session()
    url = f"{sandbox.instance_url}{ADMIN_PREFIX}/faults"
    response = session.post(url, json=fault, headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    assert response.status_code == 200


def test_a_session_that_trusts_only_the_sandbox_ca_ignores_requests_ca_bundle(salesforce_sandbox, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # as on machines that set it globally
    naive = requests.Session()
    naive.verify = str(salesforce_sandbox.ca_file)  # overridden by REQUESTS_CA_BUNDLE while trust_env is on
    with pytest.raises(requests.exceptions.SSLError):
        naive.get(f"{salesforce_sandbox.instance_url}/services/data/", timeout=5)
    assert client(salesforce_sandbox).limits()["DailyApiRequests"]["Max"] == 100_000


def test_query_all_iter_pages_with_next_records_url_and_batch_size(salesforce_sandbox):
    add_leads(salesforce_sandbox, 450)
    sf = client(salesforce_sandbox)
    stats_before = salesforce_sandbox.server.stats.snapshot()["by_route"].get("sf.query.more", 0)
    rows = list(
        sf.query_all_iter(
            "SELECT Id, LastName FROM Lead ORDER BY LastName", headers={"Sforce-Query-Options": "batchSize=200"}
        )
    )
    assert [row["LastName"] for row in rows] == [f"Lead {n:05d}" for n in range(450)]
    assert salesforce_sandbox.server.stats.snapshot()["by_route"]["sf.query.more"] - stats_before == 2


def test_first_page_holds_two_thousand_rows_by_default_and_names_the_locator(salesforce_sandbox):
    add_leads(salesforce_sandbox, 2001)
    page = client(salesforce_sandbox).query("SELECT Id FROM Lead")
    assert page["totalSize"] == 2001 and page["done"] is False and len(page["records"]) == 2000
    assert page["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert page["nextRecordsUrl"].endswith("-2000")


def test_parent_fields_come_back_nested_with_attributes(salesforce_sandbox):
    app = salesforce_sandbox.app
    account_id = app.insert("Account", {"Name": "Acme", "Industry": "Banking"})
    app.insert("Contact", {"LastName": "Ng", "AccountId": account_id})
    (row,) = client(salesforce_sandbox).query("SELECT Name, Account.Industry FROM Contact")["records"]
    assert row["attributes"]["type"] == "Contact"
    assert row["Account"]["Industry"] == "Banking"
    assert row["Account"]["attributes"]["url"] == f"/services/data/v59.0/sobjects/Account/{account_id}"


def test_deleted_records_come_back_only_with_include_deleted(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    (lead_id,) = add_leads(salesforce_sandbox, 1)
    assert sf.Lead.delete(lead_id) == 204
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 0
    rows = sf.query("SELECT Id, IsDeleted FROM Lead", include_deleted=True)["records"]
    assert [(row["Id"], row["IsDeleted"]) for row in rows] == [(lead_id, True)]


def test_query_errors_arrive_as_salesforce_error_lists(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query("SELECT Id, Nope__c FROM Lead")
    assert raised.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Nope__c' on entity 'Lead'" in raised.value.content[0]["message"]


def test_create_get_update_describe_through_sftype(salesforce_sandbox, sf_clock):
    sf = client(salesforce_sandbox)
    created = sf.Lead.create({"LastName": "Lovelace", "Company": "Engines", "NumberOfEmployees": 12})
    assert created["success"] is True and created["id"].startswith("00Q") and len(created["id"]) == 18
    sf_clock.advance(minutes=5)
    assert sf.Lead.update(created["id"], {"Title": "Countess"}) == 204
    lead = sf.Lead.get(created["id"])
    assert lead["Title"] == "Countess" and lead["Status"] == "New" and lead["IsConverted"] is False
    assert lead["CreatedDate"] == "2026-11-01T12:00:00.000+0000"
    assert lead["SystemModstamp"] == lead["LastModifiedDate"] == "2026-11-01T12:05:00.000+0000"
    fields = {field["name"]: field for field in sf.Lead.describe()["fields"]}
    assert fields["NumberOfEmployees"]["type"] == "int" and fields["Id"]["createable"] is False
    assert fields["Status"]["picklistValues"][0]["value"] == "New"


def test_audit_stamps_are_whole_seconds_as_in_a_real_org_even_when_the_clock_is_mid_second(
    salesforce_sandbox, sf_clock
):
    sf = client(salesforce_sandbox)
    sf_clock.advance(seconds=1, milliseconds=999)
    lead_id = sf.Lead.create({"LastName": "Lovelace", "Company": "Engines"})["id"]
    created = sf.Lead.get(lead_id)
    assert created["CreatedDate"] == created["SystemModstamp"] == "2026-11-01T12:00:01.000+0000"
    sf_clock.advance(seconds=1, milliseconds=2)
    sf.Lead.update(lead_id, {"Title": "Countess"})
    updated = sf.Lead.get(lead_id)
    assert updated["LastModifiedDate"] == updated["SystemModstamp"] == "2026-11-01T12:00:03.000+0000"
    sf_clock.advance(milliseconds=998)
    sf.Lead.delete(lead_id)
    (deleted,) = sf.query("SELECT SystemModstamp FROM Lead", include_deleted=True)["records"]
    assert deleted["SystemModstamp"] == "2026-11-01T12:00:03.000+0000"  # 12:00:03.999, truncated, never rounded up


def test_create_with_a_missing_required_field_or_a_bad_value_is_a_400(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    with pytest.raises(SalesforceMalformedRequest) as missing:
        sf.Lead.create({"LastName": "NoCompany"})
    assert missing.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    with pytest.raises(SalesforceMalformedRequest) as bad_number:
        sf.Lead.create({"LastName": "X", "Company": "Y", "NumberOfEmployees": "lots"})
    assert bad_number.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_reading_a_missing_record_is_not_found(salesforce_sandbox):
    with pytest.raises(SalesforceResourceNotFound):
        client(salesforce_sandbox).Lead.get("00Q5g000000ZZZZEAA")


def test_composite_update_reports_partial_failures_in_request_order(salesforce_sandbox):
    good, other = add_leads(salesforce_sandbox, 2)
    records = [
        {"attributes": {"type": "Lead"}, "id": good, "Title": "VP"},
        {"attributes": {"type": "Lead"}, "id": other, "Score__c": 5},
        {"attributes": {"type": "Lead"}, "id": other, "NumberOfEmployees": "many"},
    ]
    results = client(salesforce_sandbox).restful(
        "composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records}
    )
    assert results[0] == {"id": good, "success": True, "errors": []}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert results[2]["errors"][0]["statusCode"] == "INVALID_TYPE_ON_FIELD_IN_RECORD"
    assert results[2]["errors"][0]["fields"] == ["NumberOfEmployees"]
    assert client(salesforce_sandbox).Lead.get(good)["Title"] == "VP"


def test_composite_all_or_none_rolls_back_the_valid_records(salesforce_sandbox):
    (lead_id,) = add_leads(salesforce_sandbox, 1)
    records = [
        {"attributes": {"type": "Lead"}, "id": lead_id, "Title": "VP"},
        {"attributes": {"type": "Lead"}, "id": lead_id, "LastName": None},
    ]
    sf = client(salesforce_sandbox)
    results = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": True, "records": records})
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.Lead.get(lead_id)["Title"] is None


def test_composite_create_refuses_more_than_two_hundred_records(salesforce_sandbox):
    records = [{"attributes": {"type": "Lead"}, "LastName": "L", "Company": "C"}] * 201
    with pytest.raises(SalesforceMalformedRequest) as raised:
        client(salesforce_sandbox).restful("composite/sobjects", method="POST", json={"records": records})
    assert raised.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_composite_create_returns_new_ids_in_order(salesforce_sandbox):
    records = [{"attributes": {"type": "Task"}, "Subject": f"Call {n}"} for n in range(3)]
    results = client(salesforce_sandbox).restful("composite/sobjects", method="POST", json={"records": records})
    assert all(result["success"] and result["id"].startswith("00T") for result in results)
    tasks = client(salesforce_sandbox).query("SELECT Subject, Status, IsClosed FROM Task ORDER BY Subject")["records"]
    assert [(row["Subject"], row["Status"], row["IsClosed"]) for row in tasks] == [
        (f"Call {n}", "Not Started", False) for n in range(3)
    ]


def test_reject_share_fault_fails_a_share_of_records_with_a_lock_error(salesforce_sandbox):
    lead_ids = add_leads(salesforce_sandbox, 8)
    inject(salesforce_sandbox, kind="reject_share", share=0.25, count=1)
    records = [{"attributes": {"type": "Lead"}, "id": lead_id, "Rating": "Hot"} for lead_id in lead_ids]
    sf = client(salesforce_sandbox)
    results = sf.restful("composite/sobjects", method="PATCH", json={"records": records})
    failed = [index for index, result in enumerate(results) if not result["success"]]
    assert failed == [3, 7]
    assert results[3]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
    again = sf.restful("composite/sobjects", method="PATCH", json={"records": records})
    assert all(result["success"] for result in again)


def test_bulk2_query_returns_csv_pages_until_the_locator_is_null(salesforce_sandbox):
    app = salesforce_sandbox.app
    account_id = app.insert("Account", {"Name": "Acme", "Industry": "Retail"})
    for n in range(5):
        app.insert(
            "Contact",
            {"LastName": f"C{n}", "AccountId": account_id if n % 2 == 0 else None, "HasOptedOutOfEmail": n == 0},
        )
    sf = client(salesforce_sandbox)
    pages = list(
        sf.bulk2.Contact.query(
            "SELECT LastName, Account.Industry, HasOptedOutOfEmail FROM Contact", max_records=2, wait=0.1
        )
    )
    assert len(pages) == 3
    rows = [row for page in pages for row in csv.DictReader(io.StringIO(page))]
    assert [row["LastName"] for row in rows] == ["C0", "C1", "C2", "C3", "C4"]
    assert rows[0] == {"LastName": "C0", "Account.Industry": "Retail", "HasOptedOutOfEmail": "true"}
    assert rows[1]["Account.Industry"] == ""
    assert pages[0].startswith('"LastName","Account.Industry","HasOptedOutOfEmail"\n')


def test_limits_and_api_usage_count_every_call(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    sf.query("SELECT Id FROM Lead")
    first = sf.api_usage["api-usage"]
    limits = sf.limits()
    assert sf.api_usage["api-usage"].used == first.used + 1 and first.total == 100_000
    assert limits["DailyApiRequests"]["Remaining"] == 100_000 - first.used - 1


def test_expired_session_raises_salesforce_expired_session(salesforce_sandbox, sf_clock):
    sf = client(salesforce_sandbox)
    sf.query("SELECT Id FROM Lead")
    sf_clock.advance(minutes=29)
    sf.query("SELECT Id FROM Lead")  # activity keeps the session alive
    sf_clock.advance(minutes=31)
    with pytest.raises(SalesforceExpiredSession) as raised:
        sf.query("SELECT Id FROM Lead")
    assert raised.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_expire_sessions_fault_invalidates_live_tokens(salesforce_sandbox):
    inject(salesforce_sandbox, kind="expire_sessions")
    with pytest.raises(SalesforceExpiredSession):
        client(salesforce_sandbox).query("SELECT Id FROM Lead")
    client(salesforce_sandbox, salesforce_sandbox.app.issue_token()).query("SELECT Id FROM Lead")


def test_daily_limit_fault_refuses_requests_until_cleared(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    inject(salesforce_sandbox, kind="daily_limit")
    with pytest.raises(SalesforceRefusedRequest) as raised:
        sf.query("SELECT Id FROM Lead")
    assert raised.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    salesforce_sandbox.session().delete(
        f"{salesforce_sandbox.instance_url}{ADMIN_PREFIX}/faults",
        headers={"Authorization": f"Bearer {salesforce_sandbox.admin_token}"},
    )
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 0


def test_tooling_custom_field_becomes_writable_and_queryable(salesforce_sandbox):
    sf = client(salesforce_sandbox)
    body = {
        "FullName": "Lead.ScoreBridge_Fit__c",
        "Metadata": {"type": "Number", "label": "ScoreBridge Fit", "precision": 5, "scale": 2},
    }
    created = sf.toolingexecute("sobjects/CustomField", method="POST", data=body)
    assert created["success"] is True and created["id"].startswith("00N")
    (lead_id,) = add_leads(salesforce_sandbox, 1)
    sf.Lead.update(lead_id, {"ScoreBridge_Fit__c": 72.456})
    (row,) = sf.query("SELECT ScoreBridge_Fit__c FROM Lead WHERE ScoreBridge_Fit__c > 70")["records"]
    assert row["ScoreBridge_Fit__c"] == 72.46
    described = {field["name"]: field for field in sf.Lead.describe()["fields"]}["ScoreBridge_Fit__c"]
    assert described["custom"] is True and described["type"] == "double" and described["scale"] == 2
    with pytest.raises(SalesforceMalformedRequest):
        sf.toolingexecute("sobjects/CustomField", method="POST", data=body)


def test_requests_without_a_valid_token_are_refused(salesforce_sandbox):
    with pytest.raises(SalesforceExpiredSession):
        client(salesforce_sandbox, "00D000000000000!bogus").query("SELECT Id FROM Lead")


def test_password_grant_returns_a_token_the_api_accepts(salesforce_sandbox):
    credentials = salesforce_sandbox.app.sessions.credentials
    form = {
        "grant_type": "password",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "username": credentials.username,
        "password": credentials.password,
    }
    session = salesforce_sandbox.session()
    answer = session.post(f"{salesforce_sandbox.instance_url}/services/oauth2/token", data=form).json()
    assert answer["instance_url"] == salesforce_sandbox.instance_url
    assert {"access_token", "id", "token_type", "issued_at", "signature"} <= set(answer)
    assert client(salesforce_sandbox, answer["access_token"]).query("SELECT Id FROM Lead")["done"] is True
    refused = session.post(f"{salesforce_sandbox.instance_url}/services/oauth2/token", data={**form, "password": "x"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_jwt_bearer_grant_checks_issuer_and_subject(salesforce_sandbox):
    import jwt

    credentials = salesforce_sandbox.app.sessions.credentials
    assertion = jwt.encode(
        {
            "iss": credentials.client_id,
            "sub": credentials.username,
            "aud": "https://login.salesforce.com",
            "exp": 4_000_000_000,
        },
        "k" * 32,
        algorithm="HS256",
    )
    answer = salesforce_sandbox.session().post(
        f"{salesforce_sandbox.instance_url}/services/oauth2/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
    )
    assert answer.status_code == 200 and "signature" not in answer.json()


def test_injected_503_has_a_salesforce_error_body(salesforce_sandbox):
    inject(salesforce_sandbox, kind="status", status=503, route="sf.query")
    with pytest.raises(Exception) as raised:
        client(salesforce_sandbox).query("SELECT Id FROM Lead")
    assert raised.value.content == [
        {"message": "Server temporarily unavailable, please try again later", "errorCode": "SERVER_UNAVAILABLE"}
    ]
