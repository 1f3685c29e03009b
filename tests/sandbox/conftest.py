"""Fixtures for the sandbox suites: running Salesforce and HubSpot stand-ins with clocks the tests move."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.sandbox.hubspot import HubSpotSandbox, HubSpotSettings, RateLimits, start_hubspot_sandbox
from adapters.sandbox.salesforce.server import SalesforceSandbox, start_salesforce_sandbox
from tests.sandbox.hubspot_support import START, FakeClock

# -- HubSpot ---------------------------------------------------------------------------------------------------
# One server per session and settings: stopping a server costs half a second (its poll interval), so the HubSpot
# tests share it and get a fresh portal, a reset clock and no faults instead.


@pytest.fixture(scope="session")
def _hubspot_session_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hubspot_clock(_hubspot_session_clock: FakeClock) -> FakeClock:
    _hubspot_session_clock.now = START
    return _hubspot_session_clock


@pytest.fixture(scope="session")
def _hubspot_unlimited(_hubspot_session_clock: FakeClock) -> Iterator[HubSpotSandbox]:
    settings = HubSpotSettings(limits=RateLimits(enabled=False))
    with start_hubspot_sandbox(settings=settings, clock=_hubspot_session_clock) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def _hubspot_limited(_hubspot_session_clock: FakeClock) -> Iterator[HubSpotSandbox]:
    limits = RateLimits(per_ten_seconds=5, searches_per_second=2, daily=20)
    with start_hubspot_sandbox(settings=HubSpotSettings(limits=limits), clock=_hubspot_session_clock) as sandbox:
        yield sandbox


def _fresh_hubspot(sandbox: HubSpotSandbox) -> HubSpotSandbox:
    sandbox.app.reset()
    sandbox.server.faults.clear()
    sandbox.server.stats.reset()
    return sandbox


@pytest.fixture
def hubspot_sandbox(_hubspot_unlimited: HubSpotSandbox, hubspot_clock: FakeClock) -> HubSpotSandbox:
    """An empty HubSpot portal with rate limits off, on a fake clock (`hubspot_clock`)."""
    return _fresh_hubspot(_hubspot_unlimited)


@pytest.fixture
def limited_hubspot_sandbox(_hubspot_limited: HubSpotSandbox, hubspot_clock: FakeClock) -> HubSpotSandbox:
    """An empty HubSpot portal with small limits (5 per 10 s, 2 searches a second, 20 a day) to reach them fast."""
    return _fresh_hubspot(_hubspot_limited)


# -- Salesforce ------------------------------------------------------------------------------------------------


class ManualClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def sf_clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def salesforce_sandbox(tmp_path, sf_clock) -> Iterator[SalesforceSandbox]:
    """A Salesforce sandbox over HTTPS on an ephemeral port; sessions idle out after 30 minutes of `sf_clock`."""
    with start_salesforce_sandbox(tmp_path, clock=sf_clock, session_timeout=timedelta(minutes=30)) as sandbox:
        yield sandbox
