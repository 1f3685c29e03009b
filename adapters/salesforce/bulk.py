"""Bulk API 2.0 query jobs, for first syncs too large to page through REST.

We drive the job ourselves instead of `sf.bulk2`: simple-salesforce polls with a module-level `time.sleep` and
bypasses our retry policy, while every step here goes through `SalesforceClient.call`.
https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/queries.htm
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from simple_salesforce.util import call_salesforce

from adapters.salesforce.client import SalesforceClient
from connector.errors import FatalCrmError

JOB_COMPLETE = "JobComplete"
JOB_FAILED = frozenset({"Aborted", "Failed"})
#: The results endpoint answers the string "null" in Sforce-Locator on its last page.
LAST_PAGE_LOCATOR = "null"


def bulk_query(
    client: SalesforceClient, soql: str, *, object_name: str, page_size: int, poll_seconds: float
) -> Iterator[dict[str, str]]:
    """The rows of a Bulk API 2.0 query job, as CSV dicts keyed by the selected field names."""
    body = {"operation": "query", "query": soql, "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"}
    job = client.call(f"bulk query of {object_name}", lambda sf: sf.restful("jobs/query", method="POST", json=body))
    job_id = job["id"]
    _wait_until_complete(client, job_id, object_name=object_name, poll_seconds=poll_seconds)
    locator = ""
    while True:
        params: dict[str, object] = {"maxRecords": page_size}
        if locator:
            params["locator"] = locator
        response = client.call(
            f"bulk results of {object_name}",
            lambda sf, params=params: call_salesforce(
                f"{sf.base_url}jobs/query/{job_id}/results",
                "GET",
                sf.session,
                {**sf.headers, "Accept": "text/csv"},
                params=params,
            ),
        )
        yield from csv.DictReader(io.StringIO(response.content.decode("utf-8").replace("\x00", "")))
        locator = response.headers.get("Sforce-Locator", "")
        if not locator or locator == LAST_PAGE_LOCATOR:
            return


def _wait_until_complete(client: SalesforceClient, job_id: str, *, object_name: str, poll_seconds: float) -> None:
    while True:
        client.sleep(poll_seconds)
        info = client.call(f"bulk job {job_id} of {object_name}", lambda sf: sf.restful(f"jobs/query/{job_id}"))
        state = info.get("state")
        if state == JOB_COMPLETE:
            return
        if state in JOB_FAILED:
            raise FatalCrmError(
                f"Salesforce bulk query job {job_id} on {object_name} ended {state}: {info.get('errorMessage', '')}"
            )
