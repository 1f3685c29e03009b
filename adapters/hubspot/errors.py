"""The one error type HubSpot calls raise, whichever hubspot-api-client sub-package failed, and its table.

hubspot-api-client gives every generated sub-package its own ApiException class with no shared base
(API_FACTS §0.7), and lets urllib3's transport errors through raw. `translate` turns all of them into a
`HubSpotApiError` carrying status, category and correlation id; its subclasses also belong to the connector's
error family, so the sync can catch AuthError / RetriableError / LimitReachedError / FatalCrmError.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import urllib3.exceptions

from connector.errors import AuthError, FatalCrmError, LimitReachedError, RetriableError, ScoreBridgeError

#: 429 bodies name the policy that was hit: DAILY, TEN_SECONDLY_ROLLING, or (search) SECONDLY.
DAILY_POLICY = "DAILY"
TEN_SECONDLY_POLICY = "TEN_SECONDLY_ROLLING"
SECONDLY_POLICY = "SECONDLY"

#: Statuses HubSpot documents as transient: 423 locked (wait >= 2 s), 477 migration in progress (Retry-After),
#: 502/504 processing limits, 503 and the Cloudflare edge errors 521-526.
#: https://developers.hubspot.com/docs/api-reference/error-handling
TRANSIENT_STATUSES = frozenset({423, 429, 477, 500, 502, 503, 504, 521, 522, 523, 524, 525, 526})
LOCKED_STATUS = 423
LOCKED_MIN_WAIT_SECONDS = 2.0


class HubSpotApiError(ScoreBridgeError):
    """A HubSpot call that failed; `status` is None for transport failures (timeout, reset, refused)."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status: int | None = None,
        category: str | None = None,
        correlation_id: str | None = None,
        policy_name: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.operation = operation
        self.status = status
        self.category = category
        self.correlation_id = correlation_id
        self.policy_name = policy_name
        self.retry_after = retry_after
        reference = f" (correlation id {correlation_id})" if correlation_id else ""
        Exception.__init__(self, f"HubSpot {operation}: {message}{reference}")


class HubSpotAuthError(HubSpotApiError, AuthError):
    """401 after any refresh, or a token the portal refuses: fix the credentials named in the settings."""


class HubSpotRetriableError(HubSpotApiError, RetriableError):
    """429 (burst or search window), 5xx, 423/477, timeouts and connection resets."""


class HubSpotLimitError(HubSpotApiError, LimitReachedError):
    """The portal's daily allocation is used up (429 with policyName DAILY)."""


class HubSpotFatalError(HubSpotApiError, FatalCrmError):
    """400/403/404/409 and other answers that a retry cannot change."""


class MalformedResponse(Exception):
    """A 2xx whose body is not the JSON it claims to be (a truncated response)."""


#: urllib3 errors that mean "the request or its answer was lost on the way": worth another try.
NETWORK_ERRORS: tuple[type[Exception], ...] = (
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.TimeoutError,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.MaxRetryError,
    urllib3.exceptions.DecodeError,
    ConnectionError,
    MalformedResponse,
)


def error_class_for(status: int | None, policy_name: str | None) -> type[HubSpotApiError]:
    """The classification table: which kind of failure an answer is."""
    if status is None or status in TRANSIENT_STATUSES:
        if status == 429 and policy_name == DAILY_POLICY:
            return HubSpotLimitError
        return HubSpotRetriableError
    if status == 401:
        return HubSpotAuthError
    return HubSpotFatalError


def error_from_response(
    operation: str, status: int, body: bytes | str | None, headers: Mapping[str, str] | None
) -> HubSpotApiError:
    """Build the error for a non-2xx answer from HubSpot's error body (every field optional) and headers."""
    payload = _json_object(body)
    lowered = {key.lower(): value for key, value in (headers or {}).items()}
    message = str(payload.get("message") or f"HTTP {status}")
    policy = payload.get("policyName") or _policy_from_message(message)
    correlation_id = payload.get("correlationId") or lowered.get("x-hubspot-correlation-id")
    retry_after = _seconds(lowered.get("retry-after"))
    if status == LOCKED_STATUS:
        retry_after = max(retry_after or 0.0, LOCKED_MIN_WAIT_SECONDS)
    category = payload.get("category") or payload.get("errorType")
    return error_class_for(status, policy)(
        _advice(status, message),
        operation=operation,
        status=status,
        category=str(category) if category else None,
        correlation_id=str(correlation_id) if correlation_id else None,
        policy_name=str(policy) if policy else None,
        retry_after=retry_after,
    )


def translate(error: Exception, operation: str) -> Exception:
    """Our error for whatever a HubSpot call raised; programming errors come back unchanged."""
    if isinstance(error, HubSpotApiError):
        return error
    if isinstance(error, NETWORK_ERRORS):
        return HubSpotRetriableError(f"{type(error).__name__}: {error}", operation=operation, category="NETWORK")
    status = getattr(error, "status", None)
    if type(error).__name__.endswith("Exception") and isinstance(status, int):
        if status == 0:  # hubspot-api-client reports TLS failures as status 0 (API_FACTS §D)
            return HubSpotFatalError(f"TLS failure: {getattr(error, 'reason', '')}", operation=operation)
        return error_from_response(operation, status, getattr(error, "body", None), getattr(error, "headers", None))
    return error


def _advice(status: int, message: str) -> str:
    if status == 401:
        return f"{message}: the access token was refused; check the token named in settings.access_token"
    if status == 403:
        return f"{message}: the app lacks a scope this call needs; add it to the private app or OAuth app"
    return message


def _policy_from_message(message: str) -> str | None:
    lowered = message.lower()
    if "ten_secondly" in lowered:
        return TEN_SECONDLY_POLICY
    if "secondly" in lowered:
        return SECONDLY_POLICY
    if "daily" in lowered:
        return DAILY_POLICY
    return None


def _json_object(body: bytes | str | None) -> dict:
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
