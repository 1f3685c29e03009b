"""Files that hold personal data or guard the store, created readable and writable by their owner only (0600).

Under the usual umask of 022 a plain `open()` makes a file anyone on the machine can read: the SQLite store
(names, e-mail addresses, scores), a score export, an import's problem report (it quotes the rows' values).
The mode only applies when the file is created: a file that exists keeps the mode its owner gave it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, PRIVATE_FILE_MODE)


def open_private(path: Path | str, mode: str = "w", **options: Any) -> IO:
    """`open()`, except that a file it creates is readable and writable by its owner only."""
    return open(path, mode, opener=_private_opener, **options)


def create_private(path: Path | str) -> None:
    """Create an empty owner-only file unless one exists (SQLite then gives its -wal/-shm/-journal the same mode)."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))


def make_private_dir(path: Path | str) -> None:
    """Create a folder (and missing parents) readable by its owner only; an existing folder is left as it is."""
    Path(path).mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
