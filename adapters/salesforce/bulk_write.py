"""Large write-backs through Bulk API 2.0 ingest: one ``update`` job per object, the values as CSV.

A job costs about five API calls whatever its size (create, upload, close, a poll per ``bulk_poll_seconds``, the
successful results, and the failed or unprocessed ones when there are any), where collections cost one per 200
records. Salesforce processes the job asynchronously and reports every record in ``successfulResults`` or
``failedResults`` (``sf__Error`` = ``CODE:message:fields --``), in no promised order, so results are matched back
to the writes by Id. A record that failed for a passing reason (a row lock) or that a failed or aborted job never
processed is sent again through collections in the same run; other failures reach the ledger with their error.
We drive the job ourselves instead of ``sf.bulk2``, as for queries (bulk.py): every step goes through
``SalesforceClient.call`` (counted, retried, re-authenticated) and waits with the client's injected sleep.
https://developer.salesforce.com/docs/platform/api-asynch/guide/bulk-api-2-0-ingest.html
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from simple_salesforce.util import call_salesforce

from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.errors import retriable_record_error
from adapters.salesforce.mapping import WriteOptions
from adapters.salesforce.write import NOT_SENT, send_groups, write_scores
from connector.crm import ScoreWrite, WriteResult

#: Writes the sync hands over per call when Bulk is on (its batches are 1,000 otherwise, never a job's worth):
#: 100,000 records make one job per object, about 20 MB of CSV. The ledger commits once per batch, so a crash
#: mid-batch sends the batch again next run (an update sent twice leaves the same values).
BULK_WRITE_BATCH = 100_000
#: "To account for the base64 conversion increase, upload data that does not exceed 100 MB" (Upload Job Data).
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
#: The CSV value that clears a field: an empty cell leaves the field as it was.
NULL_VALUE = "#N/A"
TERMINAL_STATES = frozenset({"JobComplete", "Failed", "Aborted"})
#: Polls allowed when bulk_poll_seconds is 0 (tests), where the timeout cannot be counted in waits.
POLLS_WITHOUT_WAITING = 100
NOT_PROCESSED = "NOT_PROCESSED"
NO_RESULT = "NO_RESULT"


@dataclass(frozen=True)
class JobOutcome:
    """What one finished job says: its id, final state and message, and the result of each write by position."""

    job_id: str
    state: str
    results: list[WriteResult]


def write_scores_by_size(
    client: SalesforceClient,
    writes: Sequence[ScoreWrite],
    targets: Mapping[str, Mapping[str, str]],
    options: WriteOptions,
) -> list[WriteResult]:
    """One result per write, in order. Objects with at least ``options.bulk_threshold`` writes go through a Bulk
    job each; the rest, and bulk records worth another try, through collections (mixed types in one call)."""
    results: list[WriteResult | None] = [None] * len(writes)
    groups = _bulk_groups(writes, targets, options.bulk_threshold).values()  # each group is one object type
    sent, stopped = send_groups(
        writes,
        groups,
        lambda batch: run_update_jobs(client, batch[0].object_type, batch, targets[batch[0].object_type], options),
    )
    for index, outcome in sent.items():
        results[index] = outcome
    again = [index for index, result in enumerate(results) if result is None or worth_collections(result)]
    if again and stopped is None:
        for index, result in zip(again, write_scores(client, [writes[i] for i in again], targets), strict=True):
            results[index] = result
    return [result or WriteResult(writes[i].crm_id, False, NOT_SENT, str(stopped)) for i, result in enumerate(results)]


def _bulk_groups(
    writes: Sequence[ScoreWrite], targets: Mapping[str, Mapping[str, str]], threshold: int | None
) -> dict[str, list[int]]:
    if threshold is None:
        return {}
    groups: dict[str, list[int]] = {}
    for index, write in enumerate(writes):
        if targets.get(write.object_type):
            groups.setdefault(write.object_type, []).append(index)
    return {name: indexes for name, indexes in groups.items() if len(indexes) >= threshold}


def worth_collections(result: WriteResult) -> bool:
    return not result.ok and worth_resending(result.error_code)


def worth_resending(error_code: str | None) -> bool:
    """A record a job left unprocessed, or refused for a passing reason (a row lock), is sent again at once."""
    return error_code == NOT_PROCESSED or retriable_record_error(error_code or "")


def run_update_jobs(
    client: SalesforceClient,
    object_name: str,
    writes: Sequence[ScoreWrite],
    fields: Mapping[str, str],
    options: WriteOptions,
) -> list[WriteResult]:
    """The writes of one object through as many jobs as 100 MB uploads need (one for any realistic write-back)."""
    columns = ["Id", *sorted({fields[name] for write in writes for name in write.values if name in fields})]
    lines = [csv_line([write.crm_id, *_cells(write, columns, fields)]) for write in writes]
    header = csv_line(columns)
    results: list[WriteResult] = []
    for start, end in _parts(lines, len(header)):
        data = (header + "".join(lines[start:end])).encode("utf-8")
        results.extend(run_update_job(client, object_name, writes[start:end], data, options).results)
    return results


def run_update_job(
    client: SalesforceClient, object_name: str, writes: Sequence[ScoreWrite], data: bytes, options: WriteOptions
) -> JobOutcome:
    """Create, upload ``data`` (CSV, LF line endings), close, wait, and read the results of one update job."""
    what = f"bulk update of {len(writes)} {object_name} records"
    job_id = open_ingest_job(client, object_name, "update", data, what)
    close_ingest_job(client, job_id, what)
    info = wait_for_job(client, job_id, what, options)
    return JobOutcome(job_id, str(info.get("state")), _job_results(client, info, writes, what))


def open_ingest_job(client: SalesforceClient, object_name: str, operation: str, data: bytes, what: str) -> str:
    """Create a job and upload ``data`` (CSV with its header, LF line endings); returns the job id. An open job is
    never processed, so until it is closed nothing of it reaches the org."""
    body = {"object": object_name, "operation": operation, "contentType": "CSV", "columnDelimiter": "COMMA"}
    job = client.call(what, lambda sf: sf.restful("jobs/ingest", method="POST", json={**body, "lineEnding": "LF"}))
    job_id = str(job["id"])
    client.call(what, lambda sf: _upload(sf, job_id, data))
    return job_id


def close_ingest_job(client: SalesforceClient, job_id: str, what: str) -> None:
    """Mark the upload complete: from here Salesforce processes the job on its own, whatever becomes of us."""
    client.call(what, lambda sf: sf.restful(f"jobs/ingest/{job_id}", method="PATCH", json={"state": "UploadComplete"}))


def csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def _cells(write: ScoreWrite, columns: Sequence[str], fields: Mapping[str, str]) -> list[str]:
    by_field = {fields[name]: csv_value(value) for name, value in write.values.items() if name in fields}
    return [by_field.get(column, "") for column in columns[1:]]


def csv_value(value: Any) -> str:
    """Bulk API CSV: booleans lower case, dates ISO, and an empty value (which collections store as null) as #N/A,
    because an empty cell would leave the old value in place."""
    if value is None or value == "":
        return NULL_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _parts(lines: Sequence[str], header_size: int) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive lines whose upload, header included, stays within MAX_UPLOAD_BYTES."""
    start, size = 0, header_size
    for end, line in enumerate(lines):
        length = len(line.encode("utf-8"))
        if end > start and size + length > MAX_UPLOAD_BYTES:
            yield start, end
            start, size = end, header_size
        size += length
    if lines:
        yield start, len(lines)


def _upload(sf: Any, job_id: str, data: bytes) -> None:
    headers = {**sf.headers, "Content-Type": "text/csv"}
    call_salesforce(f"{sf.base_url}jobs/ingest/{job_id}/batches", "PUT", sf.session, headers, data=data)


def wait_for_job(client: SalesforceClient, job_id: str, what: str, options: WriteOptions) -> Mapping[str, Any]:
    """Poll until the job ends; past ``bulk_timeout_seconds`` abort it (what it did not process comes back as
    unprocessed records)."""
    pause = options.bulk_poll_seconds
    polls = math.ceil(options.bulk_timeout_seconds / pause) if pause > 0 else POLLS_WITHOUT_WAITING
    for _ in range(polls):
        client.sleep(pause)
        info = client.call(what, lambda sf: sf.restful(f"jobs/ingest/{job_id}"))
        if info.get("state") in TERMINAL_STATES:
            return info
    client.call(what, lambda sf: sf.restful(f"jobs/ingest/{job_id}", method="PATCH", json={"state": "Aborted"}))
    # The abort's answer carries no record counts (Close or Abort a Job): the job info does.
    return client.call(what, lambda sf: sf.restful(f"jobs/ingest/{job_id}"))


def _job_results(
    client: SalesforceClient, info: Mapping[str, Any], writes: Sequence[ScoreWrite], what: str
) -> list[WriteResult]:
    """Per write, in order: read only the result lists the job's counts say are not empty."""
    job_id = str(info["id"])
    processed, failed = int(info.get("numberRecordsProcessed") or 0), int(info.get("numberRecordsFailed") or 0)
    positions: dict[str, list[int]] = {}
    for position, write in enumerate(writes):
        positions.setdefault(write.crm_id[:15], []).append(position)
    results: list[WriteResult | None] = [None] * len(writes)

    def place(row: Mapping[str, str], make: Any) -> None:
        key = (row.get("Id") or row.get("sf__Id") or "")[:15]
        if positions.get(key):
            position = positions[key].pop(0)
            results[position] = make(writes[position].crm_id, row)

    if processed > failed:
        for row in result_rows(client, job_id, "successfulResults", what):
            place(row, lambda crm_id, _: WriteResult(crm_id, True))
    if failed:
        for row in result_rows(client, job_id, "failedResults", what):
            place(row, lambda crm_id, row: WriteResult(crm_id, False, *parse_sf_error(row.get("sf__Error", ""))))
    if processed < len(writes):
        ended = f"bulk job {job_id} ended {info.get('state')} before this record: {info.get('errorMessage', '')}"
        for row in result_rows(client, job_id, "unprocessedrecords", what):
            place(row, lambda crm_id, _: WriteResult(crm_id, False, NOT_PROCESSED, ended.strip()))
    missing = f"bulk job {job_id} reported no result for this record"
    pairs = zip(writes, results, strict=True)
    return [result or WriteResult(write.crm_id, False, NO_RESULT, missing) for write, result in pairs]


def result_rows(client: SalesforceClient, job_id: str, kind: str, what: str) -> list[dict[str, str]]:
    """One of a finished job's result lists (successfulResults, failedResults, unprocessedrecords) as CSV rows."""
    response = client.call(
        what,
        lambda sf: call_salesforce(
            f"{sf.base_url}jobs/ingest/{job_id}/{kind}", "GET", sf.session, {**sf.headers, "Accept": "text/csv"}
        ),
    )
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def parse_sf_error(text: str) -> tuple[str, str]:
    """``UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--`` -> (code, message); the fields,
    when named before `` --``, are appended as in collection results."""
    code, _, rest = text.partition(":")
    rest = rest.removesuffix("--").rstrip()
    message, separator, named = rest.rpartition(":")
    if not separator:
        message, named = rest, ""
    suffix = f" (fields: {named.replace(',', ', ')})" if named.strip() else ""
    return code or "UNKNOWN", message + suffix
