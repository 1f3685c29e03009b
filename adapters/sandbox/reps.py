"""The stand-ins' simulated sales reps: which open tasks they get around to.

A rep works a task or not by a fixed draw from the task's id, so the same share of the same tasks is completed on
every machine and in every run, whatever order the tasks are visited in.
"""

from __future__ import annotations

import zlib

#: Resolution of the draw: a share is honoured to a tenth of a percent.
DRAWS = 1000


def works_on(task_id: str, share: float) -> bool:
    """Whether the reps complete this task when they complete `share` (0..1) of the open ones."""
    return zlib.crc32(task_id.encode()) % DRAWS < round(max(0.0, min(1.0, share)) * DRAWS)
