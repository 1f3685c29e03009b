"""The adapter's one retry policy: exponential backoff with jitter on transient failures, honouring Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from connector.errors import RetriableError


@dataclass(frozen=True)
class RetrySettings:
    max_attempts: int = 5
    initial_wait_seconds: float = 1.0
    max_wait_seconds: float = 60.0


class WaitRetryAfterOrBackoff:
    """Wait what the CRM asked for (Retry-After, capped) or else a jittered exponential backoff."""

    def __init__(self, settings: RetrySettings) -> None:
        self._backoff = wait_random_exponential(multiplier=settings.initial_wait_seconds, max=settings.max_wait_seconds)
        self._cap = settings.max_wait_seconds

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RetriableError) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self._cap)
        return self._backoff(retry_state)


def retry_policy(settings: RetrySettings, *, sleep: Callable[[float], None]) -> Retrying:
    """A fresh tenacity controller; ``sleep`` is injected so tests record the waits instead of sleeping."""
    return Retrying(
        retry=retry_if_exception_type(RetriableError),
        wait=WaitRetryAfterOrBackoff(settings),
        stop=stop_after_attempt(settings.max_attempts),
        sleep=sleep,
        reraise=True,
    )
