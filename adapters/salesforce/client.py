"""The one door to Salesforce: every call goes through `SalesforceClient.call`, which counts it, retries it,
re-authenticates once on an expired session and stops before the configured share of the daily allocation."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from adapters.ca_bundle import ca_bundle_file
from adapters.salesforce.auth import Authenticator
from adapters.salesforce.errors import SESSION_EXPIRED, classify, classify_transport
from adapters.salesforce.retry import retry_policy
from adapters.salesforce.settings import SalesforceSettings
from connector.crm import ApiUsage
from connector.errors import AuthError, LimitReachedError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: `Sforce-Limit-Info: api-usage=18/5000[; per-app-api-usage=...]`; searched, not matched, so order does not matter.
API_USAGE = re.compile(r"(?<![\w-])api-usage=(\d+)/(\d+)")


#: OAuth token requests are not API calls in Salesforce's accounting (they never count against the allocation).
LOGIN_PATH = "/services/oauth2/"


class ApiMeter:
    """Watches every HTTP response on the session: API calls made (retries included, logins not), 429s, the
    daily usage Salesforce reports, and the last Retry-After."""

    def __init__(self) -> None:
        self.calls = 0
        self.rate_limited = 0
        self.daily_used: int | None = None
        self.daily_limit: int | None = None
        self.retry_after: float | None = None

    def observe(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        if LOGIN_PATH not in response.request.path_url:
            self.calls += 1
        if response.status_code == 429:
            self.rate_limited += 1
        self.retry_after = _seconds(response.headers.get("Retry-After"))
        found = API_USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if found:
            self.daily_used, self.daily_limit = int(found.group(1)), int(found.group(2))

    def usage(self) -> ApiUsage:
        return ApiUsage(self.calls, self.daily_used, self.daily_limit, self.rate_limited)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP-date; Salesforce sends seconds, so fall back to our own backoff


class _TimeoutSession(requests.Session):
    """simple-salesforce passes no timeout on most calls; without one a stalled socket hangs the run forever."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


def make_http_session(settings: SalesforceSettings) -> requests.Session:
    session = _TimeoutSession(settings.timeout_seconds)
    if settings.ca_bundle is not None:
        # REQUESTS_CA_BUNDLE in the environment would override `verify` (API_FACTS §0.2).
        session.trust_env = False
        session.verify = ca_bundle_file(settings.ca_bundle)
    return session


class SalesforceClient:
    def __init__(
        self,
        settings: SalesforceSettings,
        *,
        http: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.http = http or make_http_session(settings)
        self.meter = ApiMeter()
        self.http.hooks["response"].append(self.meter.observe)
        self.sleep = sleep
        self._auth = Authenticator(settings, self.http, environ=environ, clock=clock)
        self._sf: Salesforce | None = None

    # -- the door ---------------------------------------------------------------------------------------------

    def call(self, what: str, operation: Callable[[Salesforce], T], *, retry: bool = True) -> T:
        """Run one API operation; with ``retry`` (safe only for idempotent operations) under the retry policy."""
        self.check_daily_limit()
        if not retry:
            return self._call_once(what, operation)
        for attempt in retry_policy(self.settings.retry, sleep=self.sleep):
            with attempt:
                return self._call_once(what, operation)
        raise AssertionError("unreachable: the retry policy re-raises")  # pragma: no cover

    def check_daily_limit(self) -> None:
        used, limit = self.meter.daily_used, self.meter.daily_limit
        share = self.settings.daily_limit_share
        if used is not None and limit and used >= share * limit:
            raise LimitReachedError(
                f"Salesforce daily API usage is {used}/{limit}, at or over the configured share of {share:.0%}"
                " (settings.daily_limit_share); stopping before new work, the next run carries on"
            )

    def _call_once(self, what: str, operation: Callable[[Salesforce], T]) -> T:
        try:
            return self._translated(what, operation)
        except _SessionExpired:
            if not self._auth.can_refresh:
                raise AuthError(
                    f"Salesforce {what}: the session id expired and `session` auth cannot renew it;"
                    " provide a fresh one or use jwt_bearer"
                ) from None
            log.info("Salesforce session expired; logging in again")
            self._connect()
        try:
            return self._translated(what, operation)
        except _SessionExpired:
            raise AuthError(f"Salesforce {what}: a freshly issued session was refused as invalid") from None

    def _translated(self, what: str, operation: Callable[[Salesforce], T]) -> T:
        salesforce = self.salesforce()
        try:
            return operation(salesforce)
        except SalesforceError as error:
            raised, code = classify(error.status, error.content, what=what, retry_after=self.meter.retry_after)
            if code == SESSION_EXPIRED:
                raise _SessionExpired from None
            raise raised from None
        except requests.RequestException as error:
            raise classify_transport(error, what=what) from None

    # -- the session ------------------------------------------------------------------------------------------

    def salesforce(self) -> Salesforce:
        if self._sf is None:
            self._connect()
        assert self._sf is not None
        return self._sf

    def _connect(self) -> None:
        # Not retried here: this runs inside `call`, whose policy already retries a transient login failure.
        token = self._auth.login()
        self._sf = Salesforce(
            session_id=token.access_token.get_secret_value(),
            instance_url=token.instance_url,
            session=self.http,
            version=self.settings.api_version,
        )

    # -- common operations ------------------------------------------------------------------------------------

    def query_pages(
        self, soql: str, *, what: str, include_deleted: bool = False, batch_size: int | None = None
    ) -> Iterator[list[Mapping[str, Any]]]:
        """A SOQL query, one list of records per API call; each page is fetched (and retried) on its own."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else {}
        result = self.call(what, lambda sf: sf.query(soql, include_deleted=include_deleted, headers=headers))
        while True:
            yield list(result["records"])
            if result.get("done", True):
                return
            next_url = result["nextRecordsUrl"]
            result = self.call(
                what, lambda sf, url=next_url: sf.query_more(url, identifier_is_url=True, headers=headers)
            )

    def count(self, soql: str, *, what: str) -> int:
        return int(self.call(what, lambda sf: sf.query(soql))["totalSize"])

    def describe(self, object_name: str) -> Mapping[str, Any]:
        return self.call(f"describe {object_name}", lambda sf: sf.restful(f"sobjects/{object_name}/describe/"))

    def usage(self) -> ApiUsage:
        return self.meter.usage()


class _SessionExpired(Exception):
    """Internal signal: Salesforce answered INVALID_SESSION_ID."""
