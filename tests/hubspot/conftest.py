"""Fixtures for the HubSpot adapter: a sandbox portal on loopback driven by a fake clock, and adapters for it.

The sandbox and the adapter share one `FakeTime`: the adapter's limiter and retries "sleep" by moving it, and
the sandbox's rate limits and token expiry read it, so pacing is checked exactly and no test ever sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.hubspot.adapter import HubSpotAdapter
from adapters.hubspot.mapping import HubSpotMapping, load_mapping
from adapters.hubspot.settings import Credentials, HubSpotSettings, OAuthApp
from adapters.sandbox.hubspot import HubSpotSandbox, RateLimits, start_hubspot_sandbox
from adapters.sandbox.hubspot import HubSpotSettings as SandboxSettings

EXAMPLE_MAPPING = Path(__file__).resolve().parents[2] / "mappings" / "hubspot.yaml"
START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeTime:
    """Wall clock, monotonic clock and sleep in one; `sleeps` records every wait asked for."""

    moment: datetime = START
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> datetime:
        return self.moment

    def monotonic(self) -> float:
        return self.moment.timestamp()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(scope="session")
def mapping() -> HubSpotMapping:
    return load_mapping(EXAMPLE_MAPPING)


SandboxFactory = Callable[..., HubSpotSandbox]


@pytest.fixture
def start_sandbox(fake_time: FakeTime) -> Iterator[SandboxFactory]:
    """Start a sandbox portal (limits optional) on the fake clock; stopped after the test."""
    started: list[HubSpotSandbox] = []

    def start(limits: RateLimits | None = None, **kwargs: Any) -> HubSpotSandbox:
        settings = SandboxSettings(limits=limits or RateLimits(), **kwargs)
        sandbox = start_hubspot_sandbox(settings=settings, clock=fake_time.now)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        # shutdown() waits out serve_forever's half-second poll; let it do so off the test's clock.
        threading.Thread(target=sandbox.stop, daemon=True).start()


@pytest.fixture
def sandbox(start_sandbox: SandboxFactory) -> HubSpotSandbox:
    return start_sandbox()


AdapterFactory = Callable[..., HubSpotAdapter]


@pytest.fixture
def make_adapter(fake_time: FakeTime, mapping: HubSpotMapping) -> AdapterFactory:
    """An adapter for a sandbox, private-app by default, `oauth=True` for the refresh-token flow."""

    def make(
        sandbox: HubSpotSandbox, *, oauth: bool = False, mapping: HubSpotMapping = mapping, **settings: Any
    ) -> HubSpotAdapter:
        if oauth:
            values = {"auth": "oauth", "client_id": sandbox.oauth.client_id, "refresh_token": {"env": "R"}}
            values["client_secret"] = {"env": "S"}
            app = OAuthApp(
                sandbox.oauth.client_id, SecretStr(sandbox.oauth.client_secret), SecretStr(sandbox.oauth.refresh_token)
            )
            credentials = Credentials(access_token=None, oauth=app)
        else:
            values = {"access_token": {"env": "T"}}
            credentials = Credentials(access_token=SecretStr(sandbox.token))
        hubspot_settings = HubSpotSettings.model_validate({"host": sandbox.base_url, **values, **settings})
        return HubSpotAdapter(
            hubspot_settings,
            mapping,
            credentials=credentials,
            clock=fake_time.monotonic,
            sleep=fake_time.sleep,
            now=fake_time.now,
        )

    return make


@pytest.fixture
def adapter(sandbox: HubSpotSandbox, make_adapter: AdapterFactory) -> HubSpotAdapter:
    return make_adapter(sandbox)


def add_contact(sandbox: HubSpotSandbox, email: str, **properties: Any) -> str:
    return sandbox.app.insert("contacts", {"email": email, **properties})


def route_calls(sandbox: HubSpotSandbox, route: str) -> int:
    return sandbox.server.stats.snapshot()["by_route"].get(route, 0)
