"""The HTTP handlers of Bulk API 2.0 ingest (``/jobs/ingest``), the routes simple-salesforce's ``bulk2`` calls:
create (POST), list (GET, every job the org holds, one page), upload (PUT ``batches``, ``text/csv``, 201), close or
abort (PATCH ``state``), job info (GET),
``successfulResults`` / ``failedResults`` / ``unprocessedrecords`` (CSV), delete (204).
https://developer.salesforce.com/docs/platform/api-asynch/guide/bulk-api-2-0-ingest.html
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.sandbox.http import Request, Response, Route
from adapters.sandbox.salesforce.api_errors import ApiError
from adapters.sandbox.salesforce.bulk_ingest import BulkIngestJobs
from adapters.sandbox.salesforce.records import RecordStore

CSV_CONTENT_TYPE = "text/csv"
JOB = r"(?P<job_id>750\w+)"
RESULTS = r"(?P<kind>successfulResults|failedResults|unprocessed[Rr]ecords)"


@dataclass
class IngestEndpoints:
    jobs: BulkIngestJobs
    store: RecordStore

    def routes(self, api: str) -> list[Route]:
        base = rf"{api}/jobs/ingest"
        return [
            Route("POST", rf"{base}/?", self.create, "sf.bulk2.ingest.create"),
            Route("GET", rf"{base}/?", self.listing, "sf.bulk2.ingest.list"),
            Route("PUT", rf"{base}/{JOB}/batches/?", self.upload, "sf.bulk2.ingest.upload"),
            Route("PATCH", rf"{base}/{JOB}/?", self.set_state, "sf.bulk2.ingest.state"),
            Route("GET", rf"{base}/{JOB}/?", self.poll, "sf.bulk2.ingest.poll"),
            Route("GET", rf"{base}/{JOB}/{RESULTS}/?", self.results, "sf.bulk2.ingest.results"),
            Route("DELETE", rf"{base}/{JOB}/?", self.delete, "sf.bulk2.ingest.delete"),
        ]

    def create(self, request: Request, version: str) -> Response:
        return Response.json(200, self.jobs.create(_json(request), version).info(self.store.api_user_id))

    def listing(self, request: Request, version: str) -> Response:
        records = [job.info(self.store.api_user_id) for job in self.jobs.listed()]
        return Response.json(200, {"done": True, "records": records, "nextRecordsUrl": None})

    def upload(self, request: Request, version: str, job_id: str) -> Response:
        content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
        if not content_type.lower().startswith(CSV_CONTENT_TYPE):
            raise ApiError(400, "INVALIDREQUEST", "Upload job data with Content-Type: text/csv")
        self.jobs.upload(job_id, request.body)
        return Response(201)

    def set_state(self, request: Request, version: str, job_id: str) -> Response:
        return Response.json(200, self.jobs.set_state(job_id, _json(request)).info(self.store.api_user_id))

    def poll(self, request: Request, version: str, job_id: str) -> Response:
        return Response.json(200, self.jobs.poll(job_id).info(self.store.api_user_id))

    def results(self, request: Request, version: str, job_id: str, kind: str) -> Response:
        # Salesforce documents `unprocessedrecords`; simple-salesforce asks for `unprocessedRecords`: both answer.
        text = self.jobs.results(job_id, kind.replace("unprocessedRecords", "unprocessedrecords"))
        return Response(200, text.encode(), content_type=CSV_CONTENT_TYPE)

    def delete(self, request: Request, version: str, job_id: str) -> Response:
        self.jobs.delete(job_id)
        return Response(204)


def _json(request: Request) -> object:
    try:
        return request.json()
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character in request body: {error}") from error
