"""HubSpot's API limits: a rolling 10-second burst per token, 5 searches a second, and a daily allocation.

Figures and shapes: developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines (API_FACTS C.5).
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from adapters.sandbox.hubspot.wire import Clock

TEN_SECONDS = 10.0
ONE_SECOND = 1.0


@dataclass(frozen=True)
class RateLimits:
    """What the portal allows; `enabled=False` serves without counting (speed benchmarks)."""

    per_ten_seconds: int = 100
    searches_per_second: int = 5
    daily: int = 250_000
    enabled: bool = True


@dataclass(frozen=True)
class Verdict:
    """The limiter's answer for one request: refused with a policy, and the headers to send either way."""

    policy: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.policy is None


TEN_SECONDLY = "TEN_SECONDLY_ROLLING"
SECONDLY = "SECONDLY"
DAILY = "DAILY"

_MESSAGES = {
    TEN_SECONDLY: "You have reached your ten_secondly_rolling limit.",
    SECONDLY: "You have reached your secondly limit.",
    DAILY: "You have reached your daily limit.",
}


def rate_limit_body(policy: str) -> dict[str, str]:
    """The 429 body HubSpot sends (usage guidelines, quoted in API_FACTS C.5)."""
    return {
        "status": "error",
        "message": _MESSAGES[policy],
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": str(uuid.uuid4()),
    }


class RateLimiter:
    """Counts requests per token (burst), per portal (search, daily); thread-safe, time from an injected clock."""

    def __init__(self, limits: RateLimits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._bursts: dict[str, deque[float]] = {}
        self._searches: deque[float] = deque()
        self._day: str | None = None
        self._daily_used = 0

    def admit(self, token: str, *, search: bool, oauth: bool) -> Verdict:
        if not self.limits.enabled:
            return Verdict()
        now = self._clock()
        with self._lock:
            self._roll_day(now)
            if self._daily_used >= self.limits.daily:
                return Verdict(DAILY, {} if search else self._headers(token, now, oauth))
            if search:
                return self._admit_search(now.timestamp())
            return self._admit_burst(token, now, oauth)

    def exhaust_daily(self) -> None:
        with self._lock:
            self._roll_day(self._clock())
            self._daily_used = self.limits.daily

    def reset(self) -> None:
        with self._lock:
            self._bursts.clear()
            self._searches.clear()
            self._daily_used = 0

    def _admit_search(self, moment: float) -> Verdict:
        # Search is exempt from the ten-secondly limit (spec: x-hubspot-rate-limit-exemptions) and its responses
        # carry no rate-limit headers (community reports, API_FACTS C.5).
        _expire(self._searches, moment - ONE_SECOND)
        if len(self._searches) >= self.limits.searches_per_second:
            return Verdict(SECONDLY)
        self._searches.append(moment)
        self._daily_used += 1
        return Verdict()

    def _admit_burst(self, token: str, now: datetime, oauth: bool) -> Verdict:
        window = self._bursts.setdefault(token, deque())
        _expire(window, now.timestamp() - TEN_SECONDS)
        if len(window) >= self.limits.per_ten_seconds:
            return Verdict(TEN_SECONDLY, self._headers(token, now, oauth))
        window.append(now.timestamp())
        self._daily_used += 1
        return Verdict(headers=self._headers(token, now, oauth))

    def _headers(self, token: str, now: datetime, oauth: bool) -> dict[str, str]:
        used = len(self._bursts.get(token, ()))
        headers = {
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(TEN_SECONDS * 1000)),
            "X-HubSpot-RateLimit-Max": str(self.limits.per_ten_seconds),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.limits.per_ten_seconds - used)),
        }
        if not oauth:  # HubSpot leaves the daily headers out of OAuth-authorised calls.
            headers["X-HubSpot-RateLimit-Daily"] = str(self.limits.daily)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(0, self.limits.daily - self._daily_used))
        return headers

    def _roll_day(self, now: datetime) -> None:
        # HubSpot resets at midnight in the account's time zone; the sandbox portal lives in UTC.
        day = now.date().isoformat()
        if day != self._day:
            self._day = day
            self._daily_used = 0


def _expire(window: deque[float], cutoff: float) -> None:
    while window and window[0] <= cutoff:
        window.popleft()
