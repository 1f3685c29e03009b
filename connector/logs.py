"""Logging set-up: readable lines on a terminal, one JSON object per line for log collectors.

Every line written while a sync run is open carries that run's id (`run_id`, the run record's id), whichever
module wrote it, so one run's lines can be picked out of a service's interleaved output: `run_log_context` marks
the run, and the handler's `RunIdFilter` stamps each record with it.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

#: LogRecord attributes that are plumbing, not context worth shipping.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_TEXT_FORMAT_IN_RUN = "%(asctime)s %(levelname)s %(name)s [run %(run_id)s]: %(message)s"

# A context variable, not a thread-local: each worker thread of the service runs its own sync, and a context
# variable set in one never shows in another.
_current_run_id: ContextVar[int | None] = ContextVar("scorebridge_run_id", default=None)


@contextmanager
def run_log_context(run_id: int) -> Iterator[None]:
    """Within this block every log line of this thread carries `run_id`."""
    token = _current_run_id.set(run_id)
    try:
        yield
    finally:
        _current_run_id.reset(token)


class RunIdFilter(logging.Filter):
    """Stamps a record with the open run's id, unless the line names a run itself.

    A handler filter, not a logger filter: a logger's filters never see the records its children propagate.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        run_id = _current_run_id.get()
        if run_id is not None and getattr(record, "run_id", None) is None:
            record.run_id = run_id
        return True


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message`, with `[run N]` after the logger inside a run."""

    def __init__(self) -> None:
        super().__init__(_TEXT_FORMAT)
        self._in_run = logging.Formatter(_TEXT_FORMAT_IN_RUN)

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "run_id", None) is None:
            return super().format(record)
        return self._in_run.format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and any `extra=` context (run_id among it)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def log_handler(log_format: str, stream: TextIO) -> logging.Handler:
    """A handler writing "text" or "json" lines to `stream`, each stamped with the run it was written in."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RunIdFilter())
    return handler


def configure_logging(log_format: str = "auto", level: int = logging.INFO) -> str:
    """Send logs to stderr as text or JSON ("auto": JSON unless stderr is a terminal); returns the format used."""
    chosen = log_format if log_format != "auto" else ("text" if sys.stderr.isatty() else "json")
    root = logging.getLogger()
    root.handlers[:] = [log_handler(chosen, sys.stderr)]
    root.setLevel(level)
    return chosen
