"""Building the hubspot-api-client for one portal, and the single door every HubSpot request goes through.

hubspot-api-client gives each API its own urllib3 pool. We build every API through our own ``api_factory`` and
put a `Gate` in front of each pool, so that every request, whichever API sends it, is paced by the portal's
`RateLimiter`, counted, authorized with the current token (refreshed on 401 for OAuth), and checked. Calls are
wrapped by `HubSpotClient.call`, which turns whatever failed into one `HubSpotApiError` and retries through
the one tenacity policy. The token lives only in the gate: generated configurations never hold it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import urllib3
from hubspot import HubSpot

from adapters.hubspot.errors import (
    HubSpotApiError,
    HubSpotAuthError,
    HubSpotFatalError,
    MalformedResponse,
    error_from_response,
    translate,
)
from adapters.hubspot.limiter import RateLimiter
from adapters.hubspot.retry import Sleep, retry_policy, wait_seconds
from adapters.hubspot.settings import Credentials

log = logging.getLogger(__name__)

T = TypeVar("T")

TOKEN_PATH = "/oauth/v1/token"


@dataclass
class CallCounts:
    calls: int = 0
    rate_limited: int = 0


class TokenSource:
    """The current access token; for OAuth, mints a new one from the refresh token when HubSpot says 401."""

    def __init__(self, credentials: Credentials) -> None:
        self.oauth = credentials.oauth
        self._token = credentials.access_token.get_secret_value() if credentials.access_token else None
        self._refresher: Callable[[], str] | None = None
        self._lock = threading.Lock()

    @property
    def can_refresh(self) -> bool:
        return self.oauth is not None and self._refresher is not None

    def bind_refresher(self, refresher: Callable[[], str]) -> None:
        self._refresher = refresher

    def header(self) -> str | None:
        with self._lock:
            return f"Bearer {self._token}" if self._token else None

    def refresh(self, stale_header: str | None) -> None:
        """Refresh once per expiry: threads that saw the same stale token wait for one refresh."""
        assert self._refresher is not None
        with self._lock:
            current = f"Bearer {self._token}" if self._token else None
            if current != stale_header:
                return
            self._token = self._refresher()
            log.info("HubSpot access token refreshed")


class Gate:
    """Wraps a urllib3 pool: pacing, counting, authorization, 401 refresh and a JSON sanity check."""

    def __init__(self, limiter: RateLimiter, tokens: TokenSource, counts: CallCounts, timeout: float) -> None:
        self.limiter = limiter
        self.tokens = tokens
        self.counts = counts
        self._timeout = urllib3.Timeout(total=timeout)
        self._lock = threading.Lock()
        self._last = threading.local()

    @property
    def last_status(self) -> int | None:
        return getattr(self._last, "status", None)

    def send(self, pool: Any, method: str, url: str, kwargs: dict[str, Any]) -> Any:
        path = urlsplit(url).path
        authorize = not path.startswith(TOKEN_PATH)
        if authorize and self.tokens.can_refresh and self.tokens.header() is None:
            self.tokens.refresh(None)  # OAuth without a stored access token: mint one before the first call
        response = self._send_once(pool, method, url, kwargs, authorize)
        if response.status == 401 and authorize and self.tokens.can_refresh:
            # OAuth access tokens live 30 minutes: mint a new one and carry on with the same request.
            self.tokens.refresh(kwargs["headers"].get("Authorization"))
            response = self._send_once(pool, method, url, kwargs, authorize)
        self._last.status = response.status
        _check_json(response)
        return response

    def _send_once(self, pool: Any, method: str, url: str, kwargs: dict[str, Any], authorize: bool) -> Any:
        headers = dict(kwargs.get("headers") or {})
        header = self.tokens.header() if authorize else None
        if header:
            headers["Authorization"] = header
        kwargs["headers"] = headers
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        grant = self.limiter.acquire(search=urlsplit(url).path.endswith("/search"))
        status, response_headers = None, {}
        try:
            response = pool.request(method, url, **kwargs)
            status, response_headers = response.status, response.headers
            return response
        finally:
            self.limiter.complete(grant, status, response_headers)
            with self._lock:
                self.counts.calls += 1
                self.counts.rate_limited += status == 429


class GatedPool:
    """Stands in for a generated API's urllib3 PoolManager; every request goes through the gate."""

    def __init__(self, pool: Any, gate: Gate) -> None:
        self._pool = pool
        self._gate = gate

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        return self._gate.send(self._pool, method, url, kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


class HubSpotClient:
    """The hubspot-api-client for one portal, with one error type, one retry policy and one limiter."""

    def __init__(
        self,
        *,
        host: str,
        credentials: Credentials,
        limiter: RateLimiter,
        sleep: Sleep,
        max_attempts: int = 5,
        timeout: float = 30.0,
        ca_bundle: str | None = None,
    ) -> None:
        self.host = host.rstrip("/")
        self.counts = CallCounts()
        self.tokens = TokenSource(credentials)
        self.gate = Gate(limiter, self.tokens, self.counts, timeout)
        self._ca_bundle = ca_bundle
        self._apis: dict[tuple[str, str], Any] = {}
        self._apis_lock = threading.Lock()
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._raw_pool = GatedPool(urllib3.PoolManager(retries=False, ca_certs=ca_bundle), self.gate)
        # `retry=False`: urllib3 must not retry on its own (it skips POSTs and raises MaxRetryError, API_FACTS §0.6).
        self.sdk = HubSpot(host=self.host, retry=False, api_factory=self._build_api)
        if credentials.oauth is not None:
            self.tokens.bind_refresher(self._refreshed_access_token)

    def call(self, operation: str, fn: Callable[..., T | None], *args: Any, **kwargs: Any) -> T:
        """Run one generated-client call under the retry policy; an unexpected 2xx (None) is an error."""
        return retry_policy(max_attempts=self._max_attempts, sleep=self._sleep)(
            self.call_once, operation, fn, *args, **kwargs
        )

    def call_once(self, operation: str, fn: Callable[..., T | None], *args: Any, **kwargs: Any) -> T:
        """One try, translated; for creates, whose retry must first look for what the lost answer created."""

        def attempt() -> T:
            try:
                result = fn(*args, **kwargs)
            except Exception as error:  # sub-packages share no exception base (API_FACTS §0.7): translate all
                raise translate(error, operation) from error
            if result is None:
                # hubspot-api-client returns None for any 2xx code it did not expect (API_FACTS §0.3).
                raise HubSpotFatalError(
                    f"HTTP {self.gate.last_status} is not a status the client expects; nothing was read",
                    operation=operation,
                    status=self.gate.last_status,
                )
            return result

        return attempt()

    def get_json(self, operation: str, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET an endpoint hubspot-api-client does not wrap (legacy email events, form submissions)."""
        query = urlencode(list(_pairs(params or {})), doseq=True)
        url = f"{self.host}{path}" + (f"?{query}" if query else "")

        def fetch() -> dict[str, Any]:
            response = self._raw_pool.request("GET", url, headers={"Accept": "application/json"})
            if not 200 <= response.status < 300:
                raise error_from_response(operation, response.status, response.data, response.headers)
            return json.loads(response.data or b"{}")

        return self.call(operation, fetch)

    def wait_before_retry(self, error: BaseException, attempt: int) -> None:
        """Sleep as the retry policy would after ``attempt`` failed tries (for callers that retry themselves)."""
        self._sleep(wait_seconds(error, attempt))

    @property
    def max_attempts(self) -> int:
        return self._max_attempts

    def _build_api(self, package: Any, api_name: str, config: Mapping[str, Any]) -> Any:
        """Our api_factory: one API object (and pool) per generated API, its pool behind the gate."""
        key = (package.__name__, api_name)
        with self._apis_lock:
            if key not in self._apis:
                configuration = package.Configuration()
                configuration.host = self.host
                configuration.retries = False
                if self._ca_bundle:
                    configuration.ssl_ca_cert = self._ca_bundle
                _hide_response_bodies(package.__name__)
                api_client = package.ApiClient(configuration=configuration)
                api_client.user_agent = "scorebridge (hubspot-api-client-python; 12.0.0)"
                api_client.rest_client.pool_manager = GatedPool(api_client.rest_client.pool_manager, self.gate)
                self._apis[key] = getattr(package, api_name)(api_client=api_client)
            return self._apis[key]

    def _refreshed_access_token(self) -> str:
        oauth = self.tokens.oauth
        assert oauth is not None
        try:
            answer = self.sdk.oauth.tokens_api.create(
                grant_type="refresh_token",
                refresh_token=oauth.refresh_token.get_secret_value(),
                client_id=oauth.client_id,
                client_secret=oauth.client_secret.get_secret_value(),
            )
        except Exception as error:
            translated = translate(error, "token refresh")
            if isinstance(translated, HubSpotApiError) and translated.status in (400, 401):
                raise HubSpotAuthError(
                    "the refresh token or client secret was refused; re-authorize the app",
                    operation="token refresh",
                    status=translated.status,
                    correlation_id=translated.correlation_id,
                ) from None
            raise translated from None
        if answer is None or not getattr(answer, "access_token", None):
            raise HubSpotAuthError("the token endpoint answered without an access token", operation="token refresh")
        return answer.access_token


def _without_response_body(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("response body")


def _hide_response_bodies(package: str) -> None:
    """Each generated rest.py logs every response body at DEBUG; the token endpoint's holds the new tokens."""
    logger = logging.getLogger(f"{package}.rest")
    if _without_response_body not in logger.filters:
        logger.addFilter(_without_response_body)


def _pairs(params: Mapping[str, Any]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for key, value in params.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((key, item) for item in values)
    return pairs


def _check_json(response: Any) -> None:
    """A 2xx JSON body that does not parse was cut short: worth another try rather than a half-read page."""
    if not 200 <= response.status < 300:
        return
    content_type = response.headers.get("Content-Type", "")
    data = getattr(response, "data", b"")
    if data and "json" in content_type:
        try:
            json.loads(data)
        except ValueError:
            raise MalformedResponse(f"HTTP {response.status} body is not valid JSON ({len(data)} bytes)") from None
