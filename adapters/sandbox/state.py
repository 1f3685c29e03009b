"""State files of `scorebridge sandbox serve --state FILE`: a stand-in's records kept across restarts.

The file is JSON in an envelope that names the CRM, so a Salesforce state is never loaded into the HubSpot
stand-in. A name ending in `.gz` is gzip-compressed (a 100,000-contact org is hundreds of megabytes of JSON).
Writes are atomic: a temporary file in the same directory, fsynced, then renamed over the old one, so a crash
mid-save leaves the previous state intact.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from connector.errors import InputError

STATE_FORMAT = "scorebridge-sandbox-state"
STATE_VERSION = 1


def save_state(path: Path, crm: str, state: Mapping[str, Any]) -> None:
    """Write `state` (what the app's `dump_state()` returned, JSON-able) for `crm` to `path`, atomically."""
    path = Path(path)
    envelope = {"format": STATE_FORMAT, "version": STATE_VERSION, "crm": crm, "state": state}
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only, as the file mkstemp makes (0600)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as raw, _text_writer(raw, compressed=path.suffix == ".gz") as out:
            json.dump(envelope, out, separators=(",", ":"))
        _fsync(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_state(path: Path, crm: str) -> dict[str, Any] | None:
    """The state saved for `crm` at `path`, or None when there is no such file yet."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as source:
            envelope = json.load(source)
    except (OSError, ValueError) as error:
        raise InputError(
            f"{path}: not a readable sandbox state file ({error}); move it away to start afresh"
        ) from error
    _check_envelope(path, envelope, crm)
    return envelope["state"]


def _check_envelope(path: Path, envelope: Any, crm: str) -> None:
    if not isinstance(envelope, dict) or envelope.get("format") != STATE_FORMAT:
        raise InputError(f"{path}: not a sandbox state file (no '{STATE_FORMAT}' envelope)")
    if envelope.get("version") != STATE_VERSION:
        raise InputError(f"{path}: state file version {envelope.get('version')!r}, this sandbox reads {STATE_VERSION}")
    if envelope.get("crm") != crm:
        raise InputError(f"{path}: holds a {envelope.get('crm')} sandbox, not {crm}; use another --state file")


def _text_writer(raw: IO[bytes], *, compressed: bool) -> IO[str]:
    binary: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=5) if compressed else raw
    return io.TextIOWrapper(binary, encoding="utf-8")


def _fsync(name: str) -> None:
    with open(name, "rb") as written:
        os.fsync(written.fileno())
