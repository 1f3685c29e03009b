"""The client-side rate limiter one HubSpot portal's calls share, so a long pull paces itself instead of eating 429s.

HubSpot counts requests per app in a rolling 10-second window (100, 190 or 250 depending on the tier), search
requests at five per second per account, and a daily allocation per account. The limiter keeps its own window of
request times and narrows it with what the portal reports in ``X-HubSpot-RateLimit-*`` headers, since other apps
and earlier runs spend the same budget. https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from connector.errors import LimitReachedError

Clock = Callable[[], float]
Sleep = Callable[[float], None]

#: Header names as HubSpot sends them; HTTP headers are case-insensitive, so lookups lower-case both sides.
MAX_HEADER = "x-hubspot-ratelimit-max"
REMAINING_HEADER = "x-hubspot-ratelimit-remaining"
INTERVAL_HEADER = "x-hubspot-ratelimit-interval-milliseconds"
DAILY_HEADER = "x-hubspot-ratelimit-daily"
DAILY_REMAINING_HEADER = "x-hubspot-ratelimit-daily-remaining"

#: A multi-threaded caller may find the window full of requests still in flight; look again this much later.
IN_FLIGHT_POLL_SECONDS = 0.01


@dataclass
class Slot:
    """One request's place in a window. It counts from when it was granted until ``window`` after it completed:
    the portal saw the request somewhere in between, so only then is it sure to have left the portal's window."""

    granted_at: float
    completed_at: float | None = None


@dataclass
class RollingWindow:
    """At most ``limit`` requests in any ``seconds``-long interval."""

    limit: int
    seconds: float
    slots: deque[Slot] = field(default_factory=deque)

    def wait_needed(self, now: float) -> float:
        """Seconds until one more request fits (0 when it fits now)."""
        self._forget_expired(now)
        if len(self.slots) < self.limit:
            return 0.0
        oldest = self.slots[0]
        if oldest.completed_at is None:
            return IN_FLIGHT_POLL_SECONDS
        return max(oldest.completed_at + self.seconds - now, 0.0) or IN_FLIGHT_POLL_SECONDS

    def take(self, now: float) -> Slot:
        slot = Slot(granted_at=now)
        self.slots.append(slot)
        return slot

    def remaining(self, now: float) -> int:
        self._forget_expired(now)
        return self.limit - len(self.slots)

    def fill(self, now: float, count: int) -> None:
        """Account for ``count`` requests we did not make (another app, or a 429 telling us the window is full)."""
        for _ in range(max(count, 0)):
            self.slots.append(Slot(granted_at=now, completed_at=now))

    def _forget_expired(self, now: float) -> None:
        # Slots complete out of order under threads; an expired one behind an in-flight one waits its turn.
        while (
            self.slots and self.slots[0].completed_at is not None and self.slots[0].completed_at + self.seconds <= now
        ):
            self.slots.popleft()


@dataclass
class Grant:
    """What `RateLimiter.acquire` hands out; give it back to `RateLimiter.complete` with the response."""

    slots: tuple[Slot, ...]
    search: bool = False


class RateLimiter:
    """Paces every call of one portal: the burst window, the search window and the daily allocation.

    ``safety_margin`` shortens nothing but delays each slot's expiry a little, for clock granularity.
    """

    def __init__(
        self,
        *,
        burst_limit: int = 100,
        burst_seconds: float = 10.0,
        search_per_second: int = 5,
        search_counts_toward_burst: bool = False,
        daily_limit: int | None = None,
        daily_share: float = 0.9,
        safety_margin: float = 0.05,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.burst = RollingWindow(burst_limit, burst_seconds + safety_margin)
        self.search = RollingWindow(search_per_second, 1.0 + safety_margin)
        # HubSpot's search spec says `x-hubspot-rate-limit-exemptions: ["ten-secondly"]`.
        self.search_counts_toward_burst = search_counts_toward_burst
        self.daily_limit = daily_limit
        self.daily_share = daily_share
        self.daily_used: int | None = None
        self._calls_since_daily_report = 0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def acquire(self, *, search: bool = False) -> Grant:
        """Block until a request may go out now; raise LimitReachedError past the daily share."""
        windows = self._windows_for(search)
        while True:
            with self._lock:
                self._check_daily_allowance()
                now = self._clock()
                wait = max(window.wait_needed(now) for window in windows)
                if wait == 0:
                    self._calls_since_daily_report += 1
                    return Grant(tuple(window.take(now) for window in windows), search)
            self._sleep(wait)

    def complete(self, grant: Grant, status: int | None, headers: Mapping[str, str]) -> None:
        """Record that the request finished, and what the portal said about the budget left."""
        with self._lock:
            now = self._clock()
            for slot in grant.slots:
                slot.completed_at = now
            lowered = {key.lower(): value for key, value in headers.items()}
            self._follow_burst_headers(now, lowered)
            self._follow_daily_headers(lowered)
            if status == 429:
                # The portal's window is full whatever ours says (another app of the same account, or a restart).
                window = self.search if grant.search else self.burst
                window.fill(now, window.remaining(now))

    def _windows_for(self, search: bool) -> tuple[RollingWindow, ...]:
        if not search:
            return (self.burst,)
        return (self.burst, self.search) if self.search_counts_toward_burst else (self.search,)

    def _follow_burst_headers(self, now: float, headers: Mapping[str, str]) -> None:
        limit = _int(headers.get(MAX_HEADER))
        if limit is not None and 0 < limit < self.burst.limit:
            self.burst.limit = limit
        remaining = _int(headers.get(REMAINING_HEADER))
        if remaining is not None:
            self.burst.fill(now, self.burst.remaining(now) - remaining)

    def _follow_daily_headers(self, headers: Mapping[str, str]) -> None:
        limit = _int(headers.get(DAILY_HEADER))
        remaining = _int(headers.get(DAILY_REMAINING_HEADER))
        if limit is not None:
            self.daily_limit = limit
        if limit is not None and remaining is not None:
            self.daily_used = limit - remaining
            self._calls_since_daily_report = 0

    def _check_daily_allowance(self) -> None:
        if self.daily_limit is None:
            return
        used = (self.daily_used or 0) + self._calls_since_daily_report
        allowed = int(self.daily_limit * self.daily_share)
        if used >= allowed:
            raise LimitReachedError(
                f"HubSpot daily API allocation: {used} of {self.daily_limit} used, and this connection stops at "
                f"{self.daily_share:.0%} ({allowed}) to leave the rest to other apps; the next run carries on "
                "(raise settings.daily_share to allow more)"
            )

    def daily_snapshot(self) -> tuple[int | None, int | None]:
        """(used, limit) as best known: the last header plus the calls made since."""
        with self._lock:
            if self.daily_used is None:
                return None, self.daily_limit
            return self.daily_used + self._calls_since_daily_report, self.daily_limit


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
