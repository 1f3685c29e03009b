"""The error family every layer raises; each adapter maps its CRM's responses onto it in one table."""

from __future__ import annotations


class ScoreBridgeError(Exception):
    """Base of every error ScoreBridge raises on purpose; the CLI turns these into a message and exit code."""

    exit_code = 1


class ConfigError(ScoreBridgeError):
    """A configuration, mapping or model file is wrong; `location` names the file and key path."""

    exit_code = 2

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None) -> None:
        self.message = message
        self.source = source
        self.key = key
        where = ": ".join(part for part in (source, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class InputError(ScoreBridgeError):
    """An import file or command-line argument is unusable as a whole (not a single bad row)."""

    exit_code = 2


class AuthError(ScoreBridgeError):
    """The CRM refused our credentials; retrying will not help until someone fixes them."""

    exit_code = 3


class RetriableError(ScoreBridgeError):
    """A transient CRM failure (429, 5xx, timeout, reset); `retry_after` is in seconds when the CRM said."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


class LimitReachedError(ScoreBridgeError):
    """A daily API allocation (or our configured share of it) is used up; resume in a later run."""

    exit_code = 4


class FatalCrmError(ScoreBridgeError):
    """The CRM answered in a way that retrying cannot fix (malformed request, missing permission)."""

    exit_code = 5


class RecordRejected(ScoreBridgeError):
    """The CRM rejected one record of a batch; the rest of the batch is unaffected."""

    def __init__(self, record_id: str, code: str, message: str) -> None:
        self.record_id = record_id
        self.code = code
        super().__init__(f"record {record_id}: {code}: {message}")


class StoreBusyError(ScoreBridgeError):
    """Another run holds the lock for this connection."""

    exit_code = 6


class StoreUnavailableError(ScoreBridgeError):
    """The store cannot be opened (server down, malformed URL, missing folder) or its schema brought up to date."""


class TooFewOutcomesError(ScoreBridgeError):
    """The store's history holds too few won (or not won) contacts for a ranking measure to say anything."""
