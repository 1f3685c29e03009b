"""Adapter factories the service tests hand to the scheduler and to `scorebridge serve` by reference.

A job is stored by reference, so the adapter cannot be passed in: in-process, the factory finds the test's gated
CRM by connection name in GATED_CRMS, which each test fills and empties; across processes the gate is a pair of
files in the folder the connection's settings name.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connector.crm import (
    ApiUsage,
    Bookmark,
    ContactRecord,
    Page,
    ScoreWrite,
    TaskContext,
    TaskRequest,
    TaskResult,
    WriteResult,
)
from connector.errors import AuthError
from connector.score_catalog import CONTACT_TARGETS

WAIT_TIMEOUT = 10
START = datetime(2026, 10, 1, tzinfo=UTC)


def build_refusing_adapter(config, connection):
    """The CRM refuses the credentials before any run can start."""
    raise AuthError(f"{connection.name}: the CRM refused the token in SANDBOX_TOKEN; set a valid one")


class GatedCrm:
    """A CRM whose contact pull stops after `open_pages` pages until the test opens the gate."""

    def __init__(self, *, pages: int, open_pages: int) -> None:
        self.pages = pages
        self.open_pages = open_pages
        self.first_pages_served = threading.Event()
        self.gate = threading.Event()
        self.calls = 0
        self.written: list[ScoreWrite] = []

    def activity_types(self) -> frozenset[str]:
        return frozenset()

    def check(self) -> list[str]:
        return []

    def setup(self) -> list[str]:
        return []

    def write_targets(self) -> frozenset[str]:
        return frozenset(CONTACT_TARGETS)

    def pull_contacts(self, since: Bookmark | None) -> Iterator[Page[ContactRecord]]:
        for number in range(self.pages):
            if number == self.open_pages:
                self.first_pages_served.set()
                assert self.gate.wait(WAIT_TIMEOUT), "the test never opened the gate"
            self.calls += 1
            modified = START + timedelta(minutes=number)
            record = ContactRecord("Lead", f"00Q{number:03d}", email=f"lead{number}@example.com", modified_at=modified)
            yield Page([record], Bookmark("contacts", modified, record.crm_id))
        self.first_pages_served.set()

    def pull_activities(self, since: Bookmark | None) -> Iterator[Page]:
        return iter(())

    def pull_outcomes(self, since: Bookmark | None) -> Iterator[Page]:
        return iter(())

    def pull_accounts(self, since: Bookmark | None) -> Iterator[Page]:
        return iter(())

    def account_matching(self) -> tuple[str, ...]:
        return ()

    def account_write_targets(self) -> frozenset[str]:
        return frozenset()

    def write_scores(self, writes: Sequence[ScoreWrite]) -> list[WriteResult]:
        self.calls += 1
        self.written.extend(writes)
        return [WriteResult(write.crm_id, ok=True) for write in writes]

    def find_tasks(self, idempotency_keys: Sequence[str]) -> dict[str, str]:
        return {}

    def create_tasks(self, tasks: Sequence[TaskRequest]) -> list[TaskResult]:
        return [TaskResult(task.idempotency_key, f"T-{task.idempotency_key}") for task in tasks]

    def task_context(self) -> TaskContext:
        return TaskContext()

    def usage(self) -> ApiUsage:
        return ApiUsage(calls=self.calls)


GATED_CRMS: dict[str, GatedCrm] = {}


def build_gated_adapter(config, connection) -> GatedCrm:
    return GATED_CRMS[connection.name]


class FileGate:
    """The gate of a GatedCrm in another process: `served` is written when the CRM waits, `open` opens it."""

    def __init__(self, folder: Path) -> None:
        self.served = folder / "served"
        self.open = folder / "open"

    def set(self) -> None:
        self.served.touch()

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.open.exists():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)  # polling a file another process writes, bounded by the deadline
        return True


def build_file_gated_adapter(config, connection) -> GatedCrm:
    """A GatedCrm for `scorebridge serve` subprocesses: settings name the gate folder and the page counts."""
    crm = GatedCrm(pages=connection.settings["pages"], open_pages=connection.settings["open_pages"])
    gate = FileGate(Path(connection.settings["gate_dir"]))
    crm.first_pages_served, crm.gate = gate, gate
    return crm
