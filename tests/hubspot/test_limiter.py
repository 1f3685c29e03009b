"""The client-side limiter: rolling burst window, search window, portal headers, 429s and the daily share."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.hubspot.limiter import RateLimiter
from connector.errors import LimitReachedError
from tests.hubspot.conftest import START, FakeTime


def limiter(fake_time: FakeTime, **options) -> RateLimiter:
    options.setdefault("safety_margin", 0.0)
    return RateLimiter(clock=fake_time.monotonic, sleep=fake_time.sleep, **options)


def send(rate: RateLimiter, *, search: bool = False, status: int = 200, headers=None) -> None:
    rate.complete(rate.acquire(search=search), status, headers or {})


def test_burst_limit_goes_out_at_once_then_the_next_waits_for_the_window_to_roll(fake_time):
    rate = limiter(fake_time, burst_limit=10)
    for _ in range(10):
        send(rate)
    assert fake_time.sleeps == []
    send(rate)
    assert sum(fake_time.sleeps) == pytest.approx(10.0)


def test_a_slot_counts_from_when_its_request_completed_so_slow_answers_cannot_overfill_the_window(fake_time):
    rate = limiter(fake_time, burst_limit=2)
    first = rate.acquire()
    fake_time.advance(3.0)  # the portal may have counted it at any point of these three seconds
    rate.complete(first, 200, {})
    send(rate)
    send(rate)
    assert sum(fake_time.sleeps) == pytest.approx(10.0)  # 3 s in flight + 10 s window - 3 s already passed


def test_searches_have_their_own_five_per_second_window_outside_the_burst(fake_time):
    rate = limiter(fake_time, burst_limit=100, search_per_second=5)
    for _ in range(5):
        send(rate, search=True)
    assert rate.burst.remaining(fake_time.monotonic()) == 100
    send(rate, search=True)
    assert sum(fake_time.sleeps) == pytest.approx(1.0)


def test_portal_headers_saying_less_remains_shrink_our_window(fake_time):
    rate = limiter(fake_time, burst_limit=100)
    headers = {"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": "1"}
    send(rate, headers=headers)  # another app of the account has used most of the window
    send(rate)
    assert fake_time.sleeps == []
    send(rate)
    assert sum(fake_time.sleeps) == pytest.approx(10.0)


def test_a_lower_max_header_than_configured_wins(fake_time):
    rate = limiter(fake_time, burst_limit=190)
    send(rate, headers={"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": "99"})
    assert rate.burst.limit == 100


def test_a_429_fills_the_window_so_the_next_request_waits_a_whole_window(fake_time):
    rate = limiter(fake_time, burst_limit=100)
    send(rate, status=429)
    send(rate)
    assert sum(fake_time.sleeps) == pytest.approx(10.0)


def test_a_search_429_fills_only_the_search_window(fake_time):
    rate = limiter(fake_time, burst_limit=100)
    send(rate, search=True, status=429)
    send(rate)
    assert fake_time.sleeps == []
    send(rate, search=True)
    assert sum(fake_time.sleeps) == pytest.approx(1.0)


def test_stops_before_the_configured_share_of_the_daily_limit_from_headers(fake_time):
    rate = limiter(fake_time, daily_share=0.5)
    send(rate, headers={"X-HubSpot-RateLimit-Daily": "1000", "X-HubSpot-RateLimit-Daily-Remaining": "501"})
    send(rate)  # 500 used now: half of the allocation
    with pytest.raises(LimitReachedError, match="daily_share"):
        rate.acquire()


def test_without_daily_headers_the_configured_daily_limit_counts_our_own_calls(fake_time):
    rate = limiter(fake_time, daily_limit=10, daily_share=0.3)
    for _ in range(3):
        send(rate)
    with pytest.raises(LimitReachedError):
        rate.acquire()
    assert rate.daily_snapshot() == (None, 10)


def test_a_burst_goes_out_at_once_then_each_block_one_window_plus_the_margin_later(fake_time):
    rate = limiter(fake_time, burst_limit=10, safety_margin=0.25)
    granted = []
    for _ in range(25):
        grant = rate.acquire()
        granted.append(grant.slots[0].granted_at - START.timestamp())
        rate.complete(grant, 200, {})
    assert granted == pytest.approx([0.0] * 10 + [10.25] * 10 + [20.5] * 5)


def test_the_margin_is_a_setting_of_the_connection(make_adapter, sandbox):
    adapter = make_adapter(sandbox, rate_margin_seconds=0.5)
    assert adapter.limiter.burst.seconds == pytest.approx(10.5)


@settings(max_examples=150, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=6),
    steps=st.lists(
        st.tuples(st.booleans(), st.floats(min_value=0, max_value=4), st.integers(min_value=0, max_value=10)),
        max_size=80,
    ),
)
def test_no_placement_of_arrivals_ever_puts_more_than_the_limit_in_one_window(limit, steps):
    """Requests in flight at once, answers at random moments: the portal sees each request somewhere between its
    grant and its answer, and wherever that is, no 10-second window holds more than the limit."""
    clock = FakeTime()
    rate = RateLimiter(burst_limit=limit, safety_margin=0.0, clock=clock.monotonic, sleep=clock.sleep)
    in_flight: list = []
    spans: list[tuple[float, float]] = []
    for send_one, pause, pick in steps:
        clock.advance(pause)
        if send_one and _would_grant(rate, clock.monotonic()):
            in_flight.append(rate.acquire())
        elif in_flight:
            grant = in_flight.pop(pick % len(in_flight))
            rate.complete(grant, 200, {})
            spans.append((grant.slots[0].granted_at, clock.monotonic()))
    for _, completed in spans:
        # Requests that could share a window with this one as its earliest answer: granted less than a window
        # after it was answered, and answered no earlier.
        together = [g for g, c in spans if c >= completed and g < completed + 10.0]
        assert len(together) <= limit


def _would_grant(rate: RateLimiter, now: float) -> bool:
    """Whether `acquire` would return in this single thread: a free slot, or an oldest slot that will expire (a
    slot waiting on a request in flight frees only when another thread completes it)."""
    window = rate.burst
    return window.remaining(now) > 0 or window.slots[0].completed_at is not None
