"""A measurement taken in a background thread for as long as a block runs (peak memory, a server's CPU)."""

from __future__ import annotations

import threading
from typing import Self


class BackgroundSampler:
    """Context manager: `_sample` runs in a daemon thread from the block's start; `stopped` tells it when to end."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def stopped(self, seconds: float) -> bool:
        """Wait up to `seconds`; True once the block has ended."""
        return self._stop.wait(seconds)

    def _sample(self) -> None:
        raise NotImplementedError
