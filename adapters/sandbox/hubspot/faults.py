"""Data-level faults the HubSpot sandbox injects itself: a share of batch inputs rejected."""

from __future__ import annotations

import threading


class BatchRejection:
    """Rejects a share of the inputs of the next `count` batch writes (count -1: every batch until cleared)."""

    def __init__(self) -> None:
        self._share = 0.0
        self._count = 0
        self._lock = threading.Lock()

    def arm(self, share: float, count: int) -> None:
        with self._lock:
            self._share = max(0.0, min(1.0, share))
            self._count = count

    def clear(self) -> None:
        self.arm(0.0, 0)

    def take(self, size: int) -> set[int]:
        """Positions of the inputs to reject in a batch of `size`, spread evenly (deterministic for tests)."""
        with self._lock:
            if self._count == 0 or self._share <= 0:
                return set()
            if self._count > 0:
                self._count -= 1
            share = self._share
        return {i for i in range(size) if int((i + 1) * share) > int(i * share)}
