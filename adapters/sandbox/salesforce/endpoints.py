"""The REST handlers: query and paging, sObject CRUD and describe, collections, Bulk 2.0 query jobs, Tooling, limits.

Each handler takes the parsed `Request` and the path parameters and returns a `Response`, raising `ApiError` for a
Salesforce-shaped failure; authentication and the API counter wrap them in `app.SalesforceApp`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.sandbox.http import Request, Response
from adapters.sandbox.salesforce.api_errors import ApiError, RecordError, not_found
from adapters.sandbox.salesforce.bulk import BulkQueryJobs
from adapters.sandbox.salesforce.collections_api import RejectionPlan, save_collection
from adapters.sandbox.salesforce.query_plan import QueryPlan, bind
from adapters.sandbox.salesforce.query_results import Cursor, QueryCursors, RowShaper, attributes, query_page
from adapters.sandbox.salesforce.records import Record, RecordStore
from adapters.sandbox.salesforce.schema import ObjectSchema
from adapters.sandbox.salesforce.sessions import DailyApiCounter
from adapters.sandbox.salesforce.soql import parse
from adapters.sandbox.salesforce.tooling import create_custom_field

DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE, MAX_BATCH_SIZE = 200, 2000
CSV_CONTENT_TYPE = "text/csv"


def json_body(request: Request) -> Any:
    try:
        return request.json()
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character in request body: {error}") from error


def batch_size(request: Request) -> int:
    """``Sforce-Query-Options: batchSize=N``: 200..2000, a hint Salesforce may lower but never exceeds."""
    header = request.headers.get("Sforce-Query-Options", "")
    for option in header.split(","):
        key, _, value = option.strip().partition("=")
        if key.strip().lower() == "batchsize" and value.strip().isdigit():
            return min(max(int(value), MIN_BATCH_SIZE), MAX_BATCH_SIZE)
    return DEFAULT_BATCH_SIZE


@dataclass
class Endpoints:
    store: RecordStore
    cursors: QueryCursors
    jobs: BulkQueryJobs
    api_counter: DailyApiCounter
    rejections: RejectionPlan

    # -- queries ------------------------------------------------------------------------------------------

    def _plan(self, soql: str | None) -> QueryPlan:
        if soql is None:
            raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
        return bind(parse(soql), self.store)

    def query(self, request: Request, version: str, route: str) -> Response:
        plan = self._plan(request.param("q"))
        records = plan.run(self.store, include_deleted=route == "queryAll")
        if plan.count_only:
            return Response.json(200, {"totalSize": len(records), "done": True, "records": []})
        cursor = Cursor(RowShaper(plan, self.store, version), records, batch_size(request), self.store.clock())
        return Response.json(200, query_page(self.cursors, cursor, None, 0, route))

    def query_more(self, request: Request, version: str, route: str, locator: str, offset: str) -> Response:
        cursor = self.cursors.take(locator)
        return Response.json(200, query_page(self.cursors, cursor, locator, int(offset), route))

    def create_query_job(self, request: Request, version: str) -> Response:
        body = json_body(request)
        if not isinstance(body, dict) or body.get("operation") not in ("query", "queryAll"):
            raise ApiError(400, "INVALIDJOB", "Invalid operation: expected query or queryAll")
        plan = self._plan(body.get("query"))
        records = plan.run(self.store, include_deleted=body["operation"] == "queryAll")
        job = self.jobs.create(body, plan, records, version)
        return Response.json(200, job.info(self.store.api_user_id))

    def get_query_job(self, request: Request, version: str, job_id: str) -> Response:
        return Response.json(200, self.jobs.poll(job_id).info(self.store.api_user_id))

    def delete_query_job(self, request: Request, version: str, job_id: str) -> Response:
        self.jobs.delete(job_id)
        return Response(204)

    def query_job_results(self, request: Request, version: str, job_id: str) -> Response:
        text, headers = self.jobs.results(job_id, version, request.param("locator"), request.param("maxRecords"))
        return Response(200, text.encode(), content_type=CSV_CONTENT_TYPE, headers=headers)

    # -- sObjects -----------------------------------------------------------------------------------------

    def describe_global(self, request: Request, version: str) -> Response:
        sobjects = [obj.describe_global(version) for obj in self.store.schema]
        return Response.json(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects})

    def describe(self, request: Request, version: str, sobject: str) -> Response:
        obj = self.store.object_schema(sobject)
        if obj is None:
            raise not_found()
        return Response.json(200, obj.describe(version))

    def sobject_info(self, request: Request, version: str, sobject: str) -> Response:
        obj = self.store.object_schema(sobject)
        if obj is None:
            raise not_found()
        return Response.json(200, {"objectDescribe": obj.describe_global(version), "recentItems": []})

    def create(self, request: Request, version: str, sobject: str) -> Response:
        if self.store.object_schema(sobject) is None:
            raise not_found()
        body = json_body(request)
        if not isinstance(body, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sObject from a non-object value")
        try:
            record_id = self.store.create(sobject, body)
        except RecordError as error:
            raise error.as_api_error() from error
        return Response.json(201, {"id": record_id, "success": True, "errors": []})

    def read(self, request: Request, version: str, sobject: str, record_id: str) -> Response:
        obj, record = self._live_record(sobject, record_id)
        return Response.json(200, self._record_json(obj, record, request.param("fields"), version))

    def collection_read(self, request: Request, version: str, sobject: str) -> Response:
        """``GET composite/sobjects/{type}?ids=...&fields=...``: records in the order asked, null for missing ids."""
        obj = self.store.object_schema(sobject)
        if obj is None:
            raise not_found()
        ids = [value.strip() for value in (request.param("ids") or "").split(",") if value.strip()]
        if not ids or not request.param("fields"):
            raise ApiError(400, "MALFORMED_QUERY", "ids and fields are required")
        if len(ids) > 2000:
            raise ApiError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 2000 records")
        records = [self.store.get(record_id) for record_id in ids]
        body = [
            self._record_json(obj, record, request.param("fields"), version)
            if record is not None and record["Id"][:3] == obj.key_prefix
            else None
            for record in records
        ]
        return Response.json(200, body)

    def _live_record(self, sobject: str, record_id: str) -> tuple[ObjectSchema, Record]:
        """The record a single-record call names: 404 NOT_FOUND when there is none, 404 ENTITY_IS_DELETED when it
        is in the recycle bin (Salesforce tells the two apart; a connector must not take a deletion for a typo)."""
        obj = self.store.object_schema(sobject)
        record = self.store.get(record_id, include_deleted=True) if obj else None
        if obj is None or record is None or record["Id"][:3] != obj.key_prefix:
            raise not_found()
        if record["IsDeleted"]:
            raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        return obj, record

    @staticmethod
    def _record_json(obj: ObjectSchema, record: Record, wanted: str | None, version: str) -> dict[str, Any]:
        names = [name.strip() for name in wanted.split(",")] if wanted else list(obj.fields)
        out: dict[str, Any] = {"attributes": attributes(obj.name, record["Id"], version)}
        for name in names:
            spec = obj.field(name)
            if spec is None:
                raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on entity '{obj.name}'.")
            out[spec.name] = record.get(spec.name)
        return out

    def update(self, request: Request, version: str, sobject: str, record_id: str) -> Response:
        self._live_record(sobject, record_id)
        body = json_body(request)
        if not isinstance(body, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sObject from a non-object value")
        try:
            self.store.update(sobject, record_id, body)
        except RecordError as error:
            raise error.as_api_error() from error
        return Response(204)

    def delete(self, request: Request, version: str, sobject: str, record_id: str) -> Response:
        self._live_record(sobject, record_id)
        self.store.delete(sobject, record_id)
        return Response(204)

    def collection_create(self, request: Request, version: str) -> Response:
        results = save_collection(self.store, json_body(request), update=False, rejections=self.rejections)
        return Response.json(200, results)

    def collection_update(self, request: Request, version: str) -> Response:
        results = save_collection(self.store, json_body(request), update=True, rejections=self.rejections)
        return Response.json(200, results)

    # -- org ----------------------------------------------------------------------------------------------

    def tooling_custom_field(self, request: Request, version: str) -> Response:
        return Response.json(201, create_custom_field(self.store, json_body(request)))

    def limits(self, request: Request, version: str) -> Response:
        used, limit = self.api_counter.used, self.api_counter.limit
        body = {
            "DailyApiRequests": {"Max": limit, "Remaining": max(limit - used, 0)},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
            "ConcurrentAsyncGetReportInstances": {"Max": 200, "Remaining": 200},
        }
        return Response.json(200, body)
