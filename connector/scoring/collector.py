"""Garbage collection during a scoring run: its collections look at the objects the run makes, not at the process's.

A process holds some 120,000 long-lived objects before it scores (modules, SQLAlchemy's metadata, the model), and
every full collection walks all of them: about 65 ms each on the benchmark machine, several times in a full run
of 100,000 contacts (0.35 s of its 1.5 s of CPU), and at random moments in an incremental one. Freezing them for
the run's length (https://docs.python.org/3/library/gc.html#gc.freeze) leaves the run's collections only its own
objects; unfreezing afterwards hands them back to the collector as they were, so garbage made before the run is
still collected, only later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collecting_run_objects_only() -> Iterator[None]:
    """For the block, garbage collections skip every object that existed before it."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
