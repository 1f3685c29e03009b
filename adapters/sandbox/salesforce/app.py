"""The Salesforce stand-in as a `CrmApp`: its routes, bearer-token check, daily API counter and data-level faults.

Every ``/services/data`` call needs a live session and spends one request of the daily allocation; the
``Sforce-Limit-Info`` header reports the count. The OAuth token endpoint is open, as Salesforce's is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from adapters.sandbox.http import Fault, Request, Response, Route
from adapters.sandbox.salesforce.api_errors import ApiError, RecordError
from adapters.sandbox.salesforce.api_versions import check_version, version_listing
from adapters.sandbox.salesforce.bulk import BulkQueryJobs
from adapters.sandbox.salesforce.bulk_ingest import BulkIngestJobs
from adapters.sandbox.salesforce.collections_api import RejectionPlan
from adapters.sandbox.salesforce.composite import CompositeApi
from adapters.sandbox.salesforce.endpoints import Endpoints
from adapters.sandbox.salesforce.ids import IdFactory
from adapters.sandbox.salesforce.ingest_api import IngestEndpoints
from adapters.sandbox.salesforce.lead_conversion import add_queue, convert_lead
from adapters.sandbox.salesforce.merges import merge_accounts
from adapters.sandbox.salesforce.population_import import PopulationImporter
from adapters.sandbox.salesforce.query_results import QueryCursors
from adapters.sandbox.salesforce.records import RecordStore, ordered_for_loading, utc_now
from adapters.sandbox.salesforce.reps import complete_share
from adapters.sandbox.salesforce.schema import OrgSchema
from adapters.sandbox.salesforce.sessions import Credentials, DailyApiCounter, OAuthError, SessionRegistry
from connector.errors import InputError

API = r"/services/data/v(?P<version>\d+\.\d)"
SOBJECT = r"(?P<sobject>[A-Za-z][A-Za-z0-9_]*)"
RECORD_ID = r"(?P<record_id>[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)"
QUERY = r"(?P<route>query|queryAll)"
#: Salesforce's default inactivity timeout for a session is two hours.
DEFAULT_SESSION_TIMEOUT = timedelta(hours=2)
DEFAULT_DAILY_LIMIT = 100_000

#: Bodies for injected transport faults. Salesforce has no 429 for the daily allocation (that is 403), but it
#: answers REQUEST_LIMIT_EXCEEDED for too many concurrent long-running requests.
INJECTED_ERRORS = {
    400: ("MALFORMED_QUERY", "Injected bad request"),
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    429: ("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
    500: (
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
        "1394208473-38125 (-1207713522)",
    ),
    502: ("SERVER_UNAVAILABLE", "Bad gateway"),
    503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable, please try again later"),
    504: ("REQUEST_TIMEOUT", "Your request exceeded the time limit for processing"),
}


class SalesforceApp:
    """One in-memory org served over the Salesforce REST, Bulk 2.0 and Tooling API shapes."""

    name = "salesforce"

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = utc_now,
        session_timeout: timedelta = DEFAULT_SESSION_TIMEOUT,
        daily_limit: int = DEFAULT_DAILY_LIMIT,
        credentials: Credentials | None = None,
    ) -> None:
        self.clock = clock
        self.store = RecordStore(OrgSchema.standard(), clock=clock)
        self.sessions = SessionRegistry(clock, session_timeout, credentials or Credentials())
        self.api_counter = DailyApiCounter(daily_limit)
        self.rejections = RejectionPlan()
        self.cursors = QueryCursors(clock, IdFactory())
        self.population = PopulationImporter(self.store)
        self.endpoints = Endpoints(self.store, self.cursors, BulkQueryJobs(clock), self.api_counter, self.rejections)
        #: Bulk API 2.0 ingest; `ingest.polls_to_complete` sets how many polls after close a job takes.
        self.ingest = BulkIngestJobs(self.store, clock, self.rejections)

    # -- data ---------------------------------------------------------------------------------------------

    def issue_token(self) -> str:
        """A fresh session token, as a login would give."""
        return self.sessions.issue()

    def insert(self, object_name: str, fields: Mapping[str, Any]) -> str:
        """Add one record in Salesforce field names (audit fields allowed); returns its id."""
        return self.store.insert(object_name, fields)

    def convert_lead(self, lead_id: str, *, contact_id: str | None = None) -> str:
        """Convert a lead as a rep would (into a new Contact, or into `contact_id`); returns the Contact id."""
        return convert_lead(self.store, lead_id, contact_id=contact_id)

    def merge_accounts(self, master_id: str, merged_ids: Sequence[str]) -> None:
        """Merge duplicate accounts into `master_id` as a rep would (see merges.py)."""
        merge_accounts(self.store, master_id, merged_ids)

    def add_queue(self, name: str) -> str:
        """A lead queue (Group of Type Queue) that can own leads; returns its id."""
        return add_queue(self.store, name)

    def load_records(self, payload: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, int]:
        """Load records by object name, parents first; a record may carry its own Id for others to point at."""
        loaded = {}
        for object_name in ordered_for_loading(payload):
            for number, fields in enumerate(payload[object_name], start=1):
                try:
                    self.store.insert(object_name, fields)
                except RecordError as error:
                    raise InputError(f"{object_name} record {number}: {error} (use Salesforce field names)") from error
            loaded[object_name] = len(payload[object_name])
        return loaded

    def load_population(self, population: Any, deals: Sequence[Any] | None = None) -> dict[str, int]:
        """Turn the neutral generated population into Users, Accounts, Leads, Contacts, activity, and Opportunities
        with their contact roles (`deals`, by default the population's own from `generate_outcomes`)."""
        return self.population.import_population(population, deals)

    def add_touches(self, touches: Iterable[Any]) -> int:
        """New activity of already-loaded people ("the users keep working"), e.g. from `more_touches`."""
        return self.population.add_touches(touches)

    def dump_state(self) -> dict[str, Any]:
        return {"store": self.store.dump(), "api_usage": self.api_counter.used}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        self.store.restore(state["store"])
        self.api_counter.used = int(state.get("api_usage", 0))
        self.cursors.clear()

    # -- CrmApp -------------------------------------------------------------------------------------------

    def routes(self) -> Sequence[Route]:
        api_routes = self._api_routes()
        # Composite subrequests go to the unwrapped handlers: the composite request is checked and counted once.
        composite = CompositeApi(api_routes, self.store)
        api_routes.append(Route("POST", rf"{API}/composite/?", composite.serve, "sf.composite"))
        return [
            Route("POST", r"/services/oauth2/token/?", self._token, "sf.oauth.token"),
            Route("GET", r"/services/data/?", self._versions, "sf.versions"),
            *(Route(route.method, route.pattern, self._api(route.handler), route.name) for route in api_routes),
        ]

    def _api_routes(self) -> list[Route]:
        """The ``/services/data/vNN.N`` routes with their bare handlers (no session check, no API count)."""
        e = self.endpoints
        table = [
            ("GET", rf"{API}/limits/?", e.limits, "sf.limits"),
            ("GET", rf"{API}/{QUERY}/?", e.query, "sf.query"),
            (
                "GET",
                rf"{API}/{QUERY}/(?P<locator>01g[A-Za-z0-9]{{12,15}})-(?P<offset>\d+)/?",
                e.query_more,
                "sf.query.more",
            ),
            ("GET", rf"{API}/sobjects/?", e.describe_global, "sf.describe.global"),
            ("GET", rf"{API}/sobjects/{SOBJECT}/describe/?", e.describe, "sf.describe"),
            ("GET", rf"{API}/sobjects/{SOBJECT}/?", e.sobject_info, "sf.sobject.info"),
            ("POST", rf"{API}/sobjects/{SOBJECT}/?", e.create, "sf.sobject.create"),
            ("GET", rf"{API}/sobjects/{SOBJECT}/{RECORD_ID}/?", e.read, "sf.sobject.read"),
            ("PATCH", rf"{API}/sobjects/{SOBJECT}/{RECORD_ID}/?", e.update, "sf.sobject.update"),
            ("DELETE", rf"{API}/sobjects/{SOBJECT}/{RECORD_ID}/?", e.delete, "sf.sobject.delete"),
            ("POST", rf"{API}/composite/sobjects/?", e.collection_create, "sf.composite.create"),
            ("PATCH", rf"{API}/composite/sobjects/?", e.collection_update, "sf.composite.update"),
            ("GET", rf"{API}/composite/sobjects/{SOBJECT}/?", e.collection_read, "sf.composite.read"),
            ("POST", rf"{API}/jobs/query/?", e.create_query_job, "sf.bulk2.create"),
            ("GET", rf"{API}/jobs/query/(?P<job_id>750\w+)/?", e.get_query_job, "sf.bulk2.poll"),
            ("DELETE", rf"{API}/jobs/query/(?P<job_id>750\w+)/?", e.delete_query_job, "sf.bulk2.delete"),
            ("GET", rf"{API}/jobs/query/(?P<job_id>750\w+)/results/?", e.query_job_results, "sf.bulk2.results"),
            ("POST", rf"{API}/tooling/sobjects/CustomField/?", e.tooling_custom_field, "sf.tooling.customfield"),
        ]
        ingest = IngestEndpoints(self.ingest, self.store).routes(API)
        return [*(Route(method, pattern, handler, name) for method, pattern, handler, name in table), *ingest]

    def error_response(self, status: int, kind: str) -> Response:
        if status == 404:
            return Response.json(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
        code, message = INJECTED_ERRORS.get(status, ("UNKNOWN_EXCEPTION", "An unexpected error occurred."))
        return Response.json(status, [{"message": message, "errorCode": code}])

    def apply_fault(self, fault: Fault) -> None:
        if fault.kind == "expire_sessions":
            self.sessions.expire_all()
        elif fault.kind == "daily_limit":
            self.api_counter.exhaust()
        elif fault.kind == "reject_share":
            self.rejections.arm(fault.share, fault.count)
        elif fault.kind == "reps_work":  # not a fault: the simulated reps complete a share of the open Tasks
            complete_share(self.store, fault.share)
        elif fault.kind == "clear":
            self.rejections.clear()
            self.api_counter.unexhaust()
        else:
            raise ValueError(f"the Salesforce sandbox has no fault kind {fault.kind!r}")

    # -- plumbing -----------------------------------------------------------------------------------------

    def _api(self, handler: Callable[..., Response]) -> Callable[..., Response]:
        """Authenticate, count the request against the daily allocation, and render Salesforce's error lists."""

        def serve(request: Request, **params: str) -> Response:
            try:
                check_version(params.get("version", ""))
                self.sessions.admit(_session_token(request))
                self.api_counter.spend()
                response = handler(request, **params)
            except ApiError as error:
                response = Response.json(error.status, error.body())
            except RecordError as error:
                api_error = error.as_api_error()
                response = Response.json(api_error.status, api_error.body())
            response.headers.setdefault("Sforce-Limit-Info", self.api_counter.header())
            return response

        return serve

    def _token(self, request: Request) -> Response:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        form.update({key: values[-1] for key, values in request.query.items()})
        instance_url = f"https://{request.headers.get('Host', '127.0.0.1')}"
        try:
            return Response.json(200, self.sessions.grant(form, instance_url, self.store.api_user_id))
        except OAuthError as error:
            return Response.json(400, error.body)

    def _versions(self, request: Request) -> Response:
        return Response.json(200, version_listing())


def _session_token(request: Request) -> str | None:
    """The session id from ``Authorization: Bearer <id>`` or the older ``OAuth <id>`` form Salesforce also takes."""
    value = request.headers.get("Authorization", "")
    return value[6:].strip() if value.lower().startswith("oauth ") else request.bearer_token()
