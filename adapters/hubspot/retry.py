"""The one retry policy of the HubSpot adapter: which failures earn another try, and how long to wait first.

The waits follow HubSpot's own Node client (RetryDecorator.ts): 10 s x attempt after the ten-secondly window
was exceeded, 1 s x attempt after the search "secondly" limit; otherwise exponential backoff with jitter.
urllib3's own retries are switched off (client.py), so this is the only place a call is repeated.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from adapters.hubspot.errors import SECONDLY_POLICY, TEN_SECONDLY_POLICY, HubSpotApiError, HubSpotRetriableError

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]

TEN_SECONDLY_WAIT = 10.0
SECONDLY_WAIT = 1.0
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 30.0


def wait_seconds(error: BaseException | None, attempt: int, jitter: Callable[[], float] = random.random) -> float:
    """How long to wait after the ``attempt``-th try failed with ``error``."""
    if isinstance(error, HubSpotApiError):
        if error.policy_name == TEN_SECONDLY_POLICY:
            return TEN_SECONDLY_WAIT * attempt
        if error.policy_name == SECONDLY_POLICY:
            return SECONDLY_WAIT * attempt
        if error.retry_after is not None:
            return error.retry_after
    backoff = min(BACKOFF_INITIAL * 2 ** (attempt - 1), BACKOFF_MAX)
    return backoff * (0.5 + jitter() / 2)  # "equal jitter": never less than half the backoff


def retry_policy(*, max_attempts: int, sleep: Sleep, jitter: Callable[[], float] = random.random) -> Retrying:
    """A tenacity `Retrying` for one HubSpot call; re-raises the last error when the attempts run out."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return wait_seconds(error, state.attempt_number, jitter)

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("retrying after attempt %d: %s", state.attempt_number, error)

    return Retrying(
        retry=retry_if_exception_type(HubSpotRetriableError),
        stop=stop_after_attempt(max_attempts),
        wait=wait,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
