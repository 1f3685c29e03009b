"""The sandbox's SOQL subset, parsed and run against an in-memory org (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.sandbox.salesforce.api_errors import ApiError
from adapters.sandbox.salesforce.query_plan import bind
from adapters.sandbox.salesforce.records import RecordStore
from adapters.sandbox.salesforce.schema import OrgSchema
from adapters.sandbox.salesforce.soql import parse


@pytest.fixture
def org() -> RecordStore:
    store = RecordStore(OrgSchema.standard(), clock=lambda: datetime(2026, 11, 1, tzinfo=UTC))
    acme = store.insert("Account", {"Name": "Acme", "Industry": "Technology", "NumberOfEmployees": 500})
    tiny = store.insert("Account", {"Name": "Tiny", "Industry": None})
    rows = [
        ("Ada", "CEO", "ada@acme.com", "Web", 5000, "2026-01-05T10:00:00Z", acme),
        ("Bob", "Student", "bob@uni.edu", None, None, "2026-03-01T08:30:00Z", tiny),
        ("Cy", "CTO", None, "Partner Referral", 120, "2025-12-31T23:59:59Z", acme),
        ("Dee", "O'Brien's Assistant", "DEE@ACME.COM", "Web", 40, "2026-02-10T12:00:00+02:00", None),
    ]
    for last, title, email, source, employees, created, account in rows:
        fields = {"LastName": last, "Title": title, "Email": email, "LeadSource": source, "CreatedDate": created}
        store.insert("Lead", {**fields, "Company": "Co", "NumberOfEmployees": employees})
        store.insert("Contact", {**fields, "AccountId": account})
    return store


def names(org: RecordStore, soql: str, *, include_deleted: bool = False) -> list[str]:
    plan = bind(parse(soql), org)
    return [row["LastName"] for row in plan.run(org, include_deleted=include_deleted)]


def error_of(org: RecordStore, soql: str) -> ApiError:
    with pytest.raises(ApiError) as raised:
        bind(parse(soql), org)
    return raised.value


def test_datetime_literal_filters_compare_instants_in_utc(org):
    assert names(org, "SELECT LastName FROM Lead WHERE CreatedDate > 2026-01-01T00:00:00Z") == ["Ada", "Bob", "Dee"]
    assert names(org, "SELECT LastName FROM Lead WHERE CreatedDate = 2026-02-10T10:00:00Z") == ["Dee"]
    assert names(org, "SELECT LastName FROM Lead WHERE CreatedDate < 2026-01-01T01:00:00+01:00") == ["Cy"]


def test_and_or_not_with_parentheses(org):
    soql = "SELECT LastName FROM Lead WHERE (LeadSource = 'Web' OR NumberOfEmployees > 100) AND NOT Title = 'CEO'"
    assert names(org, soql) == ["Cy", "Dee"]


def test_mixing_and_with_or_without_parentheses_is_malformed(org):
    error = error_of(org, "SELECT Id FROM Lead WHERE LastName = 'a' AND LastName = 'b' OR LastName = 'c'")
    assert error.error_code == "MALFORMED_QUERY"
    assert "unexpected token: 'OR'" in error.message


def test_text_equality_ignores_case_and_not_equal_keeps_nulls(org):
    assert names(org, "SELECT LastName FROM Lead WHERE Email = 'dee@acme.com'") == ["Dee"]
    assert names(org, "SELECT LastName FROM Lead WHERE LeadSource != 'Web'") == ["Bob", "Cy"]


def test_null_comparisons(org):
    assert names(org, "SELECT LastName FROM Lead WHERE Email = null") == ["Cy"]
    assert names(org, "SELECT LastName FROM Lead WHERE NumberOfEmployees != null AND NumberOfEmployees < 200") == [
        "Cy",
        "Dee",
    ]


def test_in_not_in_and_like_with_escapes(org):
    assert names(org, "SELECT LastName FROM Lead WHERE Title IN ('ceo', 'CTO')") == ["Ada", "Cy"]
    assert names(org, "SELECT LastName FROM Lead WHERE Title NOT IN ('CEO')") == ["Bob", "Cy", "Dee"]
    assert names(org, "SELECT LastName FROM Lead WHERE Email LIKE '%@acme.com'") == ["Ada", "Dee"]
    assert names(org, r"SELECT LastName FROM Lead WHERE Title LIKE 'O\'Brien%'") == ["Dee"]
    assert names(org, "SELECT LastName FROM Lead WHERE Title LIKE 'C_O'") == ["Ada", "Cy"]


def test_parent_fields_filter_through_the_lookup(org):
    soql = "SELECT LastName FROM Contact WHERE Account.Industry = 'Technology' AND Account.NumberOfEmployees >= 500"
    assert names(org, soql) == ["Ada", "Cy"]
    assert names(org, "SELECT LastName FROM Contact WHERE Account.Name = null") == ["Dee"]


def test_order_by_several_fields_with_nulls_placement(org):
    assert names(org, "SELECT LastName FROM Lead ORDER BY NumberOfEmployees") == ["Bob", "Dee", "Cy", "Ada"]
    assert names(org, "SELECT LastName FROM Lead ORDER BY NumberOfEmployees DESC") == ["Ada", "Cy", "Dee", "Bob"]
    assert names(org, "SELECT LastName FROM Lead ORDER BY NumberOfEmployees ASC NULLS LAST") == [
        "Dee",
        "Cy",
        "Ada",
        "Bob",
    ]
    assert names(org, "SELECT LastName FROM Lead ORDER BY LeadSource DESC NULLS LAST, LastName DESC") == [
        "Dee",
        "Ada",
        "Cy",
        "Bob",
    ]
    assert names(org, "SELECT LastName FROM Lead ORDER BY LeadSource ASC, LastName DESC") == ["Bob", "Cy", "Dee", "Ada"]


def test_limit_and_offset_apply_after_ordering(org):
    assert names(org, "SELECT LastName FROM Lead ORDER BY LastName DESC LIMIT 2") == ["Dee", "Cy"]
    assert names(org, "SELECT LastName FROM Lead ORDER BY LastName LIMIT 2 OFFSET 1") == ["Bob", "Cy"]


def test_composite_cursor_resumes_after_the_last_id_of_one_timestamp(org):
    rows = bind(parse("SELECT Id, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id"), org).run(
        org, include_deleted=False
    )
    first = rows[0]
    stamp = first["SystemModstamp"][:19] + "Z"
    soql = (
        f"SELECT LastName FROM Lead WHERE (SystemModstamp > {stamp} OR (SystemModstamp = {stamp} "
        f"AND Id > '{first['Id']}')) ORDER BY SystemModstamp, Id"
    )
    assert len(names(org, soql)) == 3


def test_deleted_rows_only_with_query_all(org):
    plan = bind(parse("SELECT Id FROM Lead WHERE LastName = 'Bob'"), org)
    (bob,) = plan.run(org, include_deleted=False)
    org.delete("Lead", bob["Id"])
    assert names(org, "SELECT LastName FROM Lead WHERE LastName = 'Bob'") == []
    assert names(org, "SELECT LastName FROM Lead WHERE IsDeleted = true", include_deleted=True) == ["Bob"]


def test_unknown_column_is_invalid_field_naming_the_entity(org):
    error = error_of(org, "SELECT Id, Score__c FROM Lead")
    assert error.error_code == "INVALID_FIELD"
    assert "No such column 'Score__c' on entity 'Lead'" in error.message
    assert "ERROR at Row:1:Column:12" in error.message


def test_unknown_object_is_invalid_type(org):
    assert error_of(org, "SELECT Id FROM Leed").error_code == "INVALID_TYPE"


def test_unknown_relationship_is_invalid_field(org):
    assert "Didn't understand relationship 'Acount'" in error_of(org, "SELECT Acount.Name FROM Contact").message


@pytest.mark.parametrize(
    ("soql", "complaint"),
    [
        ("SELECT Id FROM Lead WHERE CreatedDate > '2026-01-01'", "must be of type dateTime"),
        ("SELECT Id FROM Lead WHERE Email = 5", "must be of type string and should be enclosed in quotes"),
        ("SELECT Id FROM Lead WHERE Id = 'abc'", "invalid ID field: abc"),
        ("SELECT Id FROM Lead WHERE Description = 'x'", "can not be filtered"),
    ],
)
def test_filter_values_of_the_wrong_type_are_refused(org, soql, complaint):
    assert complaint in error_of(org, soql).message


@pytest.mark.parametrize(
    "soql", ["SELECT FROM Lead", "SELECT Id FROM Lead WHERE", "SELECT Id FROM Lead LIMIT x", "SELECT Id Lead"]
)
def test_broken_statements_are_malformed_queries(org, soql):
    assert error_of(org, soql).error_code == "MALFORMED_QUERY"


def test_string_escapes_are_resolved():
    comparison = parse(r"SELECT Id FROM Lead WHERE LastName = 'O\'Hara\\\n'").where
    assert comparison.values[0].value == "O'Hara\\\n"


def test_count_query_parses_as_count_only(org):
    plan = bind(parse("SELECT COUNT() FROM Lead WHERE LeadSource = 'Web'"), org)
    assert plan.count_only and len(plan.run(org, include_deleted=False)) == 2


def test_relative_date_literals_count_utc_days_back_from_the_org_clock(org):
    # The org clock says 2026-11-01, so LAST_N_DAYS:299 starts at 2026-01-06T00:00Z (Ada was created on the 5th).
    assert names(org, "SELECT LastName FROM Lead WHERE CreatedDate = LAST_N_DAYS:299") == ["Bob", "Dee"]
    assert names(org, "SELECT LastName FROM Lead WHERE CreatedDate < LAST_N_DAYS:299") == ["Ada", "Cy"]
    assert names(org, "SELECT LastName FROM Lead WHERE CreatedDate = TODAY") == []
    assert names(org, "SELECT LastName FROM Lead WHERE CreatedDate = N_DAYS_AGO:245") == ["Bob"]


def test_a_single_currency_org_refuses_currency_iso_code_and_roles_follow_their_opportunity(org):
    error = error_of(org, "SELECT Id, CurrencyIsoCode FROM Opportunity")
    assert error.error_code == "INVALID_FIELD" and "No such column 'CurrencyIsoCode' on entity 'Opportunity'" in str(
        error
    )
    (contact,) = [row["Id"] for row in org.rows("Contact") if row["LastName"] == "Ada"]
    deal = org.insert("Opportunity", {"Name": "Acme", "StageName": "Qualification", "CloseDate": "2026-12-01"})
    org.insert("OpportunityContactRole", {"OpportunityId": deal, "ContactId": contact, "IsPrimary": True})
    roles = f"SELECT ContactId FROM OpportunityContactRole WHERE OpportunityId IN ('{deal}')"
    assert [row["ContactId"] for row in bind(parse(roles), org).run(org, include_deleted=False)] == [contact]
    org.delete("Opportunity", deal)  # its roles go with it, into the recycle bin
    assert bind(parse(roles), org).run(org, include_deleted=False) == []
    assert [row["IsDeleted"] for row in bind(parse(roles), org).run(org, include_deleted=True)] == [True]
