"""Stand-ins for `scorebridge demo`: started in-process with a generated population, plus the settings an
adapter needs to reach each one. Secrets go to files in the demo's folder, as they would in production."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from adapters.registry import crm_named
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
    settings = crm_named(crm).stand_in.connection_settings(running.info, partial(_secret_file, workdir))
    return DemoSandbox(crm, running, population, settings, seed)


def _secret_file(workdir: Path, name: str, value: str) -> dict[str, str]:
    """The secret written to a private file in the demo folder, referenced as `{"file": ...}`."""
    path = workdir / name
    path.touch(mode=0o600)
    path.write_text(value)
    return {"file": str(path)}
