"""Builders shared by the HubSpot sandbox tests: a clock that tests move, and client helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hubspot import HubSpot

#: When the tests' portal lives; far from midnight so that the daily limit never rolls over mid-test.
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when a test says so."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def client_for(sandbox, token: str | None = None) -> HubSpot:
    """hubspot-api-client pointed at the sandbox exactly as a user would (`base_url` for `api_request`)."""
    return HubSpot(access_token=token or sandbox.token, host=sandbox.base_url, base_url=sandbox.base_url)


def error_body(exception) -> dict:
    return json.loads(exception.body)
