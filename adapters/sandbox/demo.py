"""Stand-ins for `scorebridge demo`: started in-process with a generated population, plus the settings an
adapter needs to reach each one. Secrets go to files in the demo's folder, as they would in production."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.sandbox.launch import RunningSandbox, ServeOptions, start_sandbox
from adapters.sandbox.population import Population, generate_population, more_touches

#: The first sync sees a year of history up to this long ago; the "users" then fill the gap.
HISTORY_ENDS_BEFORE_NOW = timedelta(days=2)
RETURNING_SHARE = 0.08


@dataclass
class DemoSandbox:
    crm: str
    running: RunningSandbox
    population: Population
    #: The `settings:` block of a connection to this stand-in.
    settings: dict[str, Any]
    seed: int

    def users_keep_working(self, now: datetime) -> int:
        """New touchpoints for a share of the people, between the generated history and ``now``."""
        touches = more_touches(self.population, share=RETURNING_SHARE, seed=self.seed + 1, now=now)
        return self.running.app.add_touches(touches)

    def stop(self) -> None:
        self.running.stop(None)


def start_demo_sandbox(crm: str, workdir: Path, *, contacts: int, seed: int, now: datetime) -> DemoSandbox:
    workdir.mkdir(parents=True, exist_ok=True)
    # The demo pays HubSpot's Professional burst allowance (190 per 10 s) so that it stays well under a minute.
    running = start_sandbox(ServeOptions(crm=crm, workdir=workdir, rate_limit=190))
    population = generate_population(contacts, seed=seed, now=now - HISTORY_ENDS_BEFORE_NOW)
    running.app.load_population(population)
    info = running.info
    if crm == "salesforce":
        settings = {
            "auth": "password",
            "login_url": info["base_url"],
            "username": info["username"],
            "consumer_key": info["client_id"],
            "consumer_secret": {"file": str(_secret(workdir, "salesforce-client-secret", info["client_secret"]))},
            "password": {"file": str(_secret(workdir, "salesforce-password", info["password"]))},
            "ca_bundle": info["ca_file"],
        }
    else:
        settings = {
            "auth": "private_app",
            "host": info["base_url"],
            "access_token": {"file": str(_secret(workdir, "hubspot-token", info["access_token"]))},
            "burst_limit": 190,
        }
    return DemoSandbox(crm, running, population, settings, seed)


def _secret(workdir: Path, name: str, value: str) -> Path:
    path = workdir / name
    path.touch(mode=0o600)
    path.write_text(value)
    return path
