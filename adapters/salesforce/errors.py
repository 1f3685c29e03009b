"""One table mapping Salesforce responses (HTTP status, errorCode, message) onto ScoreBridge's error family.

Salesforce error bodies are a JSON array of ``{"message", "errorCode", "fields"?}``
(https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm); the OAuth token
endpoint answers ``{"error", "error_description"}`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connector.errors import (
    AuthError,
    ConfigError,
    FatalCrmError,
    LimitReachedError,
    RetriableError,
    ScoreBridgeError,
)

#: The session token expired or was revoked; the one error we answer by logging in again.
SESSION_EXPIRED = "INVALID_SESSION_ID"

#: Salesforce reports both the daily allocation and the concurrent long-running request cap as
#: REQUEST_LIMIT_EXCEEDED (HTTP 403, never 429); only the message tells them apart.
REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
DAILY_LIMIT_MESSAGE = "TotalRequests Limit exceeded"
#: An unknown field or wrong type means the mapping names something the org lacks: the command that lists it all.
CHECK_THE_MAPPING = "compare the mapping with the org: `scorebridge validate --config connector.yaml --online`"


@dataclass(frozen=True)
class ErrorRule:
    """A row of the table: which responses it matches, what we raise, and what the admin should do."""

    error: type[ScoreBridgeError]
    advice: str
    status: int | None = None
    code: str | None = None
    message_contains: str | None = None

    def matches(self, status: int, code: str, message: str) -> bool:
        return (
            (self.status is None or self.status == status)
            and (self.code is None or self.code == code)
            and (self.message_contains is None or self.message_contains in message)
        )


#: First match wins, so specific rows (status + code + message) come before status-only fallbacks.
ERROR_TABLE: tuple[ErrorRule, ...] = (
    ErrorRule(AuthError, "the session expired; log in again", code=SESSION_EXPIRED),
    ErrorRule(
        LimitReachedError,
        "the org's daily API allocation is used up; the next run resumes",
        code=REQUEST_LIMIT_EXCEEDED,
        message_contains=DAILY_LIMIT_MESSAGE,
    ),
    ErrorRule(RetriableError, "too many concurrent long-running requests; retrying", code=REQUEST_LIMIT_EXCEEDED),
    ErrorRule(FatalCrmError, "enable API access for the org and the integration user", code="API_DISABLED_FOR_ORG"),
    ErrorRule(FatalCrmError, "grant the integration user access to this object", code="INSUFFICIENT_ACCESS"),
    ErrorRule(FatalCrmError, CHECK_THE_MAPPING, code="INVALID_FIELD"),
    ErrorRule(FatalCrmError, CHECK_THE_MAPPING, code="INVALID_TYPE"),
    ErrorRule(FatalCrmError, "this is a bug in the query ScoreBridge built; please report it", code="MALFORMED_QUERY"),
    ErrorRule(RetriableError, "Salesforce timed the query out; retrying", code="QUERY_TIMEOUT"),
    ErrorRule(RetriableError, "Salesforce is unavailable; retrying", code="SERVER_UNAVAILABLE"),
    ErrorRule(RetriableError, "a record was locked by another process; retrying", code="UNABLE_TO_LOCK_ROW"),
    ErrorRule(RetriableError, "rate limited; retrying", status=429),
    ErrorRule(RetriableError, "Salesforce had an internal error; retrying", status=500),
    ErrorRule(RetriableError, "Salesforce is unreachable; retrying", status=502),
    ErrorRule(RetriableError, "Salesforce is unavailable; retrying", status=503),
    ErrorRule(RetriableError, "Salesforce timed out; retrying", status=504),
    ErrorRule(AuthError, "check the connection's credentials", status=401),
    ErrorRule(FatalCrmError, "the integration user lacks a permission", status=403),
    ErrorRule(
        FatalCrmError,
        "check the object names in the mapping file, and the connection's `api_version`: Salesforce answers 404 for"
        " a version it does not serve (31.0 and later as of 2026)",
        status=404,
        code="NOT_FOUND",
    ),
    ErrorRule(FatalCrmError, "the record was deleted in Salesforce", status=404, code="ENTITY_IS_DELETED"),
    ErrorRule(FatalCrmError, "check the object and field names in the mapping file", status=404),
    ErrorRule(FatalCrmError, "Salesforce rejected the request", status=400),
)

FALLBACK_RULE = ErrorRule(FatalCrmError, "unexpected Salesforce response")

#: OAuth token endpoint answers (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flow_errors.htm).
TOKEN_ERROR_ADVICE: Mapping[str, str] = {
    "invalid_grant": "check the username, password/security token, private key, and that the user is pre-authorized"
    " for the connected app",
    "invalid_client_id": "check the connected app's consumer key",
    "invalid_client": "check the connected app's consumer key and secret",
    "unsupported_grant_type": "enable this OAuth flow for the org",
}


#: Token answers whose description says more than their code: a JWT assertion whose `exp` had passed when Salesforce
#: read it (our clock behind the org's by more than its three-minute life) is "invalid_grant" like a wrong user.
TOKEN_DESCRIPTION_ADVICE: Mapping[str, str] = {
    "expired authorization code": "the JWT assertion had expired when Salesforce read it: check this machine's clock"
    " (NTP); an assertion lives three minutes",
}


def first_error(body: Any) -> tuple[str, str]:
    """The (errorCode, message) of a Salesforce error body, whatever shape it came in."""
    item = body[0] if isinstance(body, list) and body else body
    if isinstance(item, Mapping):
        return str(item.get("errorCode") or item.get("error") or ""), str(
            item.get("message") or item.get("error_description") or ""
        )
    return "", str(body or "")[:300]


def classify(status: int, body: Any, *, what: str, retry_after: float | None = None) -> tuple[ScoreBridgeError, str]:
    """The error to raise for a failed call (``what`` names it) and the Salesforce errorCode it carried."""
    code, message = first_error(body)
    rule = next((rule for rule in ERROR_TABLE if rule.matches(status, code, message)), FALLBACK_RULE)
    text = f"Salesforce {what}: HTTP {status} {code or ''}: {message} ({rule.advice})".replace("  ", " ")
    if rule.error is RetriableError:
        return RetriableError(text, status=status, retry_after=retry_after), code
    return rule.error(text), code


def retriable_record_error(code: str) -> bool:
    """Whether a per-record error (a SaveResult's or a Bulk row's statusCode) is worth sending again at once: the
    codes the table above retries, such as UNABLE_TO_LOCK_ROW."""
    return any(rule.code == code and rule.error is RetriableError for rule in ERROR_TABLE)


def classify_token_error(status: int, body: Any, *, login_url: str) -> ScoreBridgeError:
    """The error for a refused OAuth token request; 5xx answers are transient, the rest are credentials."""
    code, message = first_error(body)
    if status >= 500 or status == 429:
        return RetriableError(f"Salesforce login at {login_url}: HTTP {status}", status=status)
    advice = TOKEN_DESCRIPTION_ADVICE.get(message) or TOKEN_ERROR_ADVICE.get(code, "check the connection's credentials")
    return AuthError(f"Salesforce login at {login_url} refused: {code or status}: {message} ({advice})")


def classify_transport(error: requests.RequestException, *, what: str) -> ScoreBridgeError:
    """Network-level failures: TLS trust is a configuration problem, the rest are worth retrying."""
    if isinstance(error, requests.exceptions.SSLError):
        return ConfigError(
            f"TLS verification failed for Salesforce {what}: {error}; set `ca_bundle` in the connection settings",
            key="settings.ca_bundle",
        )
    return RetriableError(f"Salesforce {what}: {type(error).__name__}: {error}")
