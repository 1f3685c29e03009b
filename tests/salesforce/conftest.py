"""Builders for Salesforce adapter unit tests: an adapter on a mocked org (`responses`), and payloads in
Salesforce's own shapes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.mapping import SalesforceMapping, load_mapping, parse_mapping
from adapters.salesforce.settings import SalesforceSettings
from adapters.sandbox.salesforce.server import SalesforceSandbox, start_salesforce_sandbox

INSTANCE = "https://acme.my.salesforce.com"
API = f"{INSTANCE}/services/data/v59.0"
LOGIN = "https://login.salesforce.com"
SESSION_TOKEN = "00Dxx0000001gPL!AQ4AQFakeSessionToken"
EXAMPLE_MAPPING = Path(__file__).resolve().parents[2] / "mappings" / "salesforce.yaml"
#: Our clock in tests of a mocked org: reads begin an hour after the bookmarks they start from, mid-second.
READ_AT = datetime(2026, 11, 1, 13, 0, 0, 250_000, tzinfo=UTC)
#: When the sandbox org's clock starts, and the secrets its login takes.
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SECRETS = {"SF_CLIENT_SECRET": "scorebridge-sandbox-secret", "SF_PASSWORD": "sandbox-password"}


def sandbox_login(sandbox: Any, **overrides: Any) -> dict[str, Any]:
    """A connection's `settings:` for the Salesforce sandbox (secrets in SF_CLIENT_SECRET and SF_PASSWORD)."""
    return {
        "auth": "password",
        "login_url": sandbox.instance_url,
        "username": "integration@scorebridge.sandbox",
        "consumer_key": "scorebridge-sandbox-client",
        "consumer_secret": {"env": "SF_CLIENT_SECRET"},
        "password": {"env": "SF_PASSWORD"},
        "ca_bundle": str(sandbox.ca_file),
    } | overrides


class ManualClock:
    """The sandbox org's clock (and the adapter's): it stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RecordedSleep:
    """Stands in for time.sleep: remembers the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def session_settings(**overrides: Any) -> SalesforceSettings:
    values: dict[str, Any] = {
        "auth": "session",
        "instance_url": INSTANCE,
        "session_id": {"env": "SF_SESSION"},
        "max_wait_seconds": 30,
    }
    return SalesforceSettings(**(values | overrides))


def small_mapping(**overrides: Any) -> SalesforceMapping:
    raw: dict[str, Any] = {
        "objects": {
            "Lead": {
                "fields": {"email": "Email", "employees": "NumberOfEmployees", "industry": "Industry"},
                "write_back": {"fit": "ScoreBridge_Fit__c", "stage": "ScoreBridge_Stage__c"},
            },
            "Contact": {
                "fields": {"email": "Email", "industry": "Account.Industry"},
                "write_back": {"fit": "ScoreBridge_Fit__c"},
            },
        },
        "activities": [
            {"object": "Task", "type": "call", "equals": {"TaskSubtype": "Call"}},
            {"object": "Task", "type": "email_open", "starts_with": {"Subject": "Email Opened"}},
        ],
        "pull": {"page_size": 200, "bulk_threshold": 1000, "bulk_poll_seconds": 5},
    }
    return parse_mapping(raw | overrides, source="test-mapping.yaml")


def example_mapping() -> SalesforceMapping:
    return load_mapping(EXAMPLE_MAPPING)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(tmp_path: Path, clock: ManualClock) -> Iterator[SalesforceSandbox]:
    """A Salesforce org served over HTTPS on the `clock`."""
    with start_salesforce_sandbox(tmp_path, clock=clock, session_timeout=timedelta(hours=2)) as running:
        yield running


@pytest.fixture
def sleep() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
def org() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def adapter(org: responses.RequestsMock, sleep: RecordedSleep) -> SalesforceAdapter:
    return SalesforceAdapter(
        session_settings(), small_mapping(), sleep=sleep, environ={"SF_SESSION": SESSION_TOKEN}, clock=lambda: READ_AT
    )


def soql_of(request: Any) -> str:
    return parse_qs(urlsplit(request.url).query)["q"][0]


def json_body(request: Any) -> Any:
    return json.loads(request.body)


def record(object_type: str, record_id: str, stamp: str, **fields: Any) -> dict[str, Any]:
    """A query result row as REST returns it: `attributes` first, then the selected fields."""
    return {
        "attributes": {"type": object_type, "url": f"/services/data/v59.0/sobjects/{object_type}/{record_id}"},
        "Id": record_id,
        "SystemModstamp": stamp,
        "CreatedDate": stamp,
        "IsDeleted": False,
        **fields,
    }


def query_page(records: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {"totalSize": len(records), "done": next_url is None, "records": records}
    if next_url:
        page["nextRecordsUrl"] = next_url
    return page


def limit_header(used: int, limit: int = 15000) -> dict[str, str]:
    return {"Sforce-Limit-Info": f"api-usage={used}/{limit}"}


#: A first query (sent alone), not a next page: those are mocked one by one.
QUERY_URL = re.compile(re.escape(API) + r"/(query|queryAll)/(\?.*)?$")


def serve_queries(org: responses.RequestsMock, answers: dict, counts: dict | None = None) -> list[tuple[str, str]]:
    """Answer each SOQL query by the object it reads, sent alone or as a Composite subrequest: answers[object] is a
    list of pages (the first is served on the query, the rest on nextRecordsUrl); COUNT() queries answer
    counts[object]."""
    seen = []

    def answer(url, statement):
        seen.append((url.split("?")[0].rsplit("/", 2)[-2], statement))
        object_name = re.search(r" FROM (\w+)", statement).group(1)
        if "COUNT()" in statement:
            return {"totalSize": (counts or {}).get(object_name, 0), "done": True, "records": []}
        pages = answers[object_name]
        for number, later in enumerate(pages[1:], start=1):
            org.add("GET", f"{INSTANCE}/services/data/v59.0/query/{object_name}-{number}", json=later)
        return pages[0]

    def reply(request):
        return 200, {}, json.dumps(answer(request.url, soql_of(request)))

    def reply_composite(request):
        entries = [
            {
                "body": answer(sub["url"], parse_qs(urlsplit(sub["url"]).query)["q"][0]),
                "httpHeaders": {},
                "httpStatusCode": 200,
                "referenceId": sub["referenceId"],
            }
            for sub in json_body(request)["compositeRequest"]
        ]
        return 200, {}, json.dumps({"compositeResponse": entries})

    org.add_callback("GET", QUERY_URL, callback=reply)
    org.add_callback("POST", f"{API}/composite", callback=reply_composite)
    return seen
