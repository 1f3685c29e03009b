"""A local HubSpot portal that hubspot-api-client drives over plain HTTP on loopback.

Start one in-process with `start_hubspot_sandbox()`; point the client at it with
`HubSpot(access_token=sandbox.token, host=sandbox.base_url)`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.sandbox.http import SandboxServer
from adapters.sandbox.hubspot.app import HubSpotApp, HubSpotSettings
from adapters.sandbox.hubspot.auth import OAuthClient
from adapters.sandbox.hubspot.limits import RateLimits
from adapters.sandbox.hubspot.wire import Clock, system_clock

__all__ = ["HubSpotApp", "HubSpotSandbox", "HubSpotSettings", "OAuthClient", "RateLimits", "start_hubspot_sandbox"]


@dataclass(frozen=True)
class HubSpotSandbox:
    """A running sandbox and what a client needs to reach it."""

    server: SandboxServer
    app: HubSpotApp
    base_url: str
    token: str
    admin_token: str
    oauth: OAuthClient

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> HubSpotSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_hubspot_sandbox(
    *,
    settings: HubSpotSettings | None = None,
    clock: Clock = system_clock,
    population: Any = None,
    records: Mapping[str, Any] | None = None,
    state: Mapping[str, Any] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> HubSpotSandbox:
    """Build a portal (from a saved state, a generated population and/or records), serve it on a thread."""
    app = HubSpotApp(settings, clock)
    if state is not None:
        app.restore_state(state)
    if population is not None:
        app.load_population(population)
    if records is not None:
        app.load_records(records)
    admin_token = "sandbox-admin-" + secrets.token_hex(8)
    server = SandboxServer(app, admin_token=admin_token, host=host, port=port).start()
    return HubSpotSandbox(
        server=server,
        app=app,
        base_url=server.base_url,
        token=app.settings.private_app_tokens[0],
        admin_token=admin_token,
        oauth=app.settings.oauth,
    )
