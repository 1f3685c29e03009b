"""The state one sync run's phases share: its connection, adapter and model, its counts and warnings, the stop."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine

from connector.config import ConnectionConfig
from connector.crm import CrmAdapter
from connector.scoring import ScoringModel

#: Every line of a run is logged as `connector.sync`, whichever module of the run writes it.
log = logging.getLogger("connector.sync")


class SyncProgress(Protocol):
    """What the CLI's progress display (or a log line writer) is told about a run."""

    def phase(self, name: str, total: int | None = None) -> None: ...

    def advance(self, count: int) -> None: ...


class RunStopped(Exception):
    """The stop event was set (SIGTERM): the run ends after the step it was in."""


@dataclass
class RunState:
    """One run of one connection as its phases share it: what it works on, what it counted and warned about."""

    engine: Engine
    connection: ConnectionConfig
    adapter: CrmAdapter
    model: ScoringModel
    started_at: datetime
    dry_run: bool
    stop: threading.Event
    progress: SyncProgress | None
    counts: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    #: The connection's mapping file, whose fingerprint says whether the store was pulled with it.
    mapping_file: Path | None = None

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise RunStopped

    def phase(self, name: str, total: int | None = None) -> None:
        log.info("phase %s", name, extra={"connection": self.connection.name, "phase": name})
        if self.progress:
            self.progress.phase(name, total)

    def advance(self, count: int) -> None:
        if self.progress:
            self.progress.advance(count)
