"""What one process remembers about a portal between runs: its rate windows, and the changes that were ours.

`scorebridge serve` and back-to-back runs build a fresh adapter per run, but the portal's windows outlive each
of them: search answers carry no rate-limit headers, so a fresh limiter could not know the searches of a run that
ended a moment before. And a write-back moves ``hs_lastmodifieddate`` of every contact it wrote; knowing the time
HubSpot gave each of those writes lets the next run tell our own change from news.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from adapters.hubspot.limiter import RateLimiter


class WriteEchoes:
    """Contact id -> the modification time HubSpot answered our write with."""

    def __init__(self) -> None:
        self._times: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def record(self, crm_id: str, modified_at: datetime) -> None:
        with self._lock:
            self._times[crm_id] = modified_at

    def is_echo(self, crm_id: str, modified_at: datetime | None) -> bool:
        """Whether this state of the contact is the one our write left; each mark answers once."""
        with self._lock:
            return modified_at is not None and self._times.pop(crm_id, None) == modified_at


@dataclass
class PortalMemory:
    limiter: RateLimiter
    echoes: WriteEchoes = field(default_factory=WriteEchoes)


class PortalRegistry:
    """One `PortalMemory` per portal and app (a host and a fingerprint of the credentials, never a secret)."""

    def __init__(self) -> None:
        self._portals: dict[str, PortalMemory] = {}
        self._lock = threading.Lock()

    def get(self, key: str, build: Callable[[], PortalMemory]) -> PortalMemory:
        with self._lock:
            if key not in self._portals:
                self._portals[key] = build()
            return self._portals[key]

    def portal_keys(self) -> list[str]:
        with self._lock:
            return list(self._portals)
