"""One error type for every sub-package's exceptions, classified in one table, and the retry policy's waits."""

from __future__ import annotations

import json

import pytest
import urllib3
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.crm.objects.notes.exceptions import ServiceException as NotesServiceException

from adapters.hubspot.errors import (
    HubSpotApiError,
    HubSpotAuthError,
    HubSpotFatalError,
    HubSpotLimitError,
    HubSpotRetriableError,
    translate,
)
from adapters.hubspot.retry import retry_policy, wait_seconds
from connector.errors import AuthError, FatalCrmError, LimitReachedError, RetriableError


def api_exception(cls, status: int, body: dict, headers: dict | None = None):
    error = cls(status=status, reason="x")
    error.body = json.dumps(body)
    error.headers = headers or {}
    return error


def test_exceptions_of_different_subpackages_become_one_type_with_status_category_and_correlation_id():
    contacts = api_exception(
        ContactsApiException, 400, {"message": "bad", "category": "VALIDATION_ERROR", "correlationId": "c-1"}
    )
    notes = api_exception(NotesServiceException, 503, {"message": "down"}, {"X-HubSpot-Correlation-Id": "c-2"})
    first, second = translate(contacts, "update contacts"), translate(notes, "read notes")
    assert isinstance(first, HubSpotFatalError) and isinstance(first, FatalCrmError)
    assert (first.status, first.category, first.correlation_id) == (400, "VALIDATION_ERROR", "c-1")
    assert isinstance(second, HubSpotRetriableError) and isinstance(second, RetriableError)
    assert (second.status, second.correlation_id) == (503, "c-2")
    assert "correlation id c-1" in str(first)


@pytest.mark.parametrize(
    ("status", "body", "expected", "family"),
    [
        (
            429,
            {"policyName": "DAILY", "message": "You have reached your daily limit."},
            HubSpotLimitError,
            LimitReachedError,
        ),
        (429, {"policyName": "TEN_SECONDLY_ROLLING"}, HubSpotRetriableError, RetriableError),
        (401, {"category": "INVALID_AUTHENTICATION"}, HubSpotAuthError, AuthError),
        (403, {"category": "MISSING_SCOPES"}, HubSpotFatalError, FatalCrmError),
        (423, {}, HubSpotRetriableError, RetriableError),
        (477, {}, HubSpotRetriableError, RetriableError),
        (524, {}, HubSpotRetriableError, RetriableError),
        (404, {"category": "OBJECT_NOT_FOUND"}, HubSpotFatalError, FatalCrmError),
    ],
)
def test_the_classification_table(status, body, expected, family):
    error = translate(api_exception(ContactsApiException, status, body), "op")
    assert type(error) is expected and isinstance(error, family) and isinstance(error, HubSpotApiError)


def test_transport_failures_are_retriable_without_a_status():
    error = translate(urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead"), "list contacts")
    assert isinstance(error, HubSpotRetriableError) and error.status is None and error.category == "NETWORK"


def test_programming_errors_are_not_disguised():
    original = TypeError("bad argument")
    assert translate(original, "op") is original


def test_locked_waits_at_least_two_seconds_and_retry_after_is_honoured():
    locked = translate(api_exception(ContactsApiException, 423, {}), "op")
    migrating = translate(api_exception(ContactsApiException, 477, {}, {"Retry-After": "7"}), "op")
    assert wait_seconds(locked, 1) == 2.0
    assert wait_seconds(migrating, 1) == 7.0


def test_ten_secondly_429_waits_ten_seconds_times_the_attempt_and_secondly_one_second():
    burst = translate(api_exception(ContactsApiException, 429, {"policyName": "TEN_SECONDLY_ROLLING"}), "op")
    search = translate(
        api_exception(ContactsApiException, 429, {"message": "You have reached your secondly limit."}), "op"
    )
    assert [wait_seconds(burst, attempt) for attempt in (1, 2, 3)] == [10.0, 20.0, 30.0]
    assert [wait_seconds(search, attempt) for attempt in (1, 2)] == [1.0, 2.0]


def test_server_errors_back_off_exponentially_with_jitter_within_bounds():
    error = HubSpotRetriableError("down", operation="op", status=503)
    assert wait_seconds(error, 1, jitter=lambda: 0.0) == 0.25
    assert wait_seconds(error, 1, jitter=lambda: 1.0) == 0.5
    assert wait_seconds(error, 4, jitter=lambda: 1.0) == 4.0
    assert wait_seconds(error, 20, jitter=lambda: 1.0) == 30.0


def test_the_policy_retries_retriable_errors_then_gives_up_with_the_last_one():
    waits: list[float] = []
    attempts: list[int] = []

    def always_down() -> None:
        attempts.append(1)
        raise HubSpotRetriableError("down", operation="op", status=503)

    with pytest.raises(HubSpotRetriableError):
        retry_policy(max_attempts=3, sleep=waits.append, jitter=lambda: 1.0)(always_down)
    assert len(attempts) == 3 and waits == [0.5, 1.0]


def test_the_policy_never_retries_fatal_errors():
    attempts: list[int] = []

    def refused() -> None:
        attempts.append(1)
        raise HubSpotFatalError("bad", operation="op", status=400)

    with pytest.raises(HubSpotFatalError):
        retry_policy(max_attempts=5, sleep=lambda _: None)(refused)
    assert len(attempts) == 1
