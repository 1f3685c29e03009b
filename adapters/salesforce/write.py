"""Writing score values onto Leads and Contacts with sObject Collections: PATCH composite/sobjects, 200 records a
call of any mix of types, allOrNone false, so one rejected record never fails the others. Results come back in
request order.
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from adapters.salesforce.client import SalesforceClient
from connector.crm import ScoreWrite, WriteResult
from connector.errors import FatalCrmError, LimitReachedError, RetriableError

log = logging.getLogger(__name__)

#: sObject Collections take at most 200 records per request.
COLLECTION_LIMIT = 200
NOT_SENT = "NOT_SENT"
NO_TARGETS = "NO_WRITE_TARGETS"


def collection_record(write: ScoreWrite, targets: Mapping[str, str]) -> dict[str, Any]:
    """The Salesforce record for one write: logical targets renamed to their fields; unmapped ones left out."""
    record: dict[str, Any] = {"attributes": {"type": write.object_type}, "id": write.crm_id}
    record.update({targets[name]: value for name, value in write.values.items() if name in targets})
    return record


def write_scores(
    client: SalesforceClient, writes: Sequence[ScoreWrite], targets: Mapping[str, Mapping[str, str]]
) -> list[WriteResult]:
    """One result per write, in order. A chunk the CRM refuses as a whole marks its records failed; running out
    of retries or of the daily allocation marks that chunk and the rest as not sent, for the next run."""
    results: list[WriteResult | None] = [None] * len(writes)
    sendable: list[int] = []
    for index, write in enumerate(writes):
        if not targets.get(write.object_type):
            results[index] = WriteResult(
                write.crm_id, False, NO_TARGETS, f"no write_back fields for {write.object_type}"
            )
        else:
            sendable.append(index)
    # One call carries Leads and Contacts together; Salesforce processes a mixed collection in runs of one type, at
    # most 10 runs a call, so records are ordered by type: a call then holds one run per type.
    sendable.sort(key=lambda index: writes[index].object_type)
    chunks = [sendable[start : start + COLLECTION_LIMIT] for start in range(0, len(sendable), COLLECTION_LIMIT)]
    sent, _ = send_groups(writes, chunks, lambda batch: _send(client, batch, targets))
    for index, result in sent.items():
        results[index] = result
    return [result for result in results if result is not None]


def send_groups(
    writes: Sequence[ScoreWrite], groups: Iterable[Sequence[int]], send: Callable[[list[ScoreWrite]], list[WriteResult]]
) -> tuple[dict[int, WriteResult], str | None]:
    """Send each group of writes (indexes into `writes`) with `send`, in order: a group the CRM refuses as a whole
    fails its records; running out of retries or of the daily allocation marks that group and the rest not sent.
    Returns the result per index, and why sending stopped (None when it did not)."""
    results: dict[int, WriteResult] = {}
    stopped: str | None = None
    for indexes in groups:
        batch = [writes[index] for index in indexes]
        if stopped is None:
            try:
                outcomes = send(batch)
            except FatalCrmError as error:
                outcomes = [WriteResult(w.crm_id, False, "REQUEST_REFUSED", str(error)) for w in batch]
            except (RetriableError, LimitReachedError) as error:
                stopped = str(error)
        if stopped is not None:
            outcomes = [WriteResult(w.crm_id, False, NOT_SENT, stopped) for w in batch]
        results.update(zip(indexes, outcomes, strict=True))
    return results, stopped


def _send(
    client: SalesforceClient, batch: Sequence[ScoreWrite], targets: Mapping[str, Mapping[str, str]]
) -> list[WriteResult]:
    records = [collection_record(write, targets[write.object_type]) for write in batch]
    body = {"allOrNone": False, "records": records}
    answer = client.call(
        f"update of {len(records)} {' and '.join(sorted({w.object_type for w in batch}))} records",
        lambda sf: sf.restful("composite/sobjects", method="PATCH", json=body),
    )
    return save_results(batch, answer or [])


def save_results(batch: Sequence[ScoreWrite | Any], answer: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
    """SaveResults in request order; a failed one may carry no id, so ids come from what we sent."""
    results = []
    for position, write in enumerate(batch):
        if position >= len(answer):
            results.append(WriteResult(write.crm_id, False, "NO_RESULT", "Salesforce returned fewer results than sent"))
            continue
        item = answer[position]
        if item.get("success"):
            results.append(WriteResult(write.crm_id, True))
        else:
            code, message = first_save_error(item)
            results.append(WriteResult(write.crm_id, False, code, message))
    return results


def first_save_error(item: Mapping[str, Any]) -> tuple[str, str]:
    errors = item.get("errors") or [{}]
    first = errors[0]
    fields = first.get("fields") or []
    suffix = f" (fields: {', '.join(fields)})" if fields else ""
    return str(first.get("statusCode") or "UNKNOWN"), str(first.get("message") or "") + suffix
