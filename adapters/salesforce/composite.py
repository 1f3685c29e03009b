"""The first page of several SOQL queries for one API call, through the Composite resource.

``POST /services/data/vXX.X/composite`` runs up to 25 subrequests, at most 5 of them query operations, and "the
entire series of requests counts as a single call toward your API limits"
(https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite_post.htm).
With ``allOrNone: false`` each subrequest answers on its own; a failed one carries its own status and Salesforce's
error list. We raise that as the very simple-salesforce error a direct call would have raised, so the client's one
error table, its retry policy (which re-sends the whole composite call) and its re-login apply unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Any
from urllib.parse import quote_plus, urlsplit

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from adapters.salesforce.client import SalesforceClient
from connector.errors import FatalCrmError

#: Salesforce refuses a composite request holding more than five query operations (query, queryAll, query more).
MAX_QUERIES_PER_CALL = 5
#: A longer query goes in a Composite body even alone: a request's URI and headers stop at 16,384 bytes, and
#: URL-encoding grows SOQL by up to half (https://help.salesforce.com/s/articleView?id=000386264).
DIRECT_QUERY_LENGTH = 8000
QueryResult = Mapping[str, Any]

#: The exception simple-salesforce raises for a direct call answered with this status.
_ERROR_BY_STATUS = {
    400: SalesforceMalformedRequest,
    401: SalesforceExpiredSession,
    403: SalesforceRefusedRequest,
    404: SalesforceResourceNotFound,
}


@dataclass(frozen=True)
class Query:
    """One SOQL query; ``what`` names it in errors ("query of Lead")."""

    soql: str
    what: str
    include_deleted: bool = False


def first_pages(
    client: SalesforceClient, queries: Sequence[Query], *, batch_size: int | None = None, retry: bool = True
) -> list[QueryResult]:
    """The first result page of each query, in the order given: up to five queries per Composite call (one API
    call), a short query left alone sent directly (the same one call, without the envelope). Without ``retry``, for
    a caller that is itself inside a retry, each call is tried once."""
    headers = _query_options(batch_size)
    results: list[QueryResult] = []
    for group in _groups(queries, MAX_QUERIES_PER_CALL):
        if len(group) == 1 and len(group[0].soql) <= DIRECT_QUERY_LENGTH:
            results.append(_direct_query(client, group[0], headers, retry))
        else:
            what = "; ".join(query.what for query in group)
            results.extend(client.call(what, partial(_composite_query, group=group, headers=headers), retry=retry))
    return results


def pages_from(
    client: SalesforceClient, first: QueryResult, *, what: str, batch_size: int | None = None
) -> Iterator[list[Mapping[str, Any]]]:
    """The records of a first page, then of each next page (one API call each) while Salesforce says not done."""
    headers = _query_options(batch_size)
    result = first
    while True:
        yield list(result["records"])
        if result.get("done", True):
            return
        next_url = result["nextRecordsUrl"]
        result = client.call(what, lambda sf, url=next_url: sf.query_more(url, identifier_is_url=True, headers=headers))


def _direct_query(client: SalesforceClient, query: Query, headers: Mapping[str, str], retry: bool) -> QueryResult:
    return client.call(
        query.what,
        lambda sf: sf.query(query.soql, include_deleted=query.include_deleted, headers=dict(headers)),
        retry=retry,
    )


def _composite_query(sf: Salesforce, group: Sequence[Query], headers: Mapping[str, str]) -> list[QueryResult]:
    base = urlsplit(sf.base_url).path  # "/services/data/v59.0/": subrequest urls are absolute paths
    subrequests = []
    for number, query in enumerate(group):
        resource = "queryAll" if query.include_deleted else "query"
        subrequest = {
            "method": "GET",
            "url": f"{base}{resource}/?q={quote_plus(query.soql)}",
            "referenceId": f"q{number}",
        }
        subrequests.append(subrequest | ({"httpHeaders": dict(headers)} if headers else {}))
    answer = sf.restful("composite", method="POST", json={"allOrNone": False, "compositeRequest": subrequests})
    return [_subresponse_body(sf, answer, f"q{number}") for number in range(len(group))]


def _subresponse_body(sf: Salesforce, answer: Any, reference_id: str) -> QueryResult:
    entries = answer.get("compositeResponse", []) if isinstance(answer, Mapping) else []
    by_reference = {entry.get("referenceId"): entry for entry in entries if isinstance(entry, Mapping)}
    # A request refused as a whole has been seen answered as one entry with a null referenceId.
    entry = by_reference.get(reference_id) or by_reference.get(None)
    if entry is None:
        raise FatalCrmError(
            f"Salesforce composite response has no answer for subrequest {reference_id}: {answer!r:.300}"
        )
    status = int(entry.get("httpStatusCode", 500))
    if status >= 300:
        error = _ERROR_BY_STATUS.get(status, SalesforceGeneralError)
        raise error(f"{sf.base_url}composite", status, f"composite {reference_id}", entry.get("body"))
    return entry["body"]


def _query_options(batch_size: int | None) -> dict[str, str]:
    return {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else {}


def _groups(queries: Sequence[Query], size: int) -> Iterator[list[Query]]:
    iterator = iter(queries)
    while group := list(islice(iterator, size)):
        yield group
