"""One world per registered CRM: its stand-in on a manual clock, an adapter built through the registry, and the
driver that plays the CRM's users. The contract tests take `world` and run once per CRM."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.registry import CRMS, AdapterOptions, CrmKind
from adapters.sandbox.http import Fault
from adapters.sandbox.launch import RunningSandbox, ServeOptions, inject_fault, start_sandbox
from connector.crm import CrmAdapter
from tests.contract.drivers import DRIVERS, ManualClock, StandInDriver

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class ContractWorld:
    kind: CrmKind
    sandbox: RunningSandbox
    driver: StandInDriver
    clock: ManualClock
    mapping: Path
    settings: dict[str, Any]
    env: dict[str, str]

    @property
    def app(self) -> Any:
        return self.sandbox.app

    @property
    def name(self) -> str:
        return self.kind.name

    def adapter(self) -> CrmAdapter:
        """A fresh adapter, as a new process after a crash would build one."""
        clock = self.clock
        options = AdapterOptions(environ=self.env, sleep=clock.sleep, monotonic=clock.monotonic, now=clock)
        return self.kind.adapter(self.settings, self.mapping, options)

    def add_contacts(self, count: int) -> list[str]:
        return self.driver.add_contacts(self.app, count)

    def change(self, crm_id: str) -> None:
        self.driver.change(self.app, crm_id)

    def delete(self, crm_id: str) -> None:
        self.driver.delete(self.app, crm_id)

    def fault(self, kind: str, **values: Any) -> None:
        inject_fault(self.sandbox.server, Fault(kind=kind, **values))


@pytest.fixture(params=[kind.name for kind in CRMS])
def world(request, tmp_path) -> Iterator[ContractWorld]:
    kind = next(kind for kind in CRMS if kind.name == request.param)
    driver, clock = DRIVERS[kind.name], ManualClock(START)
    sandbox = start_sandbox(ServeOptions(crm=kind.name, workdir=tmp_path, rate_limit=None, clock=clock))
    driver.prepare(sandbox.app)
    env: dict[str, str] = {}

    def secret_in_env(name: str, value: str) -> dict[str, str]:
        variable = "CONTRACT_" + name.upper().replace("-", "_")
        env[variable] = value
        return {"env": variable}

    settings = kind.stand_in.connection_settings(sandbox.info, secret_in_env)
    opened = ContractWorld(kind, sandbox, driver, clock, driver.mapping(tmp_path), settings, env)
    opened.adapter().setup()
    yield opened
    # shutdown() waits out serve_forever's poll; let it do so off the test's time.
    threading.Thread(target=sandbox.server.stop, daemon=True).start()
