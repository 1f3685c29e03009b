"""CRM search in the HubSpot sandbox: filter logic, sorting, paging and HubSpot's limits."""

from __future__ import annotations

import pytest
from hubspot.crm.contacts import ApiException, PublicObjectSearchRequest

from tests.sandbox.hubspot_support import client_for, error_body


def _search(sandbox, **request):
    return client_for(sandbox).crm.contacts.search_api.do_search(PublicObjectSearchRequest(**request))


def _people(sandbox):
    rows = [
        ("ada@example.com", "CEO", "1000+", "customer"),
        ("bob@example.com", "Student", "1-5", "lead"),
        ("cy@example.org", None, "25-50", "lead"),
        ("dee@example.org", "CTO", None, "salesqualifiedlead"),
    ]
    ids = []
    for email, title, size, stage in rows:
        values = {"email": email, "jobtitle": title, "numemployees": size, "lifecyclestage": stage}
        ids.append(sandbox.app.insert("contacts", {k: v for k, v in values.items() if v}))
    return ids


def _emails(result) -> list[str]:
    return [r.properties["email"] for r in result.results]


def test_filters_in_a_group_are_anded_and_groups_are_ored(hubspot_sandbox):
    _people(hubspot_sandbox)
    result = _search(
        hubspot_sandbox,
        filter_groups=[
            {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"},
                         {"propertyName": "jobtitle", "operator": "HAS_PROPERTY"}]},
            {"filters": [{"propertyName": "jobtitle", "operator": "EQ", "value": "cto"}]},
        ],
        properties=["email"],
    )  # fmt: skip
    assert result.total == 2
    assert _emails(result) == ["bob@example.com", "dee@example.org"]


@pytest.mark.parametrize(
    ("search_filter", "expected"),
    [
        (
            {"propertyName": "jobtitle", "operator": "NEQ", "value": "CEO"},
            ["bob@example.com", "cy@example.org", "dee@example.org"],
        ),
        (
            {"propertyName": "numemployees", "operator": "IN", "values": ["1-5", "25-50"]},
            ["bob@example.com", "cy@example.org"],
        ),
        (
            {"propertyName": "numemployees", "operator": "NOT_IN", "values": ["1-5"]},
            ["ada@example.com", "cy@example.org", "dee@example.org"],
        ),
        ({"propertyName": "jobtitle", "operator": "NOT_HAS_PROPERTY"}, ["cy@example.org"]),
        (
            {"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*.org"},
            ["cy@example.org", "dee@example.org"],
        ),
        ({"propertyName": "hs_object_id", "operator": "GT", "value": "1002"}, ["cy@example.org", "dee@example.org"]),
    ],
)
def test_operators(hubspot_sandbox, search_filter, expected):
    _people(hubspot_sandbox)
    result = _search(hubspot_sandbox, filter_groups=[{"filters": [search_filter]}], properties=["email"], limit=10)
    assert _emails(result) == expected


def test_date_filters_take_epoch_milliseconds_and_between_is_inclusive(hubspot_sandbox, hubspot_clock):
    _people(hubspot_sandbox)  # created at 09:00:00
    hubspot_clock.advance(60)
    hubspot_sandbox.app.insert("contacts", {"email": "late@example.com"})
    start_ms = str(int(hubspot_clock.now.timestamp() * 1000))
    result = _search(
        hubspot_sandbox,
        filter_groups=[{"filters": [{"propertyName": "lastmodifieddate", "operator": "BETWEEN", "value": start_ms,
                                     "highValue": start_ms}]}],
    )  # fmt: skip
    assert _emails(result) == ["late@example.com"]


def test_one_sort_descending_and_results_without_the_property_last(hubspot_sandbox):
    _people(hubspot_sandbox)
    result = _search(
        hubspot_sandbox, sorts=[{"propertyName": "jobtitle", "direction": "DESCENDING"}], properties=["email"]
    )
    assert _emails(result) == ["bob@example.com", "dee@example.org", "ada@example.com", "cy@example.org"]
    by_string = _search(hubspot_sandbox, sorts=["-hs_object_id"], properties=["email"])
    assert _emails(by_string)[0] == "dee@example.org"


def test_paging_with_integer_after_and_total(hubspot_sandbox):
    _people(hubspot_sandbox)
    first = _search(hubspot_sandbox, limit=3, properties=["email"])
    second = _search(hubspot_sandbox, limit=3, after=first.paging.next.after, properties=["email"])
    assert first.total == second.total == 4
    assert first.paging.next.after == "3"
    assert second.paging is None and _emails(second) == ["dee@example.org"]


def test_search_returns_default_contact_properties_when_none_are_named(hubspot_sandbox):
    _people(hubspot_sandbox)
    result = _search(hubspot_sandbox, limit=1)
    assert set(result.results[0].properties) == {
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    }


def test_search_through_associations(hubspot_sandbox):
    company = hubspot_sandbox.app.insert("companies", {"name": "Acme"})
    inside = hubspot_sandbox.app.insert("contacts", {"email": "in@acme.com"}, associations={"companies": [company]})
    hubspot_sandbox.app.insert("contacts", {"email": "out@else.com"})
    result = _search(
        hubspot_sandbox,
        filter_groups=[{"filters": [{"propertyName": "associations.company", "operator": "EQ", "value": company}]}],
    )
    assert [r.id for r in result.results] == [inside]


@pytest.mark.parametrize(
    "request_body",
    [
        {"limit": 201},
        {"filter_groups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}] * 6},
        {"filter_groups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 7}]},
        {"filter_groups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 6}] * 4},
        {"sorts": ["email", "-createdate"]},
        {"after": "abc"},
        {"filter_groups": [{"filters": [{"propertyName": "email", "operator": "LIKE", "value": "x"}]}]},
    ],
    ids=[
        "limit-over-200",
        "six-groups",
        "seven-filters-in-a-group",
        "nineteen-filters",
        "two-sorts",
        "non-integer-after",
        "unknown-operator",
    ],
)
def test_requests_past_hubspot_search_limits_are_400_validation_errors(hubspot_sandbox, request_body):
    with pytest.raises(ApiException) as refused:
        _search(hubspot_sandbox, **request_body)
    assert refused.value.status == 400
    assert error_body(refused.value)["category"] == "VALIDATION_ERROR"


def test_paging_stops_at_ten_thousand_results_with_a_400(hubspot_sandbox):
    for i in range(10_050):
        hubspot_sandbox.app.portal.objects.create(
            "contacts", {"email": f"c{i}@example.com"}, hubspot_sandbox.app.clock()
        )
    near_the_end = _search(hubspot_sandbox, limit=200, after="9800")
    assert near_the_end.total == 10_050
    assert len(near_the_end.results) == 200
    assert near_the_end.paging.next.after == "10000"
    with pytest.raises(ApiException) as refused:
        _search(hubspot_sandbox, limit=200, after=near_the_end.paging.next.after)
    assert refused.value.status == 400


def test_search_responses_carry_no_rate_limit_headers(limited_hubspot_sandbox):
    client = client_for(limited_hubspot_sandbox)
    _, status, headers = client.crm.contacts.search_api.do_search_with_http_info(PublicObjectSearchRequest(limit=1))
    assert status == 200
    assert not [name for name in headers if name.lower().startswith("x-hubspot-ratelimit")]


def test_a_repeated_search_sees_writes_made_between_pages(hubspot_sandbox):
    ids = _people(hubspot_sandbox)
    ceo_filter = [{"filters": [{"propertyName": "jobtitle", "operator": "EQ", "value": "CEO"}]}]
    assert _search(hubspot_sandbox, filter_groups=ceo_filter).total == 1
    client_for(hubspot_sandbox).crm.contacts.basic_api.update(ids[1], {"properties": {"jobtitle": "CEO"}})
    assert _search(hubspot_sandbox, filter_groups=ceo_filter).total == 2
    company = hubspot_sandbox.app.insert("companies", {"name": "Acme"})
    by_company = [{"filters": [{"propertyName": "associations.company", "operator": "EQ", "value": company}]}]
    assert _search(hubspot_sandbox, filter_groups=by_company).total == 0
    client_for(hubspot_sandbox).crm.associations.v4.basic_api.create_default("contacts", ids[0], "companies", company)
    assert _search(hubspot_sandbox, filter_groups=by_company).total == 1
