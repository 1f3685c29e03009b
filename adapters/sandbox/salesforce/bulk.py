"""Bulk API 2.0 query jobs: create, poll, read CSV results page by page with ``Sforce-Locator``.

A job runs when it is created (the data is in memory), but reports ``UploadComplete`` until first polled, so
clients go through their real wait-and-poll loop.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.sandbox.salesforce.api_errors import ApiError, not_found
from adapters.sandbox.salesforce.ids import IdFactory
from adapters.sandbox.salesforce.query_plan import QueryPlan
from adapters.sandbox.salesforce.query_results import csv_text
from adapters.sandbox.salesforce.records import Record
from adapters.sandbox.salesforce.values import format_datetime

#: Without maxRecords, the sandbox pages results at this many rows (Salesforce pages by size, about 1 GB).
DEFAULT_RESULT_PAGE = 50_000


@dataclass
class QueryJob:
    job_id: str
    operation: str
    object_name: str
    version: str
    created: str
    plan: QueryPlan
    records: list[Record]
    polled: bool = False

    @property
    def state(self) -> str:
        return "JobComplete" if self.polled else "UploadComplete"

    def info(self, created_by: str) -> dict[str, Any]:
        processed = len(self.records) if self.polled else 0
        return job_info(self, created_by, "V2Query", "LF", "COMMA", processed)


def job_info(
    job: Any, created_by: str, job_type: str, line_ending: str, delimiter: str, processed: int
) -> dict[str, Any]:
    """The job info body Bulk API 2.0 answers for a query or an ingest job (GET .../jobs/query|ingest/{id})."""
    return {
        "id": job.job_id,
        "operation": job.operation,
        "object": job.object_name,
        "createdById": created_by,
        "createdDate": job.created,
        "systemModstamp": job.created,
        "state": job.state,
        "concurrencyMode": "Parallel",
        "contentType": "CSV",
        "apiVersion": float(job.version),
        "jobType": job_type,
        "lineEnding": line_ending,
        "columnDelimiter": delimiter,
        "numberRecordsProcessed": processed,
        "retries": 0,
        "totalProcessingTime": 0,
    }


def encode_locator(offset: int) -> str:
    """Salesforce's locators look like ``MTAwMDA``: the offset, base64 without padding."""
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(locator: str) -> int:
    try:
        return int(base64.b64decode(locator + "=" * (-len(locator) % 4)).decode())
    except ValueError as error:
        raise ApiError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}") from error


class BulkQueryJobs:
    def __init__(self, clock: Callable[[], datetime], ids: IdFactory | None = None) -> None:
        self._clock = clock
        self._ids = ids or IdFactory()
        self._jobs: dict[str, QueryJob] = {}
        self._lock = threading.Lock()

    def create(self, body: Mapping[str, Any], plan: QueryPlan, records: list[Record], version: str) -> QueryJob:
        if plan.count_only:
            raise ApiError(400, "API_ERROR", "Aggregate queries are not supported by Bulk API 2.0 query jobs")
        job = QueryJob(
            self._ids.new_id("750"),
            body.get("operation", "query"),
            plan.object_name,
            version,
            format_datetime(self._clock()),
            plan,
            records,
        )
        with self._lock:
            self._jobs[job.job_id] = job
        return job

    def get(self, job_id: str) -> QueryJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    def poll(self, job_id: str) -> QueryJob:
        job = self.get(job_id)
        job.polled = True
        return job

    def delete(self, job_id: str) -> None:
        with self._lock:
            if self._jobs.pop(job_id, None) is None:
                raise not_found()

    def results(self, job_id: str, version: str, locator: str | None, max_records: str | None) -> tuple[str, dict]:
        """A CSV page and its headers; ``Sforce-Locator`` is the string "null" on the last page."""
        job = self.get(job_id)
        if job.version != version:
            raise ApiError(409, "INVALIDJOBSTATE", "Results must be retrieved with the API version of the job")
        if not job.polled:
            raise ApiError(412, "JOB_NOT_COMPLETE", f"Job is not complete: {job.state}")
        start = decode_locator(locator) if locator else 0
        size = int(max_records) if max_records and max_records.isdigit() and int(max_records) > 0 else 0
        end = start + (size or DEFAULT_RESULT_PAGE)
        page = job.records[start:end]
        next_locator = encode_locator(end) if end < len(job.records) else "null"
        headers = {"Sforce-Locator": next_locator, "Sforce-NumberOfRecords": str(len(page))}
        return csv_text(job.plan, page), headers
