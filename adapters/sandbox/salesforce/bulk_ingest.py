"""Bulk API 2.0 ingest jobs (operations ``update`` and ``insert``): create, upload CSV, close, poll, read per-record
results, abort, list.

The life of a job as Salesforce documents it (https://developer.salesforce.com/docs/platform/api-asynch/guide/
bulk-api-2-0-ingest.html): ``Open`` while CSV is uploaded (``PUT .../batches``, 201, at most 150 MB of base64 in
total), ``UploadComplete`` once closed, then ``InProgress`` and ``JobComplete`` (or ``Failed`` / ``Aborted``).
Processing happens at the Nth poll after close (``polls_to_complete``, default 1), so clients run their real
wait-and-poll loop without the stand-in sleeping. A header naming a field the object lacks fails the whole job
("InvalidBatch : Field name not found"); every other problem fails its record, reported in ``failedResults`` as
``sf__Error`` = ``CODE:message:fields --`` beside the row as uploaded. An empty cell leaves a field unchanged and
``#N/A`` clears it, as Bulk API CSV does (on insert both leave the field unset). An inserted record's
``successfulResults`` row carries its new id in ``sf__Id`` and ``sf__Created`` = ``true``; a failed insert has an
empty ``sf__Id``. Results come back in no promised order.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.sandbox.salesforce.api_errors import ApiError, RecordError, not_found
from adapters.sandbox.salesforce.bulk import job_info
from adapters.sandbox.salesforce.collections_api import RejectionPlan, lock_error
from adapters.sandbox.salesforce.ids import IdFactory
from adapters.sandbox.salesforce.records import RecordStore
from adapters.sandbox.salesforce.values import format_datetime

#: "A request can provide CSV data that does not in total exceed 150 MB of base64 encoded content."
MAX_UPLOAD_BASE64_BYTES = 150 * 1024 * 1024
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
#: The CSV value that sets a field to null; an empty cell leaves the field as it is.
NULL_VALUE = "#N/A"
OPEN, UPLOAD_COMPLETE, IN_PROGRESS = "Open", "UploadComplete", "InProgress"
JOB_COMPLETE, FAILED, ABORTED = "JobComplete", "Failed", "Aborted"
TERMINAL = frozenset({JOB_COMPLETE, FAILED, ABORTED})
SUPPORTED_OPERATIONS = frozenset({"update", "insert"})


@dataclass
class IngestJob:
    job_id: str
    object_name: str
    operation: str
    delimiter: str
    line_ending: str
    version: str
    created: str
    state: str = OPEN
    data: list[str] = field(default_factory=list)
    polls_after_close: int = 0
    error_message: str = ""
    header: list[str] = field(default_factory=list)
    successful: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    unprocessed: list[dict[str, str]] = field(default_factory=list)

    def uploaded_bytes(self) -> int:
        return sum(len(chunk.encode("utf-8")) for chunk in self.data)

    def info(self, created_by: str) -> dict[str, Any]:
        processed = len(self.successful) + len(self.failed)
        body = job_info(self, created_by, "V2Ingest", self.line_ending, self.delimiter, processed)
        body["contentUrl"] = f"services/data/v{self.version}/jobs/ingest/{self.job_id}/batches"
        body["numberRecordsFailed"] = len(self.failed)
        if self.error_message:
            body["errorMessage"] = self.error_message
        return body


def sf_error(error: RecordError) -> str:
    """Bulk's ``sf__Error`` cell: ``STATUS_CODE:message:field,field --`` (``--`` alone when no field is named)."""
    return f"{error.status_code}:{error.message}:{','.join(error.fields)} --".replace(": --", ":--")


class BulkIngestJobs:
    def __init__(
        self,
        store: RecordStore,
        clock: Callable[[], datetime],
        rejections: RejectionPlan,
        *,
        polls_to_complete: int = 1,
        max_upload_base64_bytes: int = MAX_UPLOAD_BASE64_BYTES,
        ids: IdFactory | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._rejections = rejections
        self.polls_to_complete = polls_to_complete
        self.max_upload_base64_bytes = max_upload_base64_bytes
        self._ids = ids or IdFactory()
        self._jobs: dict[str, IngestJob] = {}
        self._lock = threading.Lock()

    def create(self, body: Any, version: str) -> IngestJob:
        if not isinstance(body, Mapping):
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        operation, object_name = body.get("operation"), body.get("object")
        if operation not in SUPPORTED_OPERATIONS:
            message = f"InvalidJob : the sandbox serves operations insert and update only, not {operation}"
            raise ApiError(400, "INVALIDJOB", message)
        obj = self._store.object_schema(str(object_name or ""))
        if obj is None:
            raise ApiError(400, "INVALIDJOB", f"InvalidJob : Unable to find object: {object_name}")
        delimiter, line_ending = body.get("columnDelimiter", "COMMA"), body.get("lineEnding", "LF")
        if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS or body.get("contentType", "CSV") != "CSV":
            raise ApiError(400, "INVALIDJOB", "InvalidJob : columnDelimiter, lineEnding or contentType not supported")
        job = IngestJob(self._ids.new_id("750"), obj.name, operation, delimiter, line_ending, version, self._stamp())
        with self._lock:
            self._jobs[job.job_id] = job
        return job

    def upload(self, job_id: str, data: bytes) -> None:
        job = self.get(job_id)
        if job.state != OPEN:
            raise ApiError(409, "INVALIDJOBSTATE", f"Job {job_id} is not open for uploads: {job.state}")
        if not data:
            raise ApiError(400, "INVALIDREQUEST", "The CSV data is empty")
        base64_size = 4 * -(-(job.uploaded_bytes() + len(data)) // 3)
        if base64_size > self.max_upload_base64_bytes:
            raise ApiError(400, "INVALIDREQUEST", "Job data exceeds the 150 MB (base64) limit; use several jobs")
        job.data.append(data.decode("utf-8"))

    def set_state(self, job_id: str, body: Any) -> IngestJob:
        job = self.get(job_id)
        wanted = body.get("state") if isinstance(body, Mapping) else None
        if wanted == UPLOAD_COMPLETE and job.state == OPEN:
            job.state = UPLOAD_COMPLETE
        elif wanted == ABORTED and job.state not in TERMINAL:
            job.state = ABORTED
            job.unprocessed = self._rows(job)[1] if job.data else []
        else:
            message = f"Can't change the state of job {job_id} from {job.state} to {wanted}"
            raise ApiError(400, "INVALIDJOBSTATE", message)
        return job

    def poll(self, job_id: str) -> IngestJob:
        job = self.get(job_id)
        if job.state in (UPLOAD_COMPLETE, IN_PROGRESS):
            job.polls_after_close += 1
            job.state = IN_PROGRESS
            if job.polls_after_close >= self.polls_to_complete:
                self._process(job)
        return job

    def results(self, job_id: str, kind: str) -> str:
        job = self.get(job_id)
        if job.state not in TERMINAL:
            raise ApiError(409, "INVALIDJOBSTATE", f"Job {job_id} is not complete: {job.state}")
        prefix = {"successfulResults": ["sf__Id", "sf__Created"], "failedResults": ["sf__Id", "sf__Error"]}
        rows = {"successfulResults": job.successful, "failedResults": job.failed, "unprocessedrecords": job.unprocessed}
        return _csv_text([*prefix.get(kind, []), *job.header], rows[kind], job)

    def delete(self, job_id: str) -> None:
        job = self.get(job_id)
        if job.state == OPEN or job.state == IN_PROGRESS:
            raise ApiError(400, "INVALIDJOBSTATE", f"Job {job_id} can't be deleted in state {job.state}")
        with self._lock:
            del self._jobs[job_id]

    def listed(self) -> list[IngestJob]:
        """Every job the org still holds, oldest first (Get All Jobs)."""
        with self._lock:
            return list(self._jobs.values())

    def get(self, job_id: str) -> IngestJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    # -- processing -------------------------------------------------------------------------------------------

    def _process(self, job: IngestJob) -> None:
        if not job.data:
            job.state, job.error_message = FAILED, "InvalidBatch : No data was uploaded for this job"
            return
        header, rows = self._rows(job)
        if header is None:
            job.state, job.unprocessed = FAILED, rows
            return
        obj = self._store.object_schema(job.object_name)
        assert obj is not None  # checked at create
        unknown = [name for name in header if name.lower() != "id" and obj.field(name) is None]
        if unknown:
            job.state, job.unprocessed = FAILED, rows
            job.error_message = f"InvalidBatch : Field name not found : {unknown[0]}"
            return
        rejected = self._rejections.rejected_positions(len(rows))
        save = self._insert_one if job.operation == "insert" else self._update_one
        for position, row in enumerate(rows):
            save(job, row, reject=position in rejected)
        job.state = JOB_COMPLETE

    def _insert_one(self, job: IngestJob, row: dict[str, str], *, reject: bool) -> None:
        values = {name: value for name, value in row.items() if value not in ("", NULL_VALUE)}
        try:
            if reject:
                raise lock_error(None)
            record_id = self._store.create(job.object_name, values)
            job.successful.append({"sf__Id": record_id, "sf__Created": "true", **row})
        except RecordError as error:
            job.failed.append({"sf__Id": "", "sf__Error": sf_error(error), **row})

    def _update_one(self, job: IngestJob, row: dict[str, str], *, reject: bool) -> None:
        record_id = next((value for name, value in row.items() if name.lower() == "id"), "")
        values = {
            name: (None if value == NULL_VALUE else value)
            for name, value in row.items()
            if name.lower() != "id" and value != ""
        }
        try:
            if reject:
                raise lock_error(record_id)
            if not record_id:
                raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
            self._store.update(job.object_name, record_id, values)
            saved = self._store.get(record_id, include_deleted=True)
            job.successful.append({"sf__Id": saved["Id"] if saved else record_id, "sf__Created": "false", **row})
        except RecordError as error:
            job.failed.append({"sf__Id": record_id, "sf__Error": sf_error(error), **row})

    def _rows(self, job: IngestJob) -> tuple[list[str] | None, list[dict[str, str]]]:
        """The header and rows of all uploads; a line ending other than the job's fails the job, as Salesforce's
        "ClientInputError : LineEnding is invalid on user data" does."""
        ending = LINE_ENDINGS[job.line_ending]
        header: list[str] | None = None
        rows: list[dict[str, str]] = []
        for chunk in job.data:
            if (ending == "\n" and "\r\n" in chunk) or (ending == "\r\n" and "\n" in chunk.replace("\r\n", "")):
                job.error_message = (
                    "ClientInputError : LineEnding is invalid on user data."
                    f" Current LineEnding setting is {job.line_ending}"
                )
                return None, rows
            reader = csv.reader(io.StringIO(chunk, newline=""), delimiter=DELIMITERS[job.delimiter])
            lines = [line for line in reader if line]
            header = job.header = lines[0]  # every upload starts with its header row
            rows.extend(dict(zip(header, line, strict=False)) for line in lines[1:])
        return header, rows

    def _stamp(self) -> str:
        return format_datetime(self._clock())


def _csv_text(columns: list[str], rows: list[dict[str, str]], job: IngestJob) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITERS[job.delimiter], lineterminator=LINE_ENDINGS[job.line_ending])
    writer.writerow(columns)
    writer.writerows([row.get(column, "") for column in columns] for row in rows)
    return buffer.getvalue()
